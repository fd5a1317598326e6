/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK's JSON-RPC wire protocol (jsonrpc.c): rpc.py's exact bytes split at every offset, several
 * requests in one buffer, garbage, oversized and deeply nested input, request validation,
 * notifications, batches, and the replies' bytes (compact, ASCII, SPDK's wording). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "util.h"

/* What rpc.py (scripts/rpc.py, python/spdk/rpc/client.py) sends: json.dumps(req, indent=2). */
static const char get_version[] = "{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"spdk_get_version\",\n  \"id\": 1\n}";
static const char create_subsys[] =
	"{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"nvmf_create_subsystem\",\n  \"id\": 2,\n  \"params\": {\n"
	"    \"nqn\": \"nqn.2016-06.io.spdk:cnode1\",\n    \"allow_any_host\": true\n  }\n}";

/* Feed text in pieces of the given sizes (the rest in one), collecting every value. */
static int decode_split(const char *text, size_t len, const size_t *cuts, size_t ncuts, json_object **v, size_t max_v)
{
	_cleanup_(jrpc_decoder_freep) struct jrpc_decoder *d = NULL;
	size_t at = 0, n = 0;
	int r;

	assert_int_equal(jrpc_decoder_new(0, 0, &d), 0);
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		json_object *o;

		if (jrpc_decoder_feed(d, text + at, end - at) < 0)
			return -E2BIG;
		at = end;
		while ((r = jrpc_decoder_next(d, &o)) == 1) {
			assert_true(n < max_v);
			v[n++] = o;
		}
		if (r < 0)
			return r;
	}
	return (int)n;
}

static void put_all(json_object **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(v[i]);
}

static const char *method_of(json_object *o)
{
	json_object *m;
	assert_true(json_object_object_get_ex(o, "method", &m));
	return json_object_get_string(m);
}

/* rpc.py's request split at every byte offset: one value, whatever the split. */
static void test_rpcpy_every_offset(void **state)
{
	(void)state;
	for (size_t cut = 0; cut <= strlen(create_subsys); cut++) {
		json_object *v[2];
		int n = decode_split(create_subsys, strlen(create_subsys), &cut, 1, v, 2);
		assert_int_equal(n, 1);
		assert_string_equal(method_of(v[0]), "nvmf_create_subsystem");
		put_all(v, 1);
	}
}

/* rpc.py joins queued requests with "\n"; split that at every pair of offsets too. */
static void test_rpcpy_two_joined_every_offset(void **state)
{
	_cleanup_free_ char *both = xasprintf("%s\n%s", get_version, create_subsys);
	size_t len = strlen(both);

	(void)state;
	for (size_t a = 0; a <= len; a += 3)
		for (size_t b = a; b <= len; b += 7) {
			size_t cuts[2] = { a, b };
			json_object *v[3];
			int n = decode_split(both, len, cuts, 2, v, 3);
			assert_int_equal(n, 2);
			assert_string_equal(method_of(v[0]), "spdk_get_version");
			assert_string_equal(method_of(v[1]), "nvmf_create_subsystem");
			put_all(v, 2);
		}
}

/* One byte at a time: nothing is decoded before the closing brace, the value right after it. */
static void test_byte_by_byte(void **state)
{
	_cleanup_(jrpc_decoder_freep) struct jrpc_decoder *d = NULL;
	size_t len = strlen(get_version);
	json_object *o = NULL;

	(void)state;
	assert_int_equal(jrpc_decoder_new(0, 0, &d), 0);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(jrpc_decoder_feed(d, get_version + i, 1), 0);
		assert_int_equal(jrpc_decoder_next(d, &o), i + 1 == len ? 1 : 0);
	}
	assert_string_equal(method_of(o), "spdk_get_version");
	json_object_put(o);
	assert_int_equal(jrpc_decoder_next(d, &o), 0);
	assert_int_equal(jrpc_decoder_pending(d), 0);
}

