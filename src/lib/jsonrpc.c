/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK's JSON-RPC wire protocol without I/O (see jsonrpc.h). The decoder runs json-c's tokener
 * incrementally over the bytes of one connection: strict JSON, trailing bytes allowed (they are the
 * next request), UTF-8 validated, nesting bounded; a value's size counts every byte handed to the
 * tokener for it, so a request never grows past the limit however it is split. */
#include <errno.h>
#include "jsonc.h"
#include <stdint.h>

#include "jsonrpc.h"

struct jrpc_decoder {
	struct json_tokener *tok;
	char *buf;		/* bytes fed, not yet given to the tokener: buf[off..len) */
	size_t off, len, cap;
	size_t cur;		/* bytes given to the tokener for the value under way */
	size_t max;
	int err;		/* sticky: the stream cannot be resynchronised */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

int jrpc_decoder_new(size_t max_request, int max_depth, struct jrpc_decoder **out)
{
	struct jrpc_decoder *d = xcalloc(1, sizeof(*d));

	d->tok = json_tokener_new_ex(max_depth > 0 ? max_depth : JRPC_MAX_DEPTH);
	if (!d->tok) {
		free(d);
		return -ENOMEM;
	}
	json_tokener_set_flags(d->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					       JSON_TOKENER_VALIDATE_UTF8);
	d->max = max_request ? max_request : JRPC_MAX_REQUEST;
	*out = d;
	return 0;
}

void jrpc_decoder_free(struct jrpc_decoder *d)
{
	if (!d)
		return;
	json_tokener_free(d->tok);
	free(d->buf);
	free(d);
}

size_t jrpc_decoder_pending(const struct jrpc_decoder *d)
{
	return d->len - d->off;
}

int jrpc_decoder_feed(struct jrpc_decoder *d, const void *buf, size_t len)
{
	if (d->err)
		return d->err;
	if (len == 0)
		return 0;
	if (d->off == d->len)
		d->off = d->len = 0;
	if (len > d->max || d->cur + jrpc_decoder_pending(d) + len > d->max)
		return (d->err = -E2BIG);
	if (d->off > 0) {	/* what was decoded goes: the buffer holds one request at most */
		memmove(d->buf, d->buf + d->off, d->len - d->off);
		d->len -= d->off;
		d->off = 0;
	}
	if (d->len + len > d->cap) {
		d->cap = d->len + len;
		d->buf = xrealloc(d->buf, d->cap);
	}
	memcpy(d->buf + d->len, buf, len);
	d->len += len;
	return 0;
}

static int tokener_error(enum json_tokener_error e)
{
	return e == json_tokener_error_depth ? -ELOOP : -EBADMSG;
}

int jrpc_decoder_next(struct jrpc_decoder *d, struct json_object **v)
{
	while (!d->err && d->off < d->len) {
		size_t n = d->len - d->off, used;
		enum json_tokener_error e;
		json_object *o;

		if (n > INT32_MAX)
			n = INT32_MAX;
		o = json_tokener_parse_ex(d->tok, d->buf + d->off, (int)n);
		e = json_tokener_get_error(d->tok);
		if (e == json_tokener_continue) {
			d->cur += n;
			d->off += n;
			if (d->cur > d->max)
				d->err = -E2BIG;
			continue;
		}
		if (e != json_tokener_success) {
			json_object_put(o);
			return (d->err = tokener_error(e));
		}
		used = json_tokener_get_parse_end(d->tok);
		d->cur += used;
		d->off += used;
		json_tokener_reset(d->tok);
		if (d->cur > d->max) {
			json_object_put(o);
			return (d->err = -E2BIG);
		}
		d->cur = 0;
		*v = o;
		return 1;
	}
	return d->err;
}

const char *jrpc_strerror(int code)
{
	switch (code) {
	case JRPC_PARSE_ERROR: return "Parse error";
	case JRPC_INVALID_REQUEST: return "Invalid request";
	case JRPC_METHOD_NOT_FOUND: return "Method not found";
	case JRPC_INVALID_PARAMS: return "Invalid parameters";
	case JRPC_INTERNAL_ERROR: return "Internal error";
	}
	return code < 0 && code > -4096 ? strerror(-code) : "Error";
}

/* ---- replies ---- */

static size_t put_u(char *o, unsigned cp)
{
	static const char hex[] = "0123456789abcdef";

	o[0] = '\\';
	o[1] = 'u';
	for (int i = 0; i < 4; i++)
		o[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xf];
	return 6;
}

/* One UTF-8 sequence at s (n bytes left): its code point and length, or U+FFFD for one bad byte. */
static unsigned utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	unsigned cp, need, min;

