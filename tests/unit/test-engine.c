/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine (parse -> live read -> diff -> plan -> execute -> rollback) against a fake configfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drain.h"
#include "engine.h"
#include "exit.h"
#include "faketree.h"
#include "print.h"
#include "role.h"
#include "util.h"

struct env {
	struct faketree *t;
	struct nv_ctx *c;
	char *disk0, *disk1;
};

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));

	e->t = faketree_new(true);
	e->c = faketree_ctx(e->t);
	e->disk0 = path_join(e->t->root, "disk0.img");
	e->disk1 = path_join(e->t->root, "disk1.img");
	faketree_disk(e->disk0);
	faketree_disk(e->disk1);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	ctx_free(e->c);
	faketree_free(e->t);
	free(e->disk0);
	free(e->disk1);
	free(e);
	return 0;
}

/* A config in SPDK format over the two AIO files; extra is appended to [Subsystem1]. */
static char *conf_text(struct env *e, const char *listen, const char *aio, const char *extra)
{
	return xasprintf("[Nvmf]\n  MaxQueuesPerSession 4\n  MaxQueueDepth 64\n"
			 "[AIO]\n  AIO %s AIO0\n  AIO %s AIO1\n"
			 "[Subsystem1]\n  NQN nqn.2016-06.io.spdk:cnode1\n  Listen %s\n  SN SPDK00000000000001\n"
			 "  Namespace %s 1\n%s",
			 e->disk0, e->disk1, listen, aio, extra);
}

static struct nv_config *load(struct env *e, const char *text)
{
	struct nv_config *cfg = faketree_load(e->c, text);

	assert_non_null(cfg);
	return cfg;
}

/* Apply text; returns the exit code and the number of writes in *writes. */
static int apply(struct env *e, const char *text, size_t *writes)
{
	struct nv_config *cfg = load(e, text);
	struct apply_result res;
	int r = apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ 0 }, &res), &res);

	if (writes)
		*writes = res.exec.writes;
	apply_result_free(&res);
	spdkconf_free(cfg);
	return r;
}

static size_t plan_len(struct env *e, const char *text)
{
	struct nv_config *cfg = load(e, text);
	struct apply_result res;
	size_t n;

	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	n = res.plan.n;
	apply_result_free(&res);
	spdkconf_free(cfg);
	return n;
}

static char *fread_rel(struct env *e, const char *rel)
{
	_cleanup_free_ char *p = path_join(e->t->nvmet, rel);
	char *v = NULL;
	if (read_attr(p, &v) < 0)
		return NULL;
	return v;
}

#define assert_attr(e, rel, want) do { \
	char *_v = fread_rel(e, rel); \
	assert_non_null(_v); \
	assert_string_equal(_v, want); \
	free(_v); \
} while (0)

/* A serial number is frozen once a host may have identified the subsystem: linked to a port, a change
 * is refused up front and nothing changes. Linked to none — an apply killed -9 between a subsystem's
 * mkdir and its attributes leaves the kernel's random serial number — the next apply writes it. */
