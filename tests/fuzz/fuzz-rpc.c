/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the JSON-RPC wire protocol (jsonrpc.c): the input is a connection's byte
 * stream, fed in pieces whose size the first byte chooses; every decoded value is answered by a
 * method that echoes its params (or fails), and every reply must be one line of pure ASCII that
 * parses back as JSON. The decoder never holds more than its limit. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "util.h"

#define LIMIT 4096

static int echo(void *ud, const struct jrpc_request *req, struct json_object **result, char **message)
{
	(void)ud;
	if (streq(req->method, "fail")) {
		*message = xstrdup(req->method);
		return JRPC_INVALID_PARAMS;
	}
	if (streq(req->method, "nodev"))
		return -19;
	*result = json_object_get(req->params);
	return 0;
}

static void check_reply(const char *r, size_t len)
{
	json_object *o;

	if (len == 0 || r[len - 1] != '\n' || memchr(r, '\n', len) != r + len - 1 || strlen(r) != len)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)r[i] >= 0x7f)
			abort();
	o = json_tokener_parse(r);
	if (!o)
		abort();
	json_object_put(o);
}

/* Decode what is pending; false once the stream is dead (as the server closes it). */
static bool drain(struct jrpc_decoder *d)
{
	json_object *v;
	size_t len;
	int r;

	while ((r = jrpc_decoder_next(d, &v)) == 1) {
		char *reply = jrpc_handle(v, echo, NULL, &len);
		if (reply)
			check_reply(reply, len);
		free(reply);
		json_object_put(v);
	}
	if (r < 0) {
		char *reply = jrpc_error_reply(JRPC_PARSE_ERROR, &len);
		check_reply(reply, len);
		free(reply);
		return false;
	}
	return jrpc_decoder_pending(d) <= LIMIT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jrpc_decoder *d = NULL;
	size_t piece;

	if (size == 0 || jrpc_decoder_new(LIMIT, 8, &d) < 0)
		return 0;
	piece = data[0] ? data[0] : size;
	data++, size--;
	for (size_t at = 0; at < size; at += piece) {
		size_t n = size - at < piece ? size - at : piece;
		if (jrpc_decoder_feed(d, data + at, n) < 0 || !drain(d))
			break;
	}
	jrpc_decoder_free(d);
	return 0;
}