	if (s[0] >= 0xf0 && s[0] <= 0xf4)
		cp = s[0] & 0x07, need = 3, min = 0x10000;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		cp = s[0] & 0x0f, need = 2, min = 0x800;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		cp = s[0] & 0x1f, need = 1, min = 0x80;
	else
		goto bad;
	if (need >= n)
		goto bad;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*used = need + 1;
	return cp;
bad:
	*used = 1;
	return 0xfffd;
}

/* json-c writes strings' UTF-8 raw; SPDK's writer and its clients want ASCII (rpc_http_proxy
 * decodes ASCII, rpc.py loses a sequence split across two reads): \uXXXX, surrogate pairs above
 * the BMP, and DEL as \u007f. Outside strings json-c writes ASCII only. Adds the "\n". */
static char *ascii_reply(const char *text, size_t *len)
{
	size_t n = strlen(text), k = 0;
	char *out = xmalloc(n * 6 + 2);

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)text[i];
		size_t used = 1;
		unsigned cp;

		if (c < 0x7f) {
			out[k++] = (char)c;
			i++;
			continue;
		}
		cp = c == 0x7f ? c : utf8_decode((const unsigned char *)text + i, n - i, &used);
		if (cp >= 0x10000) {
			k += put_u(out + k, 0xd800 + ((cp - 0x10000) >> 10));
			cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
		}
		k += put_u(out + k, cp);
		i += used;
	}
	out[k++] = '\n';
	out[k] = '\0';
	*len = k;
	return out;
}

static char *serialize(json_object *o, size_t *len)
{
	return ascii_reply(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			   len);
}

/* {"jsonrpc":"2.0","id":ID, then "result" or "error" is added by the caller. */
static json_object *response(json_object *id)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

static json_object *error_response(json_object *id, int code, const char *message)
{
	json_object *r = response(id), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message ? message : jrpc_strerror(code)));
	json_object_object_add(r, "error", e);
	return r;
}

char *jrpc_error_reply(int code, size_t *len)
{
	_cleanup_(json_object_putp) json_object *r = error_response(NULL, code, NULL);

	return serialize(r, len);
}

/* ---- requests ---- */

static bool valid_id(json_object *id)
{
	if (json_object_is_type(id, json_type_string))
		return json_object_get_string_len(id) <= JRPC_ID_MAX;
	if (json_object_is_type(id, json_type_int) || json_object_is_type(id, json_type_double))
		return strlen(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN)) <= JRPC_ID_MAX;
	return false;
}

/* SPDK's parse_single_request: "jsonrpc" "2.0" if present, "method" a string, "params" an object, an
 * array or null, "id" a string, a number or null, nothing else. Returns 0 or JRPC_INVALID_REQUEST
 * (req->id is still the request's id when that was valid, for the error reply). */
static int parse_request(json_object *v, struct jrpc_request *req)
{
	json_object *ver = NULL, *method = NULL, *params = NULL, *id = NULL;
	bool has_ver, has_method, has_params, has_id, ok = true;

	memset(req, 0, sizeof(*req));
	if (!json_object_is_type(v, json_type_object))
		return JRPC_INVALID_REQUEST;
	has_ver = json_object_object_get_ex(v, "jsonrpc", &ver);
	has_method = json_object_object_get_ex(v, "method", &method);
	has_params = json_object_object_get_ex(v, "params", &params);
	has_id = json_object_object_get_ex(v, "id", &id);
	req->notification = !has_id;
	if (id && valid_id(id))
		req->id = id;
	else if (id)
		ok = false;
	json_object_object_foreach(v, key, val) {
		(void)val;
		ok &= streq(key, "jsonrpc") || streq(key, "method") || streq(key, "params") || streq(key, "id");
	}
	if (has_ver && !(json_object_is_type(ver, json_type_string) && streq(json_object_get_string(ver), "2.0")))
		ok = false;
	if (!has_method || !json_object_is_type(method, json_type_string))
		ok = false;
	if (has_params && params && !json_object_is_type(params, json_type_object) &&
	    !json_object_is_type(params, json_type_array))
		ok = false;
	if (!ok)
		return JRPC_INVALID_REQUEST;
	req->method = json_object_get_string(method);
	req->params = params;
	return 0;
}

