/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Import from nvmetcli's JSON and SPDK's JSON config; round trip live -> nvmetcli JSON -> nvmf.conf
 * -> apply -> the identical tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "exit.h"
#include "faketree.h"
#include "import.h"
#include "print.h"
#include "util.h"

static char *load(const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/tests/unit/data/%s", SRCDIR, name);
	char *t = NULL;
	assert_int_equal(read_file(p, &t, NULL), 0);
	return t;
}

static char *replace(const char *s, const char *what, const char *with)
{
	const char *at = strstr(s, what);
	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, with, at + strlen(what));
}

static void test_nvmetcli_to_conf(void **state)
{
	(void)state;
	_cleanup_free_ char *raw = load("nvmetcli-tcp.json");
	_cleanup_free_ char *json = replace(raw, "@DISK@", "/etc/hostname");
	_cleanup_free_ char *conf = NULL, *err = NULL;
	struct nv_model *m = NULL;
	struct nv_ctx *c = NULL;
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	struct nv_subsys *s;

	setenv("NVMET_CONFIGFS_ROOT", "/nonexistent", 1);
	assert_int_equal(ctx_new(&c), 0);
	assert_int_equal(import_nvmetcli(json, &m, &err), 0);
	assert_int_equal(print_conf(c, m, NULL, &conf), 0);
	assert_int_equal(spdkconf_from_text("imported.conf", conf, &cfg, &rep), 0);
	s = model_subsys(cfg->model, "nqn.2014-08.org.nvmexpress:NVMf:testnqn");
	assert_non_null(s);
	assert_string_equal(attrs_get(&s->attrs, "attr_serial"), "a6a5a9c0bb9b2f2c");
	assert_string_equal(attrs_get(&s->attrs, "attr_allow_any_host"), "0");
	assert_int_equal(s->nhosts, 1);
	assert_int_equal(s->nns, 1);
	assert_string_equal(attrs_get(&s->ns[0].attrs, "device_uuid"), "7f8f0d1b-7c4e-4d8c-8f9e-5f0a1b2c3d4e");
	assert_int_equal(cfg->model->nports, 1);
	assert_string_equal(attrs_get(&cfg->model->ports[0].attrs, "addr_traddr"), "192.168.122.33");
	assert_string_equal(attrs_get(&cfg->model->ports[0].attrs, "param_inline_data_size"), "16384");
	assert_non_null(strstr(conf, "AIO /etc/hostname AIO0"));
	/* the port's referral becomes [Discovery] Referral, put on every port again */
	assert_non_null(strstr(conf, "[Discovery]\n  Referral TCP 192.168.30.200:4420\n"));
	assert_int_equal(cfg->model->ports[0].nrefs, 1);
	assert_string_equal(cfg->model->ports[0].refs[0].name, "tcp-192.168.30.200-4420");
	assert_string_equal(cfg->model->ports[0].ana_state, "non-optimized");
	spdkconf_free(cfg);
	report_free(&rep);
	model_free(m);
	ctx_free(c);
}

static void test_nvmetcli_errors(void **state)
{
	(void)state;
	struct nv_model *m = NULL;
	char *err = NULL;

	assert_int_equal(import_nvmetcli("{ nope", &m, &err), -EINVAL);
	assert_non_null(strstr(err, "not valid JSON"));
	free(err);
	err = NULL;
	assert_int_equal(import_nvmetcli("{\"subsystems\": [{\"attr\": {}}]}", &m, &err), -EINVAL);
	assert_string_equal(err, "subsystems[0]: no nqn");
	free(err);
	err = NULL;
	assert_int_equal(import_nvmetcli("{\"ports\": [{\"addr\": {}}]}", &m, &err), -EINVAL);
	assert_string_equal(err, "ports[0]: no valid portid");
	free(err);
}

