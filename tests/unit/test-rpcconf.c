/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc.conf (rpcconf.c): the edits SPDK's methods make (rpcedit), the text they render reading back as
 * the same objects, refusals of what the dialect cannot carry, and nvmf.conf + rpc.conf merged with
 * conflicts named by both files and lines (confmerge.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "confmerge.h"
#include "jsonrpc.h"
#include "rpcedit.h"
#include "util.h"

static const char file_text[] = "[AIO]\n  AIO /f.img AIO0\n[Subsystem1]\n  NQN nqn.x:file1\n  Listen TCP 10.0.0.1:4420\n"
				"  AllowAnyHost Yes\n  SN S1\n  Namespace AIO0 1\n";

static struct nv_config *file_cfg(void)
{
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;

	assert_int_equal(spdkconf_from_text("/etc/nvmf.conf", file_text, &c, &rep), 0);
	report_free(&rep);
	return c;
}

/* One edit with params given as JSON text: its code; the result or message kept in *e. */
static int edit(rpc_edit_fn *fn, struct rpcconf *rc, const struct nv_config *file, const char *params, struct rpc_edit *e)
{
	rpc_edit_free(e);
	json_object_put(e->params);
	*e = (struct rpc_edit){ .rc = rc, .file = file, .params = json_tokener_parse(params) };
	return fn(e);
}

static void test_walkthrough_round_trip(void **state)
{
	_cleanup_(spdkconf_freep) struct nv_config *file = file_cfg(), *merged = NULL;
	struct rpcconf rc = { 0 }, back;
	struct rpc_edit e = { 0 };
	_cleanup_free_ char *text = NULL, *text2 = NULL, *err = NULL;
	struct nv_report rep = { 0 };

	(void)state;
	assert_int_equal(edit(rpc_edit_create_transport, &rc, file, "{\"trtype\":\"tcp\",\"max_io_qpairs_per_ctrlr\":8,"
			      "\"in_capsule_data_size\":8192}", &e), 0);
	assert_int_equal(edit(rpc_edit_malloc_create, &rc, file, "{\"num_blocks\":131072,\"block_size\":512}", &e), 0);
	assert_string_equal(json_object_get_string(e.result), "Malloc0");
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"allow_any_host\":true}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_ns, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"namespace\":{\"bdev_name\":\"Malloc0\"}}", &e), 0);
	assert_int_equal(json_object_get_int(e.result), 1);
	assert_string_equal(e.unit, "subsystems/nqn.x:c1/namespaces/1");
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"listen_address\":{\"trtype\":\"rdma\","
			      "\"traddr\":\"fe80::1\",\"trsvcid\":\"4420\",\"adrfam\":\"IPv6\"}}", &e), 0);
	assert_int_equal(rpcconf_render(&rc, &text, &err), 0);
	assert_non_null(strstr(text, "MaxQueuesPerSession 9"));
	assert_non_null(strstr(text, "Listen RDMA [fe80::1]:4420"));
	/* read back: the same text; loaded with nvmf.conf: one configuration */
	assert_int_equal(rpcconf_parse(text, &back, &err), 0);
	assert_int_equal(rpcconf_render(&back, &text2, &err), 0);
	assert_string_equal(text, text2);
	assert_int_equal(conf_load_both("/etc/nvmf.conf", file_text, "/var/lib/rpc.conf", text, &merged, &rep), 0);
	assert_non_null(model_subsys(merged->model, "nqn.x:c1"));
	assert_non_null(model_subsys(merged->model, "nqn.x:file1"));
	assert_int_equal(merged->malloc_luns, 1);
	/* where each object comes from (status, show) */
	assert_int_equal(model_subsys(merged->model, "nqn.x:c1")->src, NV_SRC_RPC);
	assert_int_equal(model_subsys(merged->model, "nqn.x:file1")->src, NV_SRC_CONF);
	assert_string_equal(merged->rpc_path, "/var/lib/rpc.conf");
	{
		_cleanup_free_ char *a = conf_source(merged, NV_SRC_RPC), *b = conf_source(merged, NV_SRC_CONF | NV_SRC_RPC);
		assert_string_equal(a, "/var/lib/rpc.conf");
		assert_string_equal(b, "/etc/nvmf.conf and /var/lib/rpc.conf");
	}
	for (size_t i = 0; i < merged->model->nports; i++)
		assert_int_equal(merged->model->ports[i].src,
				 streq(attrs_get(&merged->model->ports[i].attrs, "addr_traddr"), "10.0.0.1") ? NV_SRC_CONF : NV_SRC_RPC);
	/* a model without a subsystem: its links go too */
	model_drop_subsys(merged->model, "nqn.x:c1");
	assert_null(model_subsys(merged->model, "nqn.x:c1"));
	for (size_t i = 0; i < merged->model->nports; i++)
		assert_false(strv_contains(merged->model->ports[i].subsys, merged->model->ports[i].nsubsys, "nqn.x:c1"));
	rpcconf_free(&back);
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
	report_free(&rep);
}