static void test_frozen_serial_only_when_linked(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *linked = conf_text(e, "TCP 127.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *other = xasprintf("%s[Subsystem2]\n  NQN nqn.2016-06.io.spdk:half\n  SN HALF2\n"
					       "  AllowAnyHost Yes\n  Namespace AIO1 1\n", linked);
	_cleanup_free_ char *renamed = NULL, *half = NULL;
	char *p;

	assert_int_equal(apply(e, linked, NULL), EXIT_OK);
	renamed = xstrdup(linked);
	p = strstr(renamed, "SPDK00000000000001");
	memcpy(p, "SPDK00000000000002", 18);
	assert_int_equal(apply(e, renamed, NULL), EXIT_CONFIG);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_serial", "SPDK00000000000001");

	/* what a kill leaves: the directory, the kernel's defaults, no link */
	half = path_join(e->t->nvmet, "subsystems/nqn.2016-06.io.spdk:half");
	assert_int_equal(e->c->ops->mkdir(e->c->ops->ud, half), 0);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:half/attr_serial", "8a2c5e1f0b3d4c6e");
	assert_int_equal(apply(e, other, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:half/attr_serial", "HALF2");
	assert_int_equal(plan_len(e, other), 0);
}

static void test_apply_then_idempotent(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf_text(e, "RDMA 192.168.20.200:4791", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *before = NULL, *after = NULL;
	size_t w;

	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_true(w > 0);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_serial", "SPDK00000000000001");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_qid_max", "3");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_allow_any_host", "1");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/device_path", e->disk0);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/enable", "1");
	assert_attr(e, "ports/1/addr_trtype", "rdma");
	assert_attr(e, "ports/1/addr_traddr", "192.168.20.200");
	assert_attr(e, "ports/1/addr_trsvcid", "4791");
	assert_attr(e, "ports/1/param_max_queue_size", "64");

	before = faketree_snapshot(e->t);
	assert_int_equal(plan_len(e, text), 0);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_int_equal(w, 0);
	after = faketree_snapshot(e->t);
	assert_string_equal(before, after);
}

static void test_show_roundtrip(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf_text(e, "TCP 10.0.0.1:4420", "AIO0",
					      "  AllowAnyHost No\n  Host nqn.2014-08.org.nvmexpress:uuid:a\n"
					      "  Namespace AIO1 7\n  MN \"Model With Spaces\"\n");
	_cleanup_free_ char *shown = NULL, *json = NULL, *before = NULL, *after = NULL;
	struct nv_model *live = NULL;

	assert_int_equal(apply(e, text, NULL), EXIT_OK);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	assert_int_equal(print_json(live, false, &json), 0);
	model_free(live);
	assert_non_null(strstr(shown, "Host nqn.2014-08.org.nvmexpress:uuid:a"));
	assert_non_null(strstr(shown, "MN \"Model With Spaces\""));
	assert_non_null(strstr(json, "\"allow_any_host\": \"0\""));
	/* save carries over what lives outside configfs */
	{
		struct nv_report rep = { 0 };
		struct nv_config *keep = NULL;
		_cleanup_free_ char *saved = NULL;
		assert_int_equal(spdkconf_from_text("old.conf", "[Global]\n  ReactorMask 0x0F\n[Nvme]\n  HotplugEnable Yes\n",
						  &keep, &rep), 0);
		assert_int_equal(live_read(e->c, &live), 0);
		assert_int_equal(print_conf(e->c, live, keep, &saved), 0);
		model_free(live);
		assert_non_null(strstr(saved, "ReactorMask 0x0F"));
		assert_non_null(strstr(saved, "HotplugEnable Yes"));
		spdkconf_free(keep);
		report_free(&rep);
	}
	before = faketree_snapshot(e->t);
	/* the printed config re-applies to the identical state */
	assert_int_equal(plan_len(e, shown), 0);
	after = faketree_snapshot(e->t);
	assert_string_equal(before, after);
}

/* Apply base, then fail each operation of the apply of next in turn: each time the tree must be back
 * as base left it. */
static void assert_rollback_every_step(struct env *e, const char *base, const char *next, size_t min_ops)
{
	_cleanup_free_ char *before = NULL;
	size_t n;

	assert_int_equal(apply(e, base, NULL), EXIT_OK);
	before = faketree_snapshot(e->t);
	n = plan_len(e, next);
	assert_true(n > min_ops);
	for (size_t k = 1; k <= n; k++) {
		_cleanup_free_ char *now = NULL;

		e->t->calls = 0;
		e->t->fail_at = k;
		e->t->fail_err = EIO;
		assert_int_equal(apply(e, next, NULL), EXIT_FAILED);
		e->t->fail_at = 0;
		now = faketree_snapshot(e->t);
		if (strcmp(before, now))
			fail_msg("failing operation %zu of %zu left the tree changed:\n%s\nvs\n%s", k, n, before, now);
	}
}

/* Fail every operation of a fresh apply in turn: each time the tree must be back as it was. */
static void test_rollback_every_step(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost No\n  Host nqn.h:1\n");
	_cleanup_free_ char *next = conf_text(e, "TCP 10.0.0.2:4420", "AIO1",
					      "  AllowAnyHost Yes\n  Namespace AIO0 2\n"
					      "[Subsystem2]\n  NQN nqn.x:two\n  Listen TCP 10.0.0.2:4420\n  AllowAnyHost Yes\n"
					      "  Namespace AIO0 1\n");
	assert_rollback_every_step(e, base, next, 10);
	/* and without failures it goes through */
	assert_int_equal(apply(e, next, NULL), EXIT_OK);
	assert_int_equal(plan_len(e, next), 0);
}

static void test_namespace_device_change(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *b = conf_text(e, "TCP 10.0.0.1:4420", "AIO1", "  AllowAnyHost Yes\n");
	struct nv_config *cfg;
	struct apply_result res;

	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	cfg = load(e, b);
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	/* disable, change, enable: exactly three writes */
	assert_int_equal(res.plan.n, 3);
	assert_string_equal(res.plan.ops[0].path, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/enable");
	assert_string_equal(res.plan.ops[0].value, "0");
	assert_string_equal(res.plan.ops[1].path, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/device_path");
	assert_string_equal(res.plan.ops[2].value, "1");
	apply_result_free(&res);
	spdkconf_free(cfg);
	assert_int_equal(apply(e, b, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/device_path", e->disk1);
}

/* Two namespaces swap backing files: with the parallel executor each is replaced (rmdir, mkdir,
 * enable) with the identity and settings the hosts knew — device_uuid, device_nguid, buffered_io —
 * and a failure at any operation puts both back; one at a time (--jobs 1) they change in place. */
static void test_namespaces_replaced_keep_identity(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n  Namespace AIO1 2\n");
	_cleanup_free_ char *b = conf_text(e, "TCP 10.0.0.1:4420", "AIO1", "  AllowAnyHost Yes\n  Namespace AIO0 2\n");
	const char *ns1 = "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1";
	const char *ns2 = "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/2";
	_cleanup_free_ char *u1 = NULL, *u2 = NULL, *p1 = NULL, *p2 = NULL;
	struct nv_config *cfg;
	struct apply_result res;
	size_t rmdirs = 0, disables = 0;

	e->t->random_uuid = true;
	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	/* settings the config does not name, as an administrator may have made them */
	p1 = xasprintf("%s/%s/device_nguid", e->t->nvmet, ns1);
	p2 = xasprintf("%s/%s/buffered_io", e->t->nvmet, ns2);
	faketree_put(p1, "11111111-2222-3333-4444-555555555555\n");
	faketree_put(p2, "1\n");
	{
		_cleanup_free_ char *r1 = xasprintf("%s/device_uuid", ns1), *r2 = xasprintf("%s/device_uuid", ns2);
		u1 = fread_rel(e, r1);
		u2 = fread_rel(e, r2);
		assert_string_not_equal(u1, u2);
	}

	cfg = load(e, b);
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	for (size_t i = 0; i < res.plan.n; i++) {
		rmdirs += res.plan.ops[i].type == OP_RMDIR;
		disables += res.plan.ops[i].type == OP_WRITE && streq(res.plan.ops[i].value, "0");
	}
	assert_int_equal(rmdirs, 2);
	assert_int_equal(disables, 0);
	apply_result_free(&res);
	/* one at a time: in place */
	e->c->jobs = 1;
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	rmdirs = disables = 0;
	for (size_t i = 0; i < res.plan.n; i++) {
		rmdirs += res.plan.ops[i].type == OP_RMDIR;
		disables += res.plan.ops[i].type == OP_WRITE && streq(res.plan.ops[i].value, "0");
	}
	assert_int_equal(rmdirs, 0);
	assert_int_equal(disables, 2);
	e->c->jobs = 0;
	apply_result_free(&res);
	spdkconf_free(cfg);

	assert_rollback_every_step(e, a, b, 10);
	assert_int_equal(apply(e, b, NULL), EXIT_OK);
	{
		_cleanup_free_ char *r1 = xasprintf("%s/device_uuid", ns1), *r2 = xasprintf("%s/device_uuid", ns2);
		_cleanup_free_ char *g1 = xasprintf("%s/device_nguid", ns1), *b2 = xasprintf("%s/buffered_io", ns2);
		_cleanup_free_ char *d1 = xasprintf("%s/device_path", ns1), *d2 = xasprintf("%s/device_path", ns2);
		_cleanup_free_ char *e1 = xasprintf("%s/enable", ns1), *e2 = xasprintf("%s/enable", ns2);
		assert_attr(e, r1, u1);
		assert_attr(e, r2, u2);
		assert_attr(e, g1, "11111111-2222-3333-4444-555555555555");
		assert_attr(e, b2, "1");
		assert_attr(e, d1, e->disk1);
		assert_attr(e, d2, e->disk0);
		assert_attr(e, e1, "1");
		assert_attr(e, e2, "1");
	}
	assert_int_equal(plan_len(e, b), 0);
}

static void test_port_address_change_keeps_id(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "RDMA 192.168.20.200:4791", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *b = conf_text(e, "RDMA 192.168.20.201:4791", "AIO0", "  AllowAnyHost Yes\n");
	struct nv_config *cfg;
	struct apply_result res;

	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	cfg = load(e, b);
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	assert_int_equal(res.plan.n, 3); /* unlink, write traddr, relink */
	assert_int_equal(res.plan.ops[0].type, OP_UNLINK);
	assert_string_equal(res.plan.ops[1].path, "ports/1/addr_traddr");
	assert_int_equal(res.plan.ops[2].type, OP_LINK);
	apply_result_free(&res);
	spdkconf_free(cfg);
	assert_int_equal(apply(e, b, NULL), EXIT_OK);
	assert_attr(e, "ports/1/addr_traddr", "192.168.20.201");
}

static void test_waiting_port_does_not_roll_back(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "RDMA 192.0.2.77:4420", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *link = NULL;
	struct stat st;

	e->t->no_addr = xstrdup("192.0.2.77");
	assert_int_equal(apply(e, a, NULL), EXIT_WAITING);
	/* everything else is there */
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/enable", "1");
	assert_attr(e, "ports/1/addr_traddr", "192.0.2.77");
	link = path_join(e->t->nvmet, "ports/1/subsystems/nqn.2016-06.io.spdk:cnode1");
	assert_int_not_equal(lstat(link, &st), 0);
	/* once the address exists the same apply completes the port */
	free(e->t->no_addr);
	e->t->no_addr = NULL;
	assert_int_equal(plan_len(e, a), 1);
	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	assert_int_equal(lstat(link, &st), 0);
}

static void test_acl_switch_order(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *no = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost No\n  Host nqn.h:1\n");
	_cleanup_free_ char *yes = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n  Host nqn.h:1\n");

	assert_int_equal(apply(e, no, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_allow_any_host", "0");
	{
		_cleanup_free_ char *h = path_join(e->t->nvmet, "hosts/nqn.h:1");
		_cleanup_free_ char *l = path_join(e->t->nvmet, "subsystems/nqn.2016-06.io.spdk:cnode1/allowed_hosts/nqn.h:1");
		struct stat st;
		assert_int_equal(stat(h, &st), 0);
		assert_int_equal(lstat(l, &st), 0);
	}
	/* the fake refuses allow_any_host=1 while hosts are linked: the plan must unlink first */
	assert_int_equal(apply(e, yes, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_allow_any_host", "1");
	assert_int_equal(apply(e, no, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_allow_any_host", "0");
}

static void test_clear(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost No\n  Host nqn.h:1\n");
	_cleanup_free_ char *empty = NULL, *snap = NULL;
	struct apply_result res;

	empty = faketree_snapshot(e->t);
	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	assert_int_equal(apply_exit(engine_apply(e->c, NULL, &(struct apply_opts){ 0 }, &res), &res), EXIT_OK);
	apply_result_free(&res);
	snap = faketree_snapshot(e->t);
	assert_string_equal(snap, empty);
}

static void test_kernel_without_optional_attr(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n");
	size_t w;

	e->t->v612 = false; /* 6.1: no param_max_queue_size */
	assert_int_equal(apply(e, a, &w), EXIT_OK);
	assert_null(fread_rel(e, "ports/1/param_max_queue_size"));
	assert_int_equal(plan_len(e, a), 0);
	assert_int_equal(apply(e, a, &w), EXIT_OK);
	assert_int_equal(w, 0);
}

/* [SubsystemN] ControllerIDs: written on a new subsystem, moved to a disjoint range in a safe order,
 * shown by show (and the kernel's default range not). */
static void test_subsystem_cntlids(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *a = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n  ControllerIDs 100-200\n");
	_cleanup_free_ char *b = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n  ControllerIDs 300-400\n");
	_cleanup_free_ char *shown = NULL;
	struct nv_model *live = NULL;

	assert_int_equal(apply(e, a, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_min", "100");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_max", "200");
	assert_int_equal(apply(e, b, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_min", "300");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_max", "400");
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	model_free(live);
	assert_non_null(strstr(shown, "  ControllerIDs 300-400\n"));
	assert_int_equal(plan_len(e, shown), 0);
}

/* [Discovery]: a unique discovery NQN (written first) and referrals on every port, diffed like the
 * rest: re-applied with 0 writes, shown, removed before their port, rolled back at every step. */
static void test_discovery(void **state)
{
	struct env *e = *state;
	static const char disc[] = "[Discovery]\n  NQN nqn.2014-08.org.example:discovery\n"
				   "  Referral TCP 192.168.30.200:4420\n  Referral RDMA [fe80::1]:4420\n";
	_cleanup_free_ char *base = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n");
	_cleanup_free_ char *text = conf_text(e, "TCP 10.0.0.1:4420", "AIO0",
					      "  AllowAnyHost Yes\n  Listen RDMA 10.0.0.2:4420\n");
	_cleanup_free_ char *full = xasprintf("%s%s", text, disc);
	_cleanup_free_ char *one = xasprintf("%s[Discovery]\n  Referral TCP 192.168.30.200:4420\n", text);
	_cleanup_free_ char *before = NULL, *shown = NULL, *json = NULL, *empty = faketree_snapshot(e->t);
	struct nv_model *live = NULL;
	struct apply_result res;
	size_t w;

	/* rollback at every operation of the apply that adds them */
	assert_rollback_every_step(e, base, full, 12);
	assert_int_equal(apply(e, full, &w), EXIT_OK);
	assert_attr(e, "discovery_nqn", "nqn.2014-08.org.example:discovery");
	for (unsigned port = 1; port <= 2; port++) {
		_cleanup_free_ char *r1 = xasprintf("ports/%u/referrals/tcp-192.168.30.200-4420/addr_traddr", port);
		_cleanup_free_ char *r1e = xasprintf("ports/%u/referrals/tcp-192.168.30.200-4420/enable", port);
		_cleanup_free_ char *r2 = xasprintf("ports/%u/referrals/rdma-fe80::1-4420/addr_adrfam", port);
		_cleanup_free_ char *r2t = xasprintf("ports/%u/referrals/rdma-fe80::1-4420/addr_trtype", port);
		assert_attr(e, r1, "192.168.30.200");
		assert_attr(e, r1e, "1");
		assert_attr(e, r2, "ipv6");
		assert_attr(e, r2t, "rdma");
	}
	assert_int_equal(plan_len(e, full), 0);
	assert_int_equal(apply(e, full, &w), EXIT_OK);
	assert_int_equal(w, 0);

	/* show and JSON carry them; what show prints re-applies to the same state */
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	assert_int_equal(print_json(live, false, &json), 0);
	model_free(live);
	assert_non_null(strstr(shown, "[Discovery]\n  NQN nqn.2014-08.org.example:discovery\n"));
	assert_non_null(strstr(shown, "  Referral TCP 192.168.30.200:4420\n"));
	assert_non_null(strstr(shown, "  Referral RDMA [fe80::1]:4420\n"));
	assert_non_null(strstr(json, "\"discovery_nqn\": \"nqn.2014-08.org.example:discovery\""));
	assert_non_null(strstr(json, "\"name\": \"tcp-192.168.30.200-4420\""));
	assert_int_equal(plan_len(e, shown), 0);

	/* one referral less: it goes from both ports, nothing else is written */
	assert_int_equal(plan_len(e, one), 2);
	assert_int_equal(apply(e, one, NULL), EXIT_OK);
	assert_null(fread_rel(e, "ports/1/referrals/rdma-fe80::1-4420/enable"));
	assert_attr(e, "ports/2/referrals/tcp-192.168.30.200-4420/enable", "1");
	/* no NQN line: the discovery NQN is left as it is */
	assert_attr(e, "discovery_nqn", "nqn.2014-08.org.example:discovery");

	/* clear removes referrals before their ports */
	assert_int_equal(apply_exit(engine_apply(e->c, NULL, &(struct apply_opts){ 0 }, &res), &res), EXIT_OK);
	apply_result_free(&res);
	free(before);
	before = faketree_snapshot(e->t);
	(void)empty;
	assert_null(strstr(before, "/ports/1"));
	assert_null(strstr(before, "/ports/2"));
}

/* A kernel without the root discovery_nqn (Debian's 6.1): exit 2, nothing changed. */
static void test_discovery_nqn_old_kernel(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf_text(e, "TCP 10.0.0.1:4420", "AIO0",
					      "  AllowAnyHost Yes\n[Discovery]\n  NQN nqn.2014-08.org.example:disc\n");
	_cleanup_free_ char *before = NULL, *after = NULL;
	_cleanup_free_ char *p = path_join(e->t->nvmet, "discovery_nqn");

	unlink(p);
	before = faketree_snapshot(e->t);
	assert_int_equal(apply(e, text, NULL), EXIT_CONFIG);
	after = faketree_snapshot(e->t);
	assert_string_equal(before, after);
}

/* ANA: a Listen line's state goes to the port's group 1 without unlinking anything; a drain keeps it
 * inaccessible through re-applies until resume; show never turns a drain into configuration. */
/* nvmetcfg role: unpromoted holds every port at the standby state (the most restrictive wins), promoted
 * gives the Listen lines' states back, a drain still wins; show never saves the role's states. */
static void test_role(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf_text(e, "TCP 10.0.0.1:4420", "AIO0",
					      "  AllowAnyHost Yes\n  Listen TCP 10.0.0.2:4420 non-optimized\n");
	_cleanup_free_ char *shown = NULL, *key = NULL;
	struct nv_role_rec r = { .role = ROLE_UNPROMOTED, .standby = "inaccessible" }, got;
	struct nv_model *live = NULL;
	size_t w;

	assert_int_equal(role_read(e->c, &got), 0);
	assert_int_equal(got.role, ROLE_NONE);
	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "inaccessible");
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "inaccessible");
	assert_int_equal(plan_len(e, text), 0);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	model_free(live);
	assert_null(strstr(shown, "inaccessible"));	/* operational, not configuration */

	r.standby = "non-optimized";	/* shared storage: the standby carries I/O if it must */
	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_int_equal(w, 2);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "non-optimized");
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "non-optimized");

	r.role = ROLE_PROMOTED;
	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "optimized");
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "non-optimized");
	assert_int_equal(drain_parse("10.0.0.1:4420", &key), 0);
	assert_int_equal(drain_set(e->c, key, true), 0);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "inaccessible");	/* the drain wins */
	assert_int_equal(drain_set(e->c, key, false), 0);

	r.role = ROLE_NONE;
	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(role_read(e->c, &got), 0);
	assert_int_equal(got.role, ROLE_NONE);
	assert_int_equal(apply(e, text, &w), EXIT_OK);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "optimized");
}

/* Controller-ID ranges: from the role record or [Cluster] ControllerIDs (which wins); moving the range
 * above the current one writes max first (the kernel checks each against the other). */
static void test_cntlid_ranges(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n");
	struct nv_role_rec r = { .role = ROLE_UNPROMOTED, .standby = "inaccessible", .cntlid_min = 1, .cntlid_max = 32759 };
	unsigned lo, hi;

	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(apply(e, text, NULL), EXIT_OK);
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_min", "1");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_max", "32759");
	r.cntlid_min = 32760;
	r.cntlid_max = 65519;
	assert_int_equal(role_write(e->c, &r), 0);
	assert_int_equal(apply(e, text, NULL), EXIT_OK);	/* min first would be refused (32760 >= 32759) */
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_min", "32760");
	assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode1/attr_cntlid_max", "65519");
	{
		_cleanup_free_ char *cl = xasprintf("[Cluster]\n  ControllerIDs 100-200\n[AIO]\n  AIO %s AIO0\n"
						    "[Subsystem1]\n  NQN nqn.2016-06.io.spdk:cnode2\n  Listen TCP 10.0.0.1:4420\n"
						    "  SN SPDK00000000000001\n  MN nvmetd-ha\n  AllowAnyHost Yes\n"
						    "  Namespace AIO0 1 4a6f2a30-7c1e-4d2b-9b8e-2f3c4d5e6f70\n", e->disk0);
		assert_int_equal(apply(e, cl, NULL), EXIT_OK);
		assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode2/attr_cntlid_min", "100");
		assert_attr(e, "subsystems/nqn.2016-06.io.spdk:cnode2/attr_cntlid_max", "200");
	}
	assert_int_equal(role_parse_range("1-65519", &lo, &hi), 0);
	assert_int_equal(role_parse_range("5-5", &lo, &hi), -ERANGE);
	assert_int_equal(role_parse_range("0-10", &lo, &hi), -ERANGE);
	assert_int_equal(role_parse_range("1-65520", &lo, &hi), -ERANGE);
	assert_int_equal(role_parse_range("1-", &lo, &hi), -EINVAL);
	assert_int_equal(role_parse_range("x-3", &lo, &hi), -EINVAL);
	/* a record that does not parse is reported and counts as none */
	{
		_cleanup_free_ char *f = path_join(e->c->rundir, "role");
		faketree_put(f, "role leader\n");
		assert_int_equal(role_read(e->c, &r), -EINVAL);
		assert_int_equal(r.role, ROLE_NONE);
	}
}

static void test_ana_and_drain(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *opt = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost Yes\n  Listen TCP 10.0.0.2:4420\n");
	_cleanup_free_ char *nonopt = conf_text(e, "TCP 10.0.0.1:4420 non_optimized", "AIO0",
						"  AllowAnyHost Yes\n  Listen TCP 10.0.0.2:4420\n");
	_cleanup_free_ char *shown = NULL, *key = NULL;
	struct nv_model *live = NULL;
	struct nv_config *cfg = NULL;
	struct exec_result er;
	char **ports = NULL;
	size_t w, nports = 0;

	assert_int_equal(apply(e, opt, &w), EXIT_OK);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "optimized");
	assert_int_equal(plan_len(e, nonopt), 1);	/* one write; no unlink/relink */
	assert_int_equal(apply(e, nonopt, &w), EXIT_OK);
	assert_int_equal(w, 1);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "non-optimized");
	{
		_cleanup_free_ char *lp = path_join(e->t->nvmet, "ports/1/subsystems/nqn.2016-06.io.spdk:cnode1");
		struct stat st;
		assert_int_equal(lstat(lp, &st), 0);	/* still linked: no cycle for an ANA change */
	}
	assert_int_equal(plan_len(e, nonopt), 0);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	model_free(live);
	assert_non_null(strstr(shown, "Listen TCP 10.0.0.1:4420 non-optimized\n"));
	assert_non_null(strstr(shown, "Listen TCP 10.0.0.2:4420\n"));
	assert_int_equal(plan_len(e, shown), 0);

	/* drain 10.0.0.2:4420 */
	assert_int_equal(drain_parse("10.0.0.2:4420", &key), 0);
	assert_int_equal(engine_drain(e->c, key, true, NULL, NULL, &er, &ports, &nports), 0);
	exec_result_free(&er);
	assert_int_equal(nports, 1);
	assert_string_equal(ports[0], "port 2 (tcp ipv4 10.0.0.2 4420): optimized -> inaccessible");
	strv_free(ports, nports), ports = NULL, nports = 0;
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "inaccessible");
	/* re-applying the file leaves it drained (nothing to write), and show does not save the drain */
	assert_int_equal(plan_len(e, nonopt), 0);
	assert_int_equal(apply(e, nonopt, &w), EXIT_OK);
	assert_int_equal(w, 0);
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "inaccessible");
	free(shown);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
	model_free(live);
	assert_non_null(strstr(shown, "Listen TCP 10.0.0.2:4420\n"));
	/* resume: the configured state comes back */
	cfg = load(e, nonopt);
	assert_int_equal(engine_drain(e->c, key, false, cfg->model, NULL, &er, &ports, &nports), 0);
	exec_result_free(&er);
	strv_free(ports, nports), ports = NULL, nports = 0;
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "optimized");
	assert_false(drain_has(e->c, key));
	spdkconf_free(cfg);
	/* resume of port 1 after a drain: its configured non-optimized */
	free(key);
	assert_int_equal(drain_parse("10.0.0.1:4420", &key), 0);
	assert_int_equal(engine_drain(e->c, key, true, NULL, NULL, &er, &ports, &nports), 0);
	exec_result_free(&er);
	strv_free(ports, nports), ports = NULL, nports = 0;
	cfg = load(e, nonopt);
	assert_int_equal(engine_drain(e->c, key, false, cfg->model, NULL, &er, &ports, &nports), 0);
	exec_result_free(&er);
	strv_free(ports, nports), ports = NULL, nports = 0;
	spdkconf_free(cfg);
	assert_attr(e, "ports/1/ana_groups/1/ana_state", "non-optimized");
	/* an address no port has; a failed write leaves no drain behind */
	free(key);
	assert_int_equal(drain_parse("[fe80::0:1]:4420", &key), 0);
	assert_string_equal(key, "[fe80::1]:4420");
	assert_int_equal(engine_drain(e->c, key, true, NULL, NULL, &er, &ports, &nports), -ENOENT);
	exec_result_free(&er);
	free(key);
	assert_int_equal(drain_parse("10.0.0.2:4420", &key), 0);
	e->t->calls = 0;
	e->t->fail_at = 1;
	e->t->fail_err = EIO;
	assert_int_equal(engine_drain(e->c, key, true, NULL, NULL, &er, &ports, &nports), -EIO);
	e->t->fail_at = 0;
	exec_result_free(&er);
	strv_free(ports, nports);
	assert_false(drain_has(e->c, key));
	assert_attr(e, "ports/2/ana_groups/1/ana_state", "optimized");
	assert_int_equal(drain_parse("10.0.0.2", &key), -EINVAL);
	assert_int_equal(drain_parse("fe80::1:4420", &key), -EINVAL);
}

