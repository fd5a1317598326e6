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
	/* one address, TLS in one file and not in the other: TLS is per address */
	assert_int_equal(conf_load_both("/etc/nvmf.conf", file_text, "/var/lib/rpc.conf", "[Subsystem1]\n  NQN nqn.x:c1\n"
					"  Listen TCP 10.0.0.1:4420 tls\n  AllowAnyHost No\n", &merged, &rep), -EINVAL);
	both = 0;
	for (size_t i = 0; i < rep.n; i++)
		both += rep.d[i].sev == NV_ERROR && strstr(rep.d[i].msg, "requires TLS here but does not in /etc/nvmf.conf");
	assert_int_equal(both, 1);
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

/* rc rendered, read back and rendered again: the same text, which is returned. */
static char *round_trip(const struct rpcconf *rc)
{
	_cleanup_free_ char *err = NULL, *again = NULL;
	struct rpcconf back;
	char *text = NULL;

	assert_int_equal(rpcconf_render(rc, &text, &err), 0);
	assert_int_equal(rpcconf_parse(text, &back, &err), 0);
	assert_int_equal(rpcconf_render(&back, &again, &err), 0);
	assert_string_equal(text, again);
	rpcconf_free(&back);
	return text;
}

static const struct nv_port *port_at(const struct nv_model *m, const char *traddr)
{
	for (size_t i = 0; i < m->nports; i++)
		if (streq_ptr(attrs_get(&m->ports[i].attrs, "addr_traddr"), traddr))
			return &m->ports[i];
	return NULL;
}

#define LA(t, a) "\"listen_address\":{\"trtype\":\"" t "\",\"traddr\":\"" a "\",\"trsvcid\":\"4420\"}"

/* secure_channel and ana_state of add_listener, set_ana_state: one state and one TLS setting per address. */
static void test_listen_ana_tls(void **state)
{
	_cleanup_(spdkconf_freep) struct nv_config *file = file_cfg(), *merged = NULL;
	struct rpcconf rc = { 0 };
	struct rpc_edit e = { 0 };
	struct nv_report rep = { 0 };
	_cleanup_free_ char *text = NULL;

	(void)state;
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c1\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c2\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:any\",\"allow_any_host\":true}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"secure_channel\":true," LA("tcp", "10.0.0.2") "}", &e), 0);
	assert_true(e.ports);
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c2\"," LA("TCP", "10.0.0.2") "}", &e), JRPC_INVALID_PARAMS);
	assert_non_null(strstr(e.message, "TLS is per address"));
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c2\",\"secure_channel\":true,\"ana_state\":"
			      "\"inaccessible\"," LA("TCP", "10.0.0.2") "}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c2\",\"secure_channel\":true," LA("rdma", "10.0.0.3") "}", &e), JRPC_INVALID_PARAMS);
	assert_non_null(strstr(e.message, "TLS is for NVMe/TCP only"));
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:any\",\"secure_channel\":true," LA("tcp", "10.0.0.4") "}", &e), JRPC_INTERNAL_ERROR);
	assert_string_equal(e.message, "Cannot establish secure channel, when 'allow_any_host' is set");
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"change\"," LA("tcp", "10.0.0.4") "}", &e), JRPC_INVALID_PARAMS);
	/* nvmf.conf's address: its state (optimized) and TLS (none) */
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"inaccessible\"," LA("tcp", "10.0.0.1") "}", &e), JRPC_INVALID_STATE);
	assert_non_null(strstr(e.message, "/etc/nvmf.conf line 5"));
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\"," LA("tcp", "10.0.0.1") "}", &e), 0);
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"inaccessible\"," LA("tcp", "10.0.0.1") "}", &e), JRPC_INVALID_STATE);
	/* set_ana_state: every subsystem of rpc.conf on the address */
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"NON_OPTIMIZED\",\"anagrpid\":1," LA("TCP", "10.0.0.2") "}", &e), 0);
	assert_string_equal(rc.ss[0].ls[0].ana, "non-optimized");
	assert_string_equal(rc.ss[1].ls[0].ana, "non-optimized");
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"persistent_loss\"," LA("TCP", "10.0.0.2") "}", &e), JRPC_INVALID_PARAMS);
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"optimized\",\"anagrpid\":2," LA("TCP", "10.0.0.2") "}", &e), JRPC_INTERNAL_ERROR);
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"ana_state\":\"optimized\"," LA("TCP", "10.0.0.9") "}", &e), JRPC_INTERNAL_ERROR);
	assert_non_null(strstr(e.message, "error setting ANA state: -22"));
	assert_int_equal(edit(rpc_edit_set_ana_state, &rc, file, "{\"nqn\":\"nqn.x:none\",\"ana_state\":\"optimized\"," LA("TCP", "10.0.0.2") "}", &e), JRPC_INVALID_PARAMS);
	assert_string_equal(e.message, "Unable to find subsystem with NQN nqn.x:none");
	text = round_trip(&rc);
	assert_non_null(strstr(text, "Listen TCP 10.0.0.2:4420 non-optimized tls\n"));
	assert_int_equal(conf_load_both("/etc/nvmf.conf", file_text, "/var/lib/rpc.conf", text, &merged, &rep), 0);
	assert_string_equal(port_at(merged->model, "10.0.0.2")->ana_state, "non-optimized");
	assert_true(port_tls(port_at(merged->model, "10.0.0.2")));
	assert_string_equal(port_at(merged->model, "10.0.0.1")->ana_state, "optimized");
	assert_int_equal(edit(rpc_edit_remove_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\"," LA("TCP", "10.0.0.2") "}", &e), 0);
	assert_int_equal(rc.ss[0].nls, 1);
	/* a listener without ana_state takes the address's, which stays when the others' listeners go */
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c3\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c3\",\"secure_channel\":true," LA("tcp", "10.0.0.2") "}", &e), 0);
	assert_string_equal(rc.ss[3].ls[0].ana, "non-optimized");
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
	report_free(&rep);
}