/* One decoded value being answered: its requests in order (one unless a batch), the responses so far. */
struct jrpc_exchange {
	json_object *v;
	bool batch;
	size_t i, n;		/* the next request; how many */
	json_object *out;	/* a batch's responses; a single request's response */
	struct jrpc_request req;	/* the pending one's */
	bool pending;
	unsigned long long tag;
};

/* The response to req (code, result, message as a call gives them), or NULL (a notification's result). */
static json_object *answer(const struct jrpc_request *req, int code, json_object *result, char *message)
{
	json_object *r;

	if (code != 0) {
		r = error_response(req->id, code, message);
		json_object_put(result);
		free(message);
		return r;
	}
	free(message);
	if (req->notification) {
		json_object_put(result);
		return NULL;
	}
	r = response(req->id);
	json_object_object_add(r, "result", result);
	return r;
}

static void add_response(struct jrpc_exchange *x, json_object *r)
{
	if (!r)
		return;
	if (x->batch)
		json_object_array_add(x->out, r);
	else
		x->out = r;
}

struct jrpc_exchange *jrpc_begin(json_object *v, unsigned long long tag)
{
	struct jrpc_exchange *x = xcalloc(1, sizeof(*x));

	x->v = json_object_get(v);
	x->tag = tag;
	x->batch = json_object_is_type(v, json_type_array);
	x->n = x->batch ? json_object_array_length(v) : 1;
	if (x->batch && x->n)
		x->out = json_object_new_array();
	else if (x->batch)
		x->out = error_response(NULL, JRPC_INVALID_REQUEST, NULL);	/* [] */
	return x;
}

int jrpc_step(struct jrpc_exchange *x, jrpc_call_fn call, void *ud)
{
	while (!x->pending && x->i < x->n && !(x->batch && !json_object_is_type(x->out, json_type_array))) {
		json_object *v = x->batch ? json_object_array_get_idx(x->v, x->i) : x->v, *result = NULL;
		char *message = NULL;
		int code = parse_request(v, &x->req);

		x->i++;
		x->req.tag = x->tag;
		if (code == 0 && strlen(x->req.method) != (size_t)json_object_get_string_len(json_object_object_get(v, "method")))
			code = JRPC_METHOD_NOT_FOUND;	/* a NUL inside the name: no method is called that */
		else if (code == 0)
			code = call(ud, &x->req, &result, &message);
		if (code == JRPC_PENDING)
			x->pending = true;
		else
			add_response(x, answer(&x->req, code, result, message));
	}
	return x->pending;
}

void jrpc_complete(struct jrpc_exchange *x, int code, json_object *result, char *message)
{
	if (!x->pending) {
		json_object_put(result);
		free(message);
		return;
	}
	x->pending = false;
	add_response(x, answer(&x->req, code == JRPC_PENDING ? JRPC_INTERNAL_ERROR : code, result, message));
}

void jrpc_exchange_free(struct jrpc_exchange *x)
{
	if (!x)
		return;
	json_object_put(x->out);
	json_object_put(x->v);
	free(x);
}

char *jrpc_finish(struct jrpc_exchange *x, size_t *len)
{
	char *text = NULL;

	/* SPDK: a batch of notifications gets nothing */
	if (x->out && !(x->batch && json_object_is_type(x->out, json_type_array) && !json_object_array_length(x->out)))
		text = serialize(x->out, len);
	jrpc_exchange_free(x);
	return text;
}

/* Synchronous methods only: a pending one is an internal error. */
static int sync_only(void *ud, const struct jrpc_request *req, json_object **result, char **message)
{
	const struct { jrpc_call_fn call; void *ud; } *c = ud;
	int code = c->call(c->ud, req, result, message);

	if (code == JRPC_PENDING) {
		*result = NULL;
		*message = NULL;
		return JRPC_INTERNAL_ERROR;
	}
	return code;
}

char *jrpc_handle(json_object *v, jrpc_call_fn call, void *ud, size_t *len)
{
	struct { jrpc_call_fn call; void *ud; } c = { call, ud };
	struct jrpc_exchange *x = jrpc_begin(v, 0);

	(void)jrpc_step(x, sync_only, &c);
	return jrpc_finish(x, len);
}