static int apply_keep_going(struct env *e, const char *text, struct apply_result *res)
{
	struct nv_config *cfg = load(e, text);
	int r = apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = true }, res), res);
	spdkconf_free(cfg);
	return r;
}

/* --keep-going / nvmetd: a namespace the kernel refuses is rolled back alone; its subsystem serves
 * its other namespaces, the other subsystem and the port are applied; fixing it later writes only
 * that namespace. */
static void test_keep_going_isolates_namespace(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *late = path_join(e->t->root, "late.img");
	_cleanup_free_ char *text = NULL, *snap = NULL;
	struct nv_config *cfg;
	struct apply_result res;

	faketree_disk(late);
	text = xasprintf("[AIO]\n  AIO %s AIO0\n  AIO %s LATE\n"
			 "[Subsystem1]\n  NQN nqn.x:one\n  Listen TCP 10.0.0.1:4420\n  AllowAnyHost Yes\n"
			 "  Namespace AIO0 1\n  Namespace LATE 2\n"
			 "[Subsystem2]\n  NQN nqn.x:two\n  Listen TCP 10.0.0.1:4420\n  AllowAnyHost Yes\n  Namespace AIO0 1\n",
			 e->disk0, late);
	cfg = load(e, text);
	unlink(late); /* gone between resolving and enabling: the kernel refuses to enable it */
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = true }, &res), &res), EXIT_PARTIAL);
	assert_int_equal(res.exec.nfailed, 1);
	assert_string_equal(res.exec.failed[0].unit, "subsystems/nqn.x:one/namespaces/2");
	assert_int_equal(res.exec.failed[0].err, -ENOENT);
	assert_non_null(strstr(res.exec.failed[0].msg, late));
	assert_non_null(strstr(res.exec.failed[0].msg, "No such file or directory"));
	apply_result_free(&res);
	spdkconf_free(cfg);
	assert_null(fread_rel(e, "subsystems/nqn.x:one/namespaces/2/enable")); /* rolled back: rmdir'd */
	assert_attr(e, "subsystems/nqn.x:one/namespaces/1/enable", "1");
	assert_attr(e, "subsystems/nqn.x:two/namespaces/1/enable", "1");
	{
		_cleanup_free_ char *l1 = path_join(e->t->nvmet, "ports/1/subsystems/nqn.x:one");
		_cleanup_free_ char *l2 = path_join(e->t->nvmet, "ports/1/subsystems/nqn.x:two");
		struct stat st;
		assert_int_equal(lstat(l1, &st), 0);
		assert_int_equal(lstat(l2, &st), 0);
	}
	/* without --keep-going the same failure rolls everything back */
	snap = faketree_snapshot(e->t);
	/* the file appears: the next apply touches that namespace only */
	faketree_disk(late);
	cfg = load(e, text);
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	assert_true(res.plan.n > 0);
	for (size_t i = 0; i < res.plan.n; i++)
		assert_true(op_affects(&res.plan.ops[i], "subsystems/nqn.x:one/namespaces/2"));
	apply_result_free(&res);
	/* held (nvmetd between retries): not touched at all */
	{
		char *held[] = { "subsystems/nqn.x:one/namespaces/2" };
		_cleanup_free_ char *now = NULL;
		assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = true, .held = held,
										.nheld = 1 }, &res), &res), EXIT_OK);
		assert_int_equal(res.exec.writes, 0);
		assert_true(res.exec.held_ops > 0);
		apply_result_free(&res);
		now = faketree_snapshot(e->t);
		assert_string_equal(snap, now);
	}
	assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = true }, &res), &res), EXIT_OK);
	assert_int_equal(res.exec.nfailed, 0);
	apply_result_free(&res);
	spdkconf_free(cfg);
	assert_attr(e, "subsystems/nqn.x:one/namespaces/2/enable", "1");
	assert_int_equal(plan_len(e, text), 0);
}