static void test_spdk_json(void **state)
{
	(void)state;
	_cleanup_free_ char *json = load("spdk.json");
	_cleanup_free_ char *conf = NULL, *err = NULL;
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	struct nv_subsys *s;
	struct nv_bdev b;

	assert_int_equal(import_spdk_json(json, &conf, &err), 0);
	if (spdkconf_from_text("spdk.conf", conf, &cfg, &rep) < 0) {
		report_print_problems(&rep, stderr);
		fail_msg("imported config does not parse:\n%s", conf);
	}
	s = model_subsys(cfg->model, "nqn.2016-06.io.spdk:cnode1");
	assert_non_null(s);
	assert_string_equal(attrs_get(&s->attrs, "attr_serial"), "SPDK00000000000001");
	assert_string_equal(attrs_get(&s->attrs, "attr_model"), "SPDK bdev Controller");
	assert_string_equal(attrs_get(&s->attrs, "attr_qid_max"), "3"); /* max_io_qpairs_per_ctrlr */
	assert_int_equal(s->nhosts, 1);
	assert_int_equal(s->nns, 3);
	assert_int_equal(spdkconf_find_bdev(cfg, s->ns[0].bdev, &b), 0);
	assert_int_equal(b.kind, BDEV_NVME);
	assert_string_equal(b.bdf, "0000:04:00.0");
	assert_int_equal(spdkconf_find_bdev(cfg, "AIO0", &b), 0);
	assert_string_equal(b.path, "/dev/sdb");
	assert_int_equal(spdkconf_find_bdev(cfg, "Malloc0", &b), 0);
	assert_int_equal(b.size_mb, 64);
	assert_int_equal(cfg->model->nports, 1); /* the discovery listener is not a subsystem port */
	assert_string_equal(attrs_get(&cfg->model->ports[0].attrs, "param_max_queue_size"), "128");
	/* nvmf_subsystem_listener_set_ana_state: one Listen line with the state */
	assert_string_equal(cfg->model->ports[0].ana_state, "non-optimized");
	assert_non_null(strstr(conf, "Listen RDMA 192.168.20.200:4791 non-optimized\n"));
	/* nvmf_discovery_add_referral: a discovery referral is imported, one to a subsystem said not to be */
	assert_int_equal(cfg->model->ports[0].nrefs, 2);
	assert_string_equal(attrs_get(&cfg->model->ports[0].refs[0].attrs, "addr_traddr"), "192.168.30.200");
	assert_non_null(strstr(conf, "not imported: a referral to subsystem nqn.2016-06.io.spdk:other"));
	/* SPDK's subnqn of a discovery referral (save_config writes it) is the discovery NQN: imported */
	assert_non_null(strstr(conf, "note: referral 192.168.32.200:8009 requires a secure channel"));
	/* min_cntlid/max_cntlid: the subsystem's ControllerIDs */
	assert_non_null(strstr(conf, "  ControllerIDs 1-32000\n"));
	assert_string_equal(attrs_get(&s->attrs, "attr_cntlid_max"), "32000");
	spdkconf_free(cfg);
	report_free(&rep);
	assert_int_equal(import_spdk_json("{\"foo\": 1}", &conf, &err), -EINVAL);
}

/* live -> show --json -> import --from nvmetcli -> apply: nothing to change. */
static void test_roundtrip_through_nvmetcli_json(void **state)
{
	(void)state;
	struct faketree *t = faketree_new(true);
	_cleanup_free_ char *disk = path_join(t->root, "disk.img");
	_cleanup_free_ char *text = NULL, *json = NULL, *conf = NULL, *err = NULL, *before = NULL, *after = NULL;
	struct nv_ctx *c = NULL;
	struct nv_config *cfg = NULL;
	struct nv_model *live = NULL, *imported = NULL;
	struct nv_report rep = { 0 };
	struct apply_result res;

	faketree_disk(disk);
	setenv("NVMET_CONFIGFS_ROOT", t->root, 1);
	assert_int_equal(ctx_new(&c), 0);
	c->ops = &t->ops;
	text = xasprintf("[AIO]\n  AIO %s AIO0\n[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420\n"
			 "  AllowAnyHost No\n  Host nqn.h:1\n  SN S1\n  Namespace AIO0 5\n", disk);
	assert_int_equal(spdkconf_from_text("t.conf", text, &cfg, &rep), 0);
	assert_int_equal(resolve_namespaces(c, cfg, 0, &rep), 0);
	assert_int_equal(apply_exit(engine_apply(c, cfg->model, &(struct apply_opts){ 0 }, &res), &res), EXIT_OK);
	apply_result_free(&res);
	spdkconf_free(cfg);
	before = faketree_snapshot(t);

	assert_int_equal(live_read(c, &live), 0);
	assert_int_equal(print_json(live, false, &json), 0);
	assert_int_equal(import_nvmetcli(json, &imported, &err), 0);
	assert_int_equal(print_conf(c, imported, NULL, &conf), 0);
	assert_int_equal(spdkconf_from_text("back.conf", conf, &cfg, &rep), 0);
	assert_int_equal(resolve_namespaces(c, cfg, 0, &rep), 0);
	assert_int_equal(apply_exit(engine_apply(c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	assert_int_equal(res.plan.n, 0);
	apply_result_free(&res);
	after = faketree_snapshot(t);
	assert_string_equal(before, after);
	spdkconf_free(cfg);
	model_free(live);
	model_free(imported);
	report_free(&rep);
	ctx_free(c);
	faketree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvmetcli_to_conf),
		cmocka_unit_test(test_nvmetcli_errors),
		cmocka_unit_test(test_spdk_json),
		cmocka_unit_test(test_roundtrip_through_nvmetcli_json),
	};
	return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