static void test_several_in_one_buffer(void **state)
{
	static const char text[] = "{\"method\":\"a\"}{\"method\":\"b\"}  \n\t[{\"method\":\"c\"}]\r\n{\"method\":\"d\"}";
	json_object *v[5];
	int n;

	(void)state;
	n = decode_split(text, strlen(text), NULL, 0, v, 5);
	assert_int_equal(n, 4);
	assert_string_equal(method_of(v[0]), "a");
	assert_string_equal(method_of(v[1]), "b");
	assert_true(json_object_is_type(v[2], json_type_array));
	assert_string_equal(method_of(v[3]), "d");
	put_all(v, 4);
}

/* A value decoded before the garbage is still delivered; then only the error, for good. (json-c
 * accepts single-quoted strings even in strict mode: a leniency, not a risk.) */
static void test_garbage(void **state)
{
	static const char *const bad[] = { "{\"a\":1}{a:1}", "{\"a\":1}nux", "{\"a\":1}{\"a\":1,}",
					   "{\"a\":1}{\"a\":\"\xff\"}", "{\"a\":1}{\"a\":\"x\0\"}", "{\"a\":1}]" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_(jrpc_decoder_freep) struct jrpc_decoder *d = NULL;
		size_t len = i == 4 ? 17 : strlen(bad[i]);	/* the NUL is part of it */
		json_object *o = NULL;

		assert_int_equal(jrpc_decoder_new(0, 0, &d), 0);
		assert_int_equal(jrpc_decoder_feed(d, bad[i], len), 0);
		assert_int_equal(jrpc_decoder_next(d, &o), 1);
		json_object_put(o);
		assert_int_equal(jrpc_decoder_next(d, &o), -EBADMSG);
		assert_int_equal(jrpc_decoder_next(d, &o), -EBADMSG);
		assert_int_equal(jrpc_decoder_feed(d, "{}", 2), -EBADMSG);
	}
}

/* A request over the limit is refused however it arrives: in one piece, or in small ones (the
 * tokener's progress counts, not the buffer), and so is whitespace without end. */
static void test_oversized(void **state)
{
	_cleanup_(jrpc_decoder_freep) struct jrpc_decoder *d = NULL, *d2 = NULL, *d3 = NULL;
	char chunk[4096];
	json_object *o;
	int r = 0;

	(void)state;
	assert_int_equal(jrpc_decoder_new(64 * 1024, 0, &d), 0);
	_cleanup_free_ char *big = xmalloc(70 * 1024);
	memset(big, ' ', 70 * 1024);
	assert_int_equal(jrpc_decoder_feed(d, big, 70 * 1024), -E2BIG);

	assert_int_equal(jrpc_decoder_new(64 * 1024, 0, &d2), 0);
	assert_int_equal(jrpc_decoder_feed(d2, "{\"method\":\"", 11), 0);
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 100 && r == 0; i++) {
		r = jrpc_decoder_feed(d2, chunk, sizeof(chunk));
		if (r == 0)
			r = jrpc_decoder_next(d2, &o);
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(jrpc_decoder_next(d2, &o), -E2BIG);

	assert_int_equal(jrpc_decoder_new(64 * 1024, 0, &d3), 0);
	memset(chunk, '\n', sizeof(chunk));
	for (int i = 0, r3 = 0; i < 100 && r3 == 0; i++) {
		r3 = jrpc_decoder_feed(d3, chunk, sizeof(chunk));
		if (r3 == 0)
			r3 = jrpc_decoder_next(d3, &o);
		if (r3 < 0)
			assert_int_equal(r3, -E2BIG);
		assert_true(i < 17);
	}
}

static void test_depth(void **state)
{
	char deep[256];
	json_object *v[1];

	(void)state;
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	assert_int_equal(decode_split(deep, 200, NULL, 0, v, 1), -ELOOP);
	/* 20 levels are fine */
	memset(deep, '[', 20);
	memset(deep + 20, ']', 20);
	assert_int_equal(decode_split(deep, 40, NULL, 0, v, 1), 1);
	put_all(v, 1);
}

/* ---- requests and replies ---- */

static int calls;