#define ADDR(a) "\"address\":{\"trtype\":\"tcp\",\"adrfam\":\"IPv4\",\"traddr\":\"" a "\",\"trsvcid\":\"8009\"}"

static void test_referrals(void **state)
{
	static const char ftext[] = "[Discovery]\n  Referral TCP 10.0.0.8:8009\n[Subsystem1]\n  NQN nqn.x:file1\n"
				    "  Listen TCP 10.0.0.1:4420\n  AllowAnyHost Yes\n";
	_cleanup_(spdkconf_freep) struct nv_config *file = NULL, *merged = NULL;
	struct rpcconf rc = { 0 };
	struct rpc_edit e = { 0 };
	struct nv_report rep = { 0 };
	_cleanup_free_ char *text = NULL, *dup = NULL;

	(void)state;
	assert_int_equal(spdkconf_from_text("/etc/nvmf.conf", ftext, &file, &rep), 0);
	assert_int_equal(file->nreferrals, 1);
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{" ADDR("10.0.0.9") ",\"secure_channel\":false,\"subnqn\":"
			      "\"nqn.2014-08.org.nvmexpress.discovery\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{" ADDR("10.0.0.9") "}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{" ADDR("10.0.0.8") "}", &e), 0);
	assert_int_equal(rc.nrefs, 1); /* one made; the same again, or nvmf.conf's: left as they are */
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{" ADDR("10.0.0.7") ",\"secure_channel\":true}", &e), JRPC_INVALID_PARAMS);
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{" ADDR("10.0.0.7") ",\"subnqn\":\"nqn.x:c1\"}", &e), JRPC_INVALID_PARAMS);
	assert_int_equal(edit(rpc_edit_add_referral, &rc, file, "{\"address\":{\"trtype\":\"tcp\",\"traddr\":\"10.0.0.7\"}}", &e), JRPC_INTERNAL_ERROR);
	assert_string_equal(e.message, "Service ID is required.");
	assert_int_equal(edit(rpc_edit_remove_referral, &rc, file, "{" ADDR("10.0.0.8") "}", &e), JRPC_INTERNAL_ERROR);
	assert_non_null(strstr(e.message, "/etc/nvmf.conf line 2"));
	assert_int_equal(edit(rpc_edit_remove_referral, &rc, file, "{" ADDR("10.0.0.6") "}", &e), JRPC_INTERNAL_ERROR);
	assert_string_equal(e.message, "Unable to remove a referral.");
	text = round_trip(&rc);
	assert_non_null(strstr(text, "[Discovery]\n  Referral TCP 10.0.0.9:8009\n"));
	/* both files' referrals, on every port of both */
	rpcconf_free(&rc);
	assert_int_equal(rpcconf_parse(text, &rc, &dup), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c1\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_listener, &rc, file, "{\"nqn\":\"nqn.x:c1\"," LA("tcp", "10.0.0.2") "}", &e), 0);
	free(text);
	text = round_trip(&rc);
	assert_int_equal(conf_load_both("/etc/nvmf.conf", ftext, "/var/lib/rpc.conf", text, &merged, &rep), 0);
	assert_int_equal(merged->nreferrals, 2);
	for (size_t i = 0; i < merged->model->nports; i++)
		assert_int_equal(merged->model->ports[i].nrefs, 2);
	spdkconf_free(TAKE_PTR(merged));
	/* the same referral in both files: an error naming both */
	assert_int_equal(conf_load_both("/etc/nvmf.conf", ftext, "/var/lib/rpc.conf", "[Discovery]\n  Referral TCP 10.0.0.8:8009\n",
					&merged, &rep), -EINVAL);
	{
		size_t hits = 0;
		for (size_t i = 0; i < rep.n; i++)
			hits += strstr(rep.d[i].msg, "referral tcp-10.0.0.8-8009 is defined in both") != NULL;
		assert_int_equal(hits, 1);
	}
	assert_int_equal(edit(rpc_edit_remove_referral, &rc, file, "{" ADDR("10.0.0.9") "}", &e), 0);
	assert_int_equal(rc.nrefs, 0);
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
	report_free(&rep);
}

