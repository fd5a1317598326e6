/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Params checked as SPDK's strict object decoder does (rpc-params.h). */
#include <errno.h>
#include <json-c/json.h>

#include "rpc-params.h"
#include "util.h"

static bool type_fits(json_object *v, enum rpc_ptype t)
{
	switch (t) {
	case RP_STRING: return json_object_is_type(v, json_type_string);
	case RP_BOOL: return json_object_is_type(v, json_type_boolean);
	case RP_INT: return json_object_is_type(v, json_type_int);
	case RP_OBJECT: return json_object_is_type(v, json_type_object);
	}
	return false;
}

int rpc_params_check(json_object *params, const struct rpc_param *spec, size_t n, bool relaxed)
{
	if (!params) {
		for (size_t i = 0; i < n; i++)
			if (spec[i].required)
				return -EINVAL;
		return 0;
	}
	if (!json_object_is_type(params, json_type_object))
		return -EINVAL;
	json_object_object_foreach(params, key, val) {
		size_t i = 0;
		while (i < n && !streq(spec[i].name, key))
			i++;
		if ((i == n && !relaxed) || (i < n && !type_fits(val, spec[i].type)))
			return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].required && !json_object_object_get_ex(params, spec[i].name, NULL))
			return -EINVAL;
	return 0;
}

const char *rpc_param_str(json_object *params, const char *name)
{
	json_object *v;

	return params && json_object_object_get_ex(params, name, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

bool rpc_param_bool(json_object *params, const char *name, bool def)
{
	json_object *v;

	return params && json_object_object_get_ex(params, name, &v) && json_object_is_type(v, json_type_boolean) ?
		       json_object_get_boolean(v) : def;
}

int rpc_check_target(json_object *params, char **message)
{
	const char *t = rpc_param_str(params, "tgt_name");

	if (!t || streq(t, "nvmf_tgt"))
		return 0;
	*message = xstrdup("Unable to find a target.");
	return JRPC_INTERNAL_ERROR;
}