/* "echo" returns its params, "boom" fails with -19, "bad" with -32602 and its own message. */
static int fake_call(void *ud, const struct jrpc_request *req, json_object **result, char **message)
{
	(void)ud;
	calls++;
	if (streq(req->method, "echo")) {
		*result = req->params ? json_object_get(req->params) : json_object_new_boolean(1);
		return 0;
	}
	if (streq(req->method, "boom"))
		return -ENODEV;
	if (streq(req->method, "bad")) {
		*message = xstrdup("Invalid parameters: x");
		return JRPC_INVALID_PARAMS;
	}
	if (streq(req->method, "slow"))
		return req->tag == 42 || req->tag == 0 ? JRPC_PENDING : JRPC_INTERNAL_ERROR;
	return JRPC_METHOD_NOT_FOUND;
}

/* Asynchronous methods: the exchange waits at the pending one, in a batch the rest follows it; a
 * pending method through jrpc_handle (synchronous callers) is an internal error. */
static void test_pending(void **state)
{
	json_object *v = json_tokener_parse("[{\"method\":\"echo\",\"id\":1},{\"method\":\"slow\",\"id\":2},"
					    "{\"method\":\"echo\",\"id\":3,\"params\":[3]}]");
	struct jrpc_exchange *x = jrpc_begin(v, 42);
	_cleanup_free_ char *text = NULL, *text2 = NULL;
	size_t len;

	(void)state;
	calls = 0;
	assert_int_equal(jrpc_step(x, fake_call, NULL), 1);
	assert_int_equal(calls, 2);
	assert_int_equal(jrpc_step(x, fake_call, NULL), 1);	/* still waiting: nothing more is called */
	assert_int_equal(calls, 2);
	jrpc_complete(x, 0, json_object_new_string("done"), NULL);
	assert_int_equal(jrpc_step(x, fake_call, NULL), 0);
	text = jrpc_finish(x, &len);
	assert_string_equal(text, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":"
			    "\"done\"},{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[3]}]\n");
	json_object_put(v);
	v = json_tokener_parse("{\"method\":\"slow\",\"id\":5}");
	x = jrpc_begin(v, 42);
	assert_int_equal(jrpc_step(x, fake_call, NULL), 1);
	jrpc_complete(x, -EBUSY, NULL, xstrdup("busy here"));
	assert_int_equal(jrpc_step(x, fake_call, NULL), 0);
	text2 = jrpc_finish(x, &len);
	assert_string_equal(text2, "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-16,\"message\":\"busy here\"}}\n");
	jrpc_exchange_free(jrpc_begin(v, 42));	/* dropped unanswered: no leak */
	json_object_put(v);
	v = json_tokener_parse("{\"method\":\"slow\",\"id\":6}");
	free(text);
	text = jrpc_handle(v, fake_call, NULL, &len);
	assert_non_null(strstr(text, "-32603"));
	json_object_put(v);
}

/* The reply to one request's text, or "" when nothing is sent. */
static char *reply(const char *text)
{
	json_object *v = json_tokener_parse(text);
	size_t len = 0;
	char *r;

	assert_non_null(v);
	r = jrpc_handle(v, fake_call, NULL, &len);
	json_object_put(v);
	if (!r)
		return xstrdup("");
	assert_int_equal(len, strlen(r));
	return r;
}

#define assert_reply(req, want)                                  \
	do {                                                     \
		_cleanup_free_ char *_r = reply(req);             \
		assert_string_equal(_r, want);                   \
	} while (0)

static void test_replies(void **state)
{
	(void)state;
	assert_reply(get_version, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n");
	assert_reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":7}", "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":true}\n");
	assert_reply("{\"method\":\"echo\",\"id\":\"a/b\",\"params\":{\"nqn\":\"x\"}}",
		     "{\"jsonrpc\":\"2.0\",\"id\":\"a/b\",\"result\":{\"nqn\":\"x\"}}\n");
	assert_reply("{\"method\":\"echo\",\"id\":null,\"params\":[1,2]}", "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":[1,2]}\n");
	assert_reply("{\"method\":\"echo\",\"id\":3,\"params\":null}", "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":true}\n");
	assert_reply("{\"method\":\"boom\",\"id\":4}",
		     "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-19,\"message\":\"No such device\"}}\n");
	assert_reply("{\"method\":\"bad\",\"id\":5}",
		     "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32602,\"message\":\"Invalid parameters: x\"}}\n");
}