static void test_cntlids(void **state)
{
	_cleanup_(spdkconf_freep) struct nv_config *file = file_cfg(), *merged = NULL, *cl = NULL;
	struct rpcconf rc = { 0 };
	struct rpc_edit e = { 0 };
	struct nv_report rep = { 0 };
	_cleanup_free_ char *text = NULL;

	(void)state;
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"min_cntlid\":10,\"max_cntlid\":20}", &e), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c2\",\"min_cntlid\":1,\"max_cntlid\":65519}", &e), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c3\",\"min_cntlid\":20,\"max_cntlid\":10}", &e), JRPC_INVALID_PARAMS);
	assert_string_equal(e.message, "Invalid cntlid range [20-10]");
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c3\",\"max_cntlid\":65520}", &e), JRPC_INVALID_PARAMS);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c3\",\"min_cntlid\":7,\"max_cntlid\":7}", &e), JRPC_INVALID_PARAMS);
	assert_non_null(strstr(e.message, "6.1"));
	text = round_trip(&rc);
	assert_non_null(strstr(text, "NQN nqn.x:c1\n  AllowAnyHost No\n  ControllerIDs 10-20\n"));
	assert_null(strstr(strstr(text, "nqn.x:c2"), "ControllerIDs"));
	assert_int_equal(conf_load_both("/etc/nvmf.conf", file_text, "/var/lib/rpc.conf", text, &merged, &rep), 0);
	assert_string_equal(attrs_get(&model_subsys(merged->model, "nqn.x:c1")->attrs, "attr_cntlid_min"), "10");
	assert_string_equal(attrs_get(&model_subsys(merged->model, "nqn.x:c1")->attrs, "attr_cntlid_max"), "20");
	assert_null(attrs_get(&model_subsys(merged->model, "nqn.x:c2")->attrs, "attr_cntlid_min"));
	/* with [Cluster], the nodes' ranges come from it */
	assert_int_equal(spdkconf_from_text("/etc/nvmf.conf", "[Cluster]\n  ControllerIDs 1-100\n", &cl, &rep), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, cl, "{\"nqn\":\"nqn.x:c4\",\"min_cntlid\":5}", &e), JRPC_INVALID_PARAMS);
	assert_non_null(strstr(e.message, "[Cluster]"));
	spdkconf_free(TAKE_PTR(merged));
	assert_int_equal(conf_load_both("/etc/nvmf.conf", "[Cluster]\n", "/var/lib/rpc.conf", text, &merged, &rep), -EINVAL);
	{
		size_t hits = 0;
		for (size_t i = 0; i < rep.n; i++)
			hits += strstr(rep.d[i].msg, "cannot be given with [Cluster] (/etc/nvmf.conf line 1)") != NULL;
		assert_int_equal(hits, 1);
	}
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
	report_free(&rep);
}

