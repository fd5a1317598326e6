/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON-RPC socket (rpc_socket in nvmetd.conf): an AF_UNIX stream socket on nvmetd's sd-event loop
 * that speaks SPDK's protocol (jsonrpc.h) to root only. It never blocks the loop: non-blocking
 * sockets, a bounded output buffer per connection (EPOLLOUT while it drains), at most RPC_MAX_CONNS
 * clients, requests of at most JRPC_MAX_REQUEST bytes. A client that misbehaves loses its
 * connection, nothing else. */
#ifndef NVMETD_RPC_SERVER_H
#define NVMETD_RPC_SERVER_H

#include <systemd/sd-event.h>

#include "jsonrpc.h"

#define RPC_MAX_CONNS 32

struct rpc_server;

/* Listen on path with SPDK's lock-file protocol: <path>.lock held with flock(LOCK_EX|LOCK_NB) for as
 * long as the socket is served (an nvmf_tgt on the same path then refuses to start, and nvmetd
 * refuses while one runs: -EADDRINUSE); a stale socket is removed only while holding the lock, and
 * anything at path that is not a socket is left alone (-EEXIST). The socket is mode 0600. Requests
 * are answered by call(ud, ...). Returns 0 or -errno (nothing is left behind). */
int rpc_server_start(sd_event *ev, const char *path, jrpc_call_fn call, void *ud, struct rpc_server **out);
/* The answer of a method that returned JRPC_PENDING for the request tagged tag (jrpc_request.tag):
 * sent, and the connection's next requests answered. result and message are taken; a connection
 * gone meanwhile (or s NULL) drops them. */
void rpc_server_complete(struct rpc_server *s, unsigned long long tag, int code, struct json_object *result,
			 char *message);
/* Close every connection, remove the socket and the lock file. NULL is fine. */
void rpc_server_stop(struct rpc_server *s);

#endif