/* Fail every operation in turn with keep_going: the failing object is exactly as before, and
 * everything else is applied (what is left to do concerns that object only). */
static void test_keep_going_every_step(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf_text(e, "TCP 10.0.0.1:4420", "AIO0", "  AllowAnyHost No\n  Host nqn.h:1\n");
	_cleanup_free_ char *next = conf_text(e, "TCP 10.0.0.2:4420", "AIO1",
					      "  AllowAnyHost No\n  Host nqn.h:2\n  Namespace AIO0 2\n"
					      "[Subsystem2]\n  NQN nqn.x:two\n  Listen TCP 10.0.0.2:4420\n  Listen RDMA 10.0.0.3:4420\n"
					      "  AllowAnyHost Yes\n  Namespace AIO0 1\n");
	size_t n;

	assert_int_equal(apply(e, base, NULL), EXIT_OK);
	n = plan_len(e, next);
	assert_true(n > 15);
	for (size_t k = 1; k <= n; k++) {
		_cleanup_free_ char *before = NULL, *after = NULL, *b = NULL, *a = NULL, *unit = NULL;
		struct apply_result res;
		struct nv_config *cfg;

		assert_int_equal(apply(e, base, NULL), EXIT_OK);
		before = faketree_snapshot(e->t);
		e->t->calls = 0;
		e->t->fail_at = k;
		e->t->fail_err = EIO;
		assert_int_equal(apply_keep_going(e, next, &res), EXIT_PARTIAL);
		e->t->fail_at = 0;
		assert_int_equal(res.exec.nfailed, 1);
		unit = xstrdup(res.exec.failed[0].unit);
		apply_result_free(&res);
		after = faketree_snapshot(e->t);
		b = faketree_subtree(before, unit);
		a = faketree_subtree(after, unit);
		if (strcmp(a, b))
			fail_msg("failing operation %zu (%s): the object is not as before:\n%s\nvs\n%s", k, unit, b, a);
		cfg = load(e, next);
		assert_int_equal(apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
		for (size_t i = 0; i < res.plan.n; i++)
			if (!op_affects(&res.plan.ops[i], unit))
				fail_msg("failing operation %zu (%s): %s %s was not applied", k, unit,
					 op_name(res.plan.ops[i].type), res.plan.ops[i].path);
		apply_result_free(&res);
		spdkconf_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_then_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen_serial_only_when_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_every_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespace_device_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces_replaced_keep_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_address_change_keeps_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_port_does_not_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acl_switch_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subsystem_cntlids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ana_and_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cntlid_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery_nqn_old_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_optional_attr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going_isolates_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going_every_step, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
