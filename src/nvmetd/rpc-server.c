/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON-RPC socket's I/O (see rpc-server.h); the protocol is jsonrpc.c, the methods are
 * rpc-methods.c. Each connection: read a chunk, decode and answer the complete requests while its
 * output is below RPC_OUT_HIGH, send what the socket takes (MSG_NOSIGNAL: a client gone mid-reply
 * is an error on its connection, never SIGPIPE), and listen for EPOLLOUT while output waits. A parse
 * error or an oversized request gets SPDK's -32700 and the connection closes once that is sent. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "rpc-server.h"
#include "util.h"

#define RPC_READ_CHUNK (64u << 10)	/* per wake-up: one client cannot hold the loop */
#define RPC_OUT_HIGH (1u << 20)		/* stop answering until the client reads its replies */

struct rpc_conn {
	struct rpc_server *srv;
	int fd;
	sd_event_source *src;
	struct jrpc_decoder *dec;
	char *out;		/* replies: out[out_off..out_len) waits to be sent */
	size_t out_len, out_off, out_cap;
	bool eof;	/* the client sent everything it will */
	bool closing;	/* close once the output is sent */
	pid_t pid;
	unsigned long long tag;		/* this connection's, for asynchronous answers (never reused) */
	struct jrpc_exchange *x;	/* the request waiting for an asynchronous method: nothing more is
					 * read or answered meanwhile */
};

struct rpc_server {
	char *path, *lock_path;
	int fd, lock_fd;
	sd_event_source *src;
	jrpc_call_fn call;
	void *ud;
	struct rpc_conn *conns[RPC_MAX_CONNS];
	unsigned long long next_tag;
};

static void conn_free(struct rpc_conn *c)
{
	struct rpc_server *s = c->srv;

	for (size_t i = 0; i < RPC_MAX_CONNS; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	jrpc_exchange_free(c->x);	/* its answer, when it comes, finds no connection */
	jrpc_decoder_free(c->dec);
	free(c->out);
	free(c);
}

static size_t out_pending(const struct rpc_conn *c)
{
	return c->out_len - c->out_off;
}

/* Queue a reply. What was sent goes once it outweighs what waits (each byte moves O(1) times), and
 * the buffer grows by doubling: the cost stays linear in what is sent. */
static void out_append(struct rpc_conn *c, char *text, size_t len)
{
	if (c->out_off > 0 && c->out_off >= out_pending(c)) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		c->out_cap = c->out_cap ? c->out_cap : 4096;
		while (c->out_cap < c->out_len + len)
			c->out_cap *= 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	free(text);
}

/* Answer the complete requests while the output is small. Returns whether it stopped for the
 * output's size (requests may be left to answer once it is sent). */
static bool conn_answer(struct rpc_conn *c)
{
	json_object *v;
	size_t len;
	int r;

	while (!c->closing && !c->x) {
		if (out_pending(c) >= RPC_OUT_HIGH)
			return true;
		r = jrpc_decoder_next(c->dec, &v);
		if (r == 0)
			break;
		if (r < 0) {
			log_info("rpc: client pid %d: %s; closing its connection", (int)c->pid,
				 r == -E2BIG ? "request too large" : r == -ELOOP ? "JSON nested too deep" : "not JSON");
			char *reply = jrpc_error_reply(JRPC_PARSE_ERROR, &len);	/* before len is read */
			out_append(c, reply, len);
			c->closing = true;
			break;
		}
		c->x = jrpc_begin(v, c->tag);
		json_object_put(v);
		if (jrpc_step(c->x, c->srv->call, c->srv->ud))
			return false;	/* answered later (rpc_server_complete) */
		char *reply = jrpc_finish(TAKE_PTR(c->x), &len);
		if (reply)
			out_append(c, reply, len);
	}
	if (c->eof && !c->x)
		c->closing = true;	/* what is left is an incomplete request: nothing to answer */
	return false;
}

/* Read one chunk. Returns 0, or -errno when the connection is to be dropped. */
static int conn_read(struct rpc_conn *c)
{
	static char buf[RPC_READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	int r;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	r = jrpc_decoder_feed(c->dec, buf, (size_t)n);
	if (r == -E2BIG)
		return 0;	/* conn_answer reports it: the decoder repeats the error */
	return r;
}

/* Send what the socket takes. Returns 0 or -errno (the client is gone). */
static int conn_send(struct rpc_conn *c)
{
	while (out_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : errno == EINTR ? conn_send(c) : -errno;
		c->out_off += (size_t)n;
	}
	return 0;
}

/* Answer and send (r: what reading gave); then wait for what is needed next, or close. */
static void conn_pump(struct rpc_conn *c, int r)
{
	uint32_t want = 0;

	while (r == 0) {
		bool more = conn_answer(c);
		r = conn_send(c);
		if (!more || out_pending(c) >= RPC_OUT_HIGH)
			break;
	}
	if (r < 0 || (c->closing && out_pending(c) == 0)) {
		if (r < 0)
			log_debug("rpc: client pid %d: %s", (int)c->pid, strerror(-r));
		conn_free(c);
		return;
	}
	if (!c->eof && !c->closing && !c->x && out_pending(c) < RPC_OUT_HIGH)
		want |= EPOLLIN;
	if (out_pending(c) > 0)
		want |= EPOLLOUT;
	r = sd_event_source_set_io_events(c->src, want);
	if (r < 0) {
		log_error("rpc: client pid %d: %s", (int)c->pid, strerror(-r));
		conn_free(c);
	}
}

/* Read, answer, send. A client that hangs up while its request waits is dropped at once (epoll
 * reports the hang-up whatever it is asked for: waiting would spin). */
static int on_conn_io(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	struct rpc_conn *c = ud;
	int r = 0;

	(void)src;
	(void)fd;
	if (c->x && (revents & (EPOLLHUP | EPOLLERR))) {
		log_debug("rpc: client pid %d hung up before its answer", (int)c->pid);
		conn_free(c);
		return 0;
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->eof && !c->closing && !c->x && out_pending(c) < RPC_OUT_HIGH)
		r = conn_read(c);
	conn_pump(c, r);
	return 0;
}

void rpc_server_complete(struct rpc_server *s, unsigned long long tag, int code, json_object *result, char *message)
{
	struct rpc_conn *c = NULL;
	size_t len;

	for (size_t i = 0; s && i < RPC_MAX_CONNS && !c; i++)
		if (s->conns[i] && s->conns[i]->tag == tag && s->conns[i]->x)
			c = s->conns[i];
	if (!c) {
		json_object_put(result);
		free(message);
		return;
	}
	jrpc_complete(c->x, code, result, message);
	if (!jrpc_step(c->x, s->call, s->ud)) {
		char *reply = jrpc_finish(TAKE_PTR(c->x), &len);
		if (reply)
			out_append(c, reply, len);
	}
	conn_pump(c, 0);
}

/* Root only (SO_PEERCRED), and a free slot; else the connection is closed at once. */
static void conn_accept(struct rpc_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct rpc_conn *c;
	size_t slot = RPC_MAX_CONNS;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		log_notice("rpc: refused a client that is not root (uid %d, pid %d)", len == sizeof(cred) ? (int)cred.uid : -1,
			   len == sizeof(cred) ? (int)cred.pid : -1);
		close(fd);
		return;
	}
	for (size_t i = 0; i < RPC_MAX_CONNS && slot == RPC_MAX_CONNS; i++)
		if (!s->conns[i])
			slot = i;
	if (slot == RPC_MAX_CONNS) {
		log_warn("rpc: %d clients connected already; closing the connection of pid %d", RPC_MAX_CONNS, (int)cred.pid);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->fd = fd;
	c->pid = cred.pid;
	c->tag = ++s->next_tag;
	r = jrpc_decoder_new(0, 0, &c->dec);
	if (r >= 0)
		r = sd_event_add_io(sd_event_source_get_event(s->src), &c->src, fd, EPOLLIN, on_conn_io, c);
	if (r >= 0)
		(void)sd_event_source_set_description(c->src, "rpc-conn");
	if (r < 0) {
		log_error("rpc: cannot serve a client: %s", strerror(-r));
		jrpc_decoder_free(c->dec);
		close(fd);
		free(c);
		return;
	}
	s->conns[slot] = c;
	log_debug("rpc: client pid %d connected", (int)cred.pid);
}

static int on_listen_io(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	(void)src;
	(void)revents;
	for (int i = 0; i < RPC_MAX_CONNS; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("rpc: accept: %s", strerror(errno));
			break;
		}
		conn_accept(ud, cfd);
	}
	return 0;
}

/* SPDK's protocol: the lock first; only its holder may remove a stale socket. */
static int take_path(struct rpc_server *s)
{
	struct stat st;

	s->lock_fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0)
		return -errno;
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
	if (lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(s->path) < 0)
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	return 0;
}

