/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-c opened on first use (dl.h): an apply of nvmf.conf alone (no rpc.conf, no JSON output)
 * never touches JSON, and linking json-c cost every nvmetcfg start-up a sixth of its instructions.
 * Code includes this instead of <json-c/json.h> and calls json-c by its own names, which go through
 * the table jsonc() fills the first time (thread-safe). json-c is a dependency like libc: without
 * it the first JSON call ends the process with a message. nvmetd links json-c itself; dlopen then
 * finds the same library. */
#ifndef NVMET_JSONC_H
#define NVMET_JSONC_H

#include <json-c/json.h>
#include <stdbool.h>

#define JSONC_FNS(X) \
	X(json_object_array_add) X(json_object_array_get_idx) X(json_object_array_length) X(json_object_get) \
	X(json_object_get_boolean) X(json_object_get_int) X(json_object_get_int64) X(json_object_get_string) \
	X(json_object_get_string_len) X(json_object_is_type) X(json_object_new_array) \
	X(json_object_new_boolean) X(json_object_new_int) X(json_object_new_int64) X(json_object_new_object) \
	X(json_object_new_string) X(json_object_object_add) X(json_object_get_object) \
	X(json_object_object_get) X(json_object_object_get_ex) X(json_object_put) \
	X(json_object_to_json_string) X(json_object_to_json_string_ext) X(json_tokener_free) \
	X(json_tokener_get_error) X(json_tokener_get_parse_end) X(json_tokener_new_ex) X(json_tokener_parse) \
	X(json_tokener_parse_ex) X(json_tokener_parse_verbose) X(json_tokener_reset) X(json_tokener_set_flags) \
	X(json_tokener_error_desc)

#define JSONC_FIELD(fn) __typeof__(fn) *fn;
extern struct jsonc_fn {
	JSONC_FNS(JSONC_FIELD)
} jsonc_fn;
#undef JSONC_FIELD
extern bool jsonc_loaded;

/* Open json-c once; exits with a message when it is missing. */
void jsonc_load(void);

static inline const struct jsonc_fn *jsonc(void)
{
	if (!__atomic_load_n(&jsonc_loaded, __ATOMIC_ACQUIRE))
		jsonc_load();
	return &jsonc_fn;
}

#ifndef JSONC_IMPL
#define json_object_array_add (jsonc()->json_object_array_add)
#define json_object_array_get_idx (jsonc()->json_object_array_get_idx)
#define json_object_array_length (jsonc()->json_object_array_length)
#define json_object_get (jsonc()->json_object_get)
#define json_object_get_boolean (jsonc()->json_object_get_boolean)
#define json_object_get_int (jsonc()->json_object_get_int)
#define json_object_get_int64 (jsonc()->json_object_get_int64)
#define json_object_get_string (jsonc()->json_object_get_string)
#define json_object_get_string_len (jsonc()->json_object_get_string_len)
#define json_object_is_type (jsonc()->json_object_is_type)
#define json_object_new_array (jsonc()->json_object_new_array)
#define json_object_new_boolean (jsonc()->json_object_new_boolean)
#define json_object_new_int (jsonc()->json_object_new_int)
#define json_object_new_int64 (jsonc()->json_object_new_int64)
#define json_object_new_object (jsonc()->json_object_new_object)
#define json_object_new_string (jsonc()->json_object_new_string)
#define json_object_object_add (jsonc()->json_object_object_add)
#define json_object_get_object (jsonc()->json_object_get_object)
#define json_object_object_get (jsonc()->json_object_object_get)
#define json_object_object_get_ex (jsonc()->json_object_object_get_ex)
#define json_object_put (jsonc()->json_object_put)
#define json_object_to_json_string (jsonc()->json_object_to_json_string)
#define json_object_to_json_string_ext (jsonc()->json_object_to_json_string_ext)
#define json_tokener_free (jsonc()->json_tokener_free)
#define json_tokener_get_error (jsonc()->json_tokener_get_error)
#define json_tokener_get_parse_end (jsonc()->json_tokener_get_parse_end)
#define json_tokener_new_ex (jsonc()->json_tokener_new_ex)
#define json_tokener_parse (jsonc()->json_tokener_parse)
#define json_tokener_parse_ex (jsonc()->json_tokener_parse_ex)
#define json_tokener_parse_verbose (jsonc()->json_tokener_parse_verbose)
#define json_tokener_reset (jsonc()->json_tokener_reset)
#define json_tokener_set_flags (jsonc()->json_tokener_set_flags)
#define json_tokener_error_desc (jsonc()->json_tokener_error_desc)
#endif

#endif