/* Non-ASCII comes out as \uXXXX (surrogate pairs above the BMP), DEL too; control characters as json-c
 * escapes them. */
static void test_ascii(void **state)
{
	(void)state;
	assert_reply("{\"method\":\"echo\",\"id\":1,\"params\":{\"n\":\"cnode\xc3\xa9\xf0\x9f\x98\x80\x7f\\u0001\"}}",
		     "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":\"cnode\\u00e9\\ud83d\\ude00\\u007f\\u0001\"}}\n");
	assert_reply("{\"method\":\"echo\",\"id\":\"\xe2\x82\xac\"}", "{\"jsonrpc\":\"2.0\",\"id\":\"\\u20ac\",\"result\":true}\n");
}

static void test_invalid_requests(void **state)
{
	static const char *const bad[] = {
		"5", "\"x\"", "{}", "{\"method\":5,\"id\":1}", "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}",
		"{\"jsonrpc\":2,\"method\":\"echo\",\"id\":1}", "{\"method\":\"echo\",\"params\":5,\"id\":1}",
		"{\"method\":\"echo\",\"params\":\"s\",\"id\":1}", "{\"method\":\"echo\",\"extra\":1,\"id\":1}",
	};
	_cleanup_free_ char *longid = NULL;

	(void)state;
	calls = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *r = reply(bad[i]);
		bool has_id = strstr(bad[i], "\"id\":1") != NULL;
		_cleanup_free_ char *want = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32600,"
						      "\"message\":\"Invalid request\"}}\n", has_id ? "1" : "null");
		assert_string_equal(r, want);
	}
	/* a top-level null (json-c's NULL) */
	{
		size_t len;
		_cleanup_free_ char *r = jrpc_handle(NULL, fake_call, NULL, &len);
		assert_string_equal(r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
				       "\"message\":\"Invalid request\"}}\n");
	}
	/* an id of the wrong type, or too long, is not echoed */
	assert_reply("{\"method\":\"echo\",\"id\":true}",
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n");
	assert_reply("{\"method\":\"echo\",\"id\":{\"a\":1}}",
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n");
	longid = xasprintf("{\"method\":\"echo\",\"id\":\"%0129d\"}", 0);
	assert_reply(longid, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n");
	/* a NUL inside the method name names no method */
	assert_reply("{\"method\":\"echo\\u0000x\",\"id\":2}",
		     "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n");
	assert_int_equal(calls, 0);
}

/* No id: no result; errors are still sent, with "id":null. */
static void test_notifications(void **state)
{
	(void)state;
	calls = 0;
	assert_reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}", "");
	assert_int_equal(calls, 1);
	assert_reply("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}",
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n");
}

static void test_batches(void **state)
{
	(void)state;
	assert_reply("[]", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n");
	assert_reply("[{\"method\":\"echo\"},{\"method\":\"echo\"}]", "");
	assert_reply("[{\"method\":\"echo\",\"id\":1},{\"method\":\"echo\"},5,{\"method\":\"boom\",\"id\":\"b\"}]",
		     "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true},"
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}},"
		     "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"error\":{\"code\":-19,\"message\":\"No such device\"}}]\n");
}

static void test_error_reply(void **state)
{
	size_t len;
	_cleanup_free_ char *r = jrpc_error_reply(JRPC_PARSE_ERROR, &len);

	(void)state;
	assert_string_equal(r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n");
	assert_int_equal(len, strlen(r));
	assert_string_equal(jrpc_strerror(JRPC_INTERNAL_ERROR), "Internal error");
	assert_string_equal(jrpc_strerror(-EEXIST), "File exists");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpcpy_every_offset),
		cmocka_unit_test(test_rpcpy_two_joined_every_offset),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_several_in_one_buffer),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