static void test_refusals(void **state)
{
	_cleanup_(spdkconf_freep) struct nv_config *file = file_cfg();
	struct rpcconf rc = { 0 };
	struct rpc_edit e = { 0 };
	_cleanup_free_ char *text = NULL, *err = NULL;

	(void)state;
	assert_int_equal(edit(rpc_edit_delete_subsystem, &rc, file, "{\"nqn\":\"nqn.x:file1\"}", &e), JRPC_INVALID_STATE);
	assert_non_null(strstr(e.message, "/etc/nvmf.conf line 3"));
	assert_int_equal(edit(rpc_edit_aio_create, &rc, file, "{\"filename\":\"/g\",\"name\":\"aio0\"}", &e), -EEXIST);
	assert_int_equal(edit(rpc_edit_delete_subsystem, &rc, file, "{\"nqn\":\"nqn.x:none\"}", &e), JRPC_INVALID_PARAMS);
	assert_string_equal(e.message, "Invalid parameters");
	assert_int_equal(edit(rpc_edit_malloc_create, &rc, file, "{\"num_blocks\":2048,\"block_size\":512,\"name\":\"M\"}", &e), -EINVAL);
	assert_int_equal(edit(rpc_edit_malloc_create, &rc, file, "{\"num_blocks\":3,\"block_size\":512}", &e), -EINVAL);
	assert_int_equal(edit(rpc_edit_nvme_attach, &rc, file, "{\"name\":\"N\",\"trtype\":\"tcp\",\"traddr\":\"1.2.3.4\"}", &e), -EINVAL);
	/* a value with a double quote: accepted by the edit, refused by the one writer */
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:a\\\"b\"}", &e), 0);
	assert_int_equal(rpcconf_render(&rc, &text, &err), -EINVAL);
	assert_non_null(strstr(err, "double quote"));
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
}

static void test_conflicts(void **state)
{
	static const char rpc[] = "[AIO]\n  AIO /g.img AIO0\n[Subsystem1]\n  NQN nqn.x:file1\n  AllowAnyHost Yes\n";
	struct nv_report rep = { 0 };
	struct nv_config *merged = NULL;
	size_t both = 0;

	(void)state;
	assert_int_equal(conf_load_both("/etc/nvmf.conf", file_text, "/var/lib/rpc.conf", rpc, &merged, &rep), -EINVAL);
	assert_null(merged);
	for (size_t i = 0; i < rep.n; i++)
		both += rep.d[i].sev == NV_ERROR && strstr(rep.d[i].msg, "/etc/nvmf.conf line") &&
			strstr(rep.d[i].msg, "/var/lib/rpc.conf line");
	assert_int_equal(both, 2); /* the bdev and the subsystem */
	report_free(&rep);
}

static void test_parse_hostile(void **state)
{
	struct rpcconf rc;
	char *err = NULL;

	(void)state;
	assert_int_equal(rpcconf_parse("[Global]\n  ReactorMask 0x1\n", &rc, &err), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	free(err);
	assert_int_equal(rpcconf_parse("[Malloc]\n  NumberOfLuns 99999999999999999999\n", &rc, &err), -EINVAL);
	free(err);
	assert_int_equal(rpcconf_parse("[Subsystem1]\n  SN x\n", &rc, &err), -EINVAL);
	free(err);
	assert_int_equal(rpcconf_parse(NULL, &rc, &err), 0);
	rpcconf_free(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walkthrough_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_parse_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
