/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK's JSON-RPC 2.0 wire protocol, without I/O: a per-connection decoder for a stream of
 * concatenated JSON values (SPDK frames nothing: rpc.py sends json.dumps(req, indent=2), several
 * joined by "\n"), request validation as SPDK's server does it, batches (SPDK v26.05), and replies
 * as SPDK writes them: compact, keys "jsonrpc", "id", "result"|"error", pure ASCII, one "\n". */
#ifndef NVMET_JSONRPC_H
#define NVMET_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct json_object;

/* SPDK's codes (include/spdk/jsonrpc.h); a negative errno is also a code ("No such device"). */
#define JRPC_PARSE_ERROR	-32700
#define JRPC_INVALID_REQUEST	-32600
#define JRPC_METHOD_NOT_FOUND	-32601
#define JRPC_INVALID_PARAMS	-32602
#define JRPC_INTERNAL_ERROR	-32603
#define JRPC_INVALID_STATE	-1

#define JRPC_MAX_REQUEST	(1u << 20)	/* bytes of one request, whitespace before it included */
#define JRPC_MAX_DEPTH		32		/* nesting of arrays and objects */
#define JRPC_ID_MAX		128		/* SPDK_JSONRPC_ID_MAX_LEN: a longer id is an invalid request */

struct jrpc_decoder;

/* A decoder for one connection. max_request 0: JRPC_MAX_REQUEST; max_depth 0: JRPC_MAX_DEPTH. */
int jrpc_decoder_new(size_t max_request, int max_depth, struct jrpc_decoder **out);
void jrpc_decoder_free(struct jrpc_decoder *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct jrpc_decoder *, jrpc_decoder_free)

/* Hand it bytes as they arrive. Returns 0, or -E2BIG when the bytes not yet decoded would exceed
 * the request limit (call jrpc_decoder_next until it returns 0 before feeding more), or the error
 * that already stopped the decoder. */
int jrpc_decoder_feed(struct jrpc_decoder *d, const void *buf, size_t len);
/* The next complete JSON value: 1 and *v (the caller's to put), 0 when more bytes are needed, or an
 * error after which the decoder only repeats it (the stream has no resync point; SPDK closes):
 * -EBADMSG (not JSON, including invalid UTF-8 and a NUL byte), -ELOOP (nested too deep), -E2BIG
 * (the value exceeds the request limit). */
int jrpc_decoder_next(struct jrpc_decoder *d, struct json_object **v);
/* Bytes fed and not yet decoded: a connection reads more only while this is small. */
size_t jrpc_decoder_pending(const struct jrpc_decoder *d);

/* One valid request (borrowed from the decoded value). */
struct jrpc_request {
	const char *method;
	struct json_object *params;	/* an object or an array; NULL when absent or null */
	struct json_object *id;		/* a string or number; NULL when absent or null */
	bool notification;		/* no id at all: a result is not sent, an error is (with "id":null) */
	unsigned long long tag;		/* the exchange's tag (jrpc_begin): what an asynchronous method keeps */
};

/* A method call. Returns 0 with *result (NULL is JSON null; given to the caller), or an error code
 * (JRPC_* or -errno) with *message (allocated) or NULL for the code's standard text, or JRPC_PENDING:
 * the method answers later, through jrpc_complete on the exchange req->tag names (jrpc_handle's
 * callers never get it: only exchanges run asynchronous methods). */
#define JRPC_PENDING 1
typedef int (*jrpc_call_fn)(void *ud, const struct jrpc_request *req, struct json_object **result, char **message);

/* The answering of one decoded value (a request, or a batch) that may wait for asynchronous methods:
 * jrpc_begin, then jrpc_step until it returns 0 (1: a method is pending: jrpc_complete it, then step
 * again), then jrpc_finish for the reply. The value is referenced, not copied. */
struct jrpc_exchange;
struct jrpc_exchange *jrpc_begin(struct json_object *v, unsigned long long tag);
int jrpc_step(struct jrpc_exchange *x, jrpc_call_fn call, void *ud);
/* The pending method's answer, as a call's (result and message are taken). */
void jrpc_complete(struct jrpc_exchange *x, int code, struct json_object *result, char *message);
/* The reply text as jrpc_handle's (NULL: nothing to send); x is freed. */
char *jrpc_finish(struct jrpc_exchange *x, size_t *len);
void jrpc_exchange_free(struct jrpc_exchange *x);

/* The answer to one decoded value (a request, or a batch of them): the reply text, compact, ASCII,
 * ending in "\n" (allocated; *len its length), or NULL when nothing is sent (notifications). */
char *jrpc_handle(struct json_object *v, jrpc_call_fn call, void *ud, size_t *len);
/* An error reply with "id":null and the code's standard text: what a parse error gets. */
char *jrpc_error_reply(int code, size_t *len);
/* SPDK's text for a code: "Parse error", "Invalid request", "Method not found", "Invalid parameters",
 * "Internal error", strerror for -errno. */
const char *jrpc_strerror(int code);

#endif