static int listen_on(struct rpc_server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int r;

	if (strlen(s->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	old = umask(0177);	/* created 0600: no moment with a wider mode */
	r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return -errno;
	if (chmod(s->path, 0600) < 0 || listen(s->fd, 64) < 0) {
		r = -errno;
		(void)unlink(s->path);
		return r;
	}
	return 0;
}

int rpc_server_start(sd_event *ev, const char *path, jrpc_call_fn call, void *ud, struct rpc_server **out)
{
	struct rpc_server *s = xcalloc(1, sizeof(*s));
	int r;

	s->path = xstrdup(path);
	s->lock_path = xasprintf("%s.lock", path);
	s->fd = s->lock_fd = -1;
	s->call = call;
	s->ud = ud;
	r = take_path(s);
	if (r >= 0)
		r = listen_on(s);
	if (r >= 0)
		r = sd_event_add_io(ev, &s->src, s->fd, EPOLLIN, on_listen_io, s);
	if (r >= 0)
		(void)sd_event_source_set_description(s->src, "rpc-listen");
	if (r < 0) {
		if (s->fd >= 0) {
			(void)unlink(s->path);
			close(s->fd);
		}
		if (s->lock_fd >= 0 && r != -EADDRINUSE)
			(void)unlink(s->lock_path);
		if (s->lock_fd >= 0)
			close(s->lock_fd);
		free(s->path);
		free(s->lock_path);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void rpc_server_stop(struct rpc_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < RPC_MAX_CONNS; i++)
		if (s->conns[i])
			conn_free(s->conns[i]);
	sd_event_source_disable_unref(s->src);
	close(s->fd);
	(void)unlink(s->path);
	(void)unlink(s->lock_path);
	close(s->lock_fd);
	free(s->path);
	free(s->lock_path);
	free(s);
}