/* nvmf_subsystem_set_keys: one set of keys per host, for every subsystem of rpc.conf listing it. */
static void test_set_keys(void **state)
{
	_cleanup_(spdkconf_freep) struct nv_config *file = file_cfg();
	static const char *const names[] = { "k0", "k1", "c1" };
	struct rpcconf rc = { 0 };
	struct rpc_edit e = { 0 };
	_cleanup_free_ char *text = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct rc_key *k = array_push(&rc.keys, &rc.nkeys, sizeof(*k));
		k->name = xstrdup(names[i]);
		k->path = xasprintf("/keys/%s", names[i]);
	}
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c1\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_create_subsystem, &rc, file, "{\"nqn\":\"nqn.x:c2\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_host, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"k0\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_host, &rc, file, "{\"nqn\":\"nqn.x:c2\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"k0\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_add_host, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:plain\"}", &e), 0);
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"k1\","
			      "\"dhchap_ctrlr_key\":\"c1\"}", &e), 0);
	assert_string_equal(e.unit, "hosts/nqn.x:h");
	assert_int_equal(rc.ncreds, 1);
	assert_string_equal(rc.creds[0].key, "/keys/k1");
	assert_string_equal(rc.creds[0].ctrl, "/keys/c1");
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"k0\"}", &e), -EINVAL);
	assert_non_null(strstr(e.message, "dhchap_ctrlr_key would be dropped"));
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\"}", &e), -EINVAL);
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\",\"dhchap_ctrlr_key\":\"c1\"}", &e), -EINVAL);
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"nope\"}", &e), JRPC_INVALID_PARAMS);
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c2\",\"host\":\"nqn.x:other\",\"dhchap_key\":\"k0\"}", &e), -EINVAL);
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:file1\",\"host\":\"nqn.x:h\",\"dhchap_key\":\"k0\"}", &e), JRPC_INVALID_STATE);
	/* a host without keys gets its first */
	assert_int_equal(edit(rpc_edit_set_keys, &rc, file, "{\"nqn\":\"nqn.x:c1\",\"host\":\"nqn.x:plain\",\"dhchap_key\":\"k0\"}", &e), 0);
	text = round_trip(&rc);
	assert_non_null(strstr(text, "NQN nqn.x:h\n  DhchapKey /keys/k1\n  DhchapCtrlKey /keys/c1\n"));
	assert_non_null(strstr(text, "NQN nqn.x:plain\n  DhchapKey /keys/k0\n"));
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	json_object_put(e.params);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walkthrough_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_listen_ana_tls),
		cmocka_unit_test(test_referrals),
		cmocka_unit_test(test_cntlids),
		cmocka_unit_test(test_set_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
