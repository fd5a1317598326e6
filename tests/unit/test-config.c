/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK nvmf.conf semantics: the guide's file, what each key maps to, and every class of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "spdkconf.h"
#include "util.h"

static char *guide;

static int load_guide(void **state)
{
	(void)state;
	assert_int_equal(read_file(SRCDIR "/conf/nvmf.conf", &guide, NULL), 0);
	return 0;
}

static int free_guide(void **state)
{
	(void)state;
	free(guide);
	return 0;
}

static const struct nv_diag *find_diag(const struct nv_report *r, unsigned line, enum nv_severity sev)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->d[i].line == line && r->d[i].sev == sev)
			return &r->d[i];
	return NULL;
}

static void test_guide(void **state)
{
	(void)state;
	struct nv_report rep = { .explain = true };
	struct nv_config *c = NULL;
	struct nv_subsys *s;
	struct nv_port *p;
	struct nv_bdev b;

	assert_int_equal(spdkconf_from_text("nvmf.conf", guide, &c, &rep), 0);
	assert_int_equal(report_count(&rep, NV_ERROR), 0);
	assert_int_equal(c->model->nsubsys, 1);
	s = &c->model->subsys[0];
	assert_string_equal(s->nqn, "nqn.2016-06.io.spdk:cnode1");
	assert_string_equal(attrs_get(&s->attrs, "attr_serial"), "SPDK00000000000001");
	assert_string_equal(attrs_get(&s->attrs, "attr_allow_any_host"), "1");
	assert_string_equal(attrs_get(&s->attrs, "attr_qid_max"), "3");
	/* AllowAnyHost Yes wins: no host objects, no allowed_hosts links, and a warning on the Host line */
	assert_int_equal(s->nhosts, 0);
	assert_int_equal(c->model->nhosts, 0);
	assert_non_null(find_diag(&rep, 23, NV_WARN));
	assert_non_null(strstr(find_diag(&rep, 23, NV_WARN)->msg, "AllowAnyHost Yes"));
	assert_int_equal(s->nns, 1);
	assert_int_equal(s->ns[0].nsid, 1);
	assert_int_equal(spdkconf_find_bdev(c, s->ns[0].bdev, &b), 0);
	assert_int_equal(b.kind, BDEV_NVME);
	assert_string_equal(b.bdf, "0000:04:00.0");
	assert_int_equal(b.nsid, 1);
	assert_int_equal(c->model->nports, 1);
	p = &c->model->ports[0];
	assert_string_equal(attrs_get(&p->attrs, "addr_trtype"), "rdma");
	assert_string_equal(attrs_get(&p->attrs, "addr_adrfam"), "ipv4");
	assert_string_equal(attrs_get(&p->attrs, "addr_traddr"), "192.168.20.200");
	assert_string_equal(attrs_get(&p->attrs, "addr_trsvcid"), "4791");
	/* MaxQueueDepth 1024 over RDMA: capped to what nvmet-rdma keeps, applied only where the file exists */
	assert_string_equal(attrs_get(&p->attrs, "param_max_queue_size"), "128");
	assert_true(attrs_find(&p->attrs, "param_max_queue_size")->optional);
	assert_int_equal(p->nsubsys, 1);
	assert_true(c->has_reactor_mask);
	assert_string_equal(c->reactor_mask, "0x0F");
	/* every key is explained: applied or not applicable */
	assert_non_null(find_diag(&rep, 9, NV_NOT_APPLICABLE));	 /* AcceptorPollRate */
	for (unsigned l = 13; l <= 16; l++)
		assert_non_null(find_diag(&rep, l, NV_NOT_APPLICABLE)); /* RetryCount..AdminPollRate */
	assert_non_null(find_diag(&rep, 4, NV_APPLIED));	 /* ReactorMask */
	assert_non_null(find_diag(&rep, 17, NV_APPLIED));	 /* HotplugEnable */
	report_free(&rep);
	spdkconf_free(c);
}

/* Each bad input gives an error on the right line that names the problem. */
static void expect_error(const char *text, unsigned line, const char *needle, bool strict)
{
	struct nv_report rep = { .strict = strict };
	struct nv_config *c = NULL;
	const struct nv_diag *d;

	assert_int_equal(spdkconf_from_text("bad.conf", text, &c, &rep), -EINVAL);
	assert_null(c);
	d = find_diag(&rep, line, NV_ERROR);
	if (!d || !strstr(d->msg, needle)) {
		for (size_t i = 0; i < rep.n; i++)
			print_message("  %u: %d %s\n", rep.d[i].line, rep.d[i].sev, rep.d[i].msg);
		fail_msg("no error at line %u containing '%s'", line, needle);
	}
	report_free(&rep);
}

#define SUB "[Subsystem1]\n  NQN nqn.2016-06.io.spdk:cnode1\n  SN S1\n  AllowAnyHost Yes\n"

/* [Cluster]: nothing of the identity left to each node's kernel; the missing key named at its line. */
static void test_cluster_identity(void **state)
{
	static const char ok[] = "[Cluster]\n  ControllerIDs 1-32759\n[AIO]\n  AIO /dev/sdb AIO0\n"
				 "[Subsystem1]\n  NQN nqn.2016-06.io.spdk:cnode1\n  SN S1\n  MN nvmetd-ha\n"
				 "  AllowAnyHost Yes\n  Namespace AIO0 1 4a6f2a30-7c1e-4d2b-9b8e-2f3c4d5e6f70\n";
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;

	(void)state;
	assert_int_equal(spdkconf_from_text("ok.conf", ok, &c, &rep), 0);
	assert_true(c->cluster);
	assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_cntlid_min"), "1");
	assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_cntlid_max"), "32759");
	report_free(&rep);
	spdkconf_free(c);
	expect_error("[Cluster]\n[Subsystem1]\n  NQN nqn.2016-06.io.spdk:cnode1\n  MN m\n  AllowAnyHost Yes\n", 2,
		     "has no SN: with [Cluster] (line 1)", false);
	expect_error("[Cluster]\n" SUB, 2, "has no MN", false);
	expect_error("[Cluster]\n[AIO]\n  AIO /dev/sdb AIO0\n" SUB "  MN m\n  Namespace AIO0\n", 9,
		     "has no namespace ID", false);
	expect_error("[Cluster]\n[AIO]\n  AIO /dev/sdb AIO0\n" SUB "  MN m\n  Namespace AIO0 1\n", 9,
		     "has no UUID", false);
	expect_error("[Cluster]\n  ControllerIDs 10-10\n", 2, "not a controller-ID range", false);
	expect_error("[Cluster]\n  ControllerIDs 1-65520\n", 2, "not a controller-ID range", false);
	/* a subsystem's own range: not with [Cluster] (the same on every node) */
	expect_error("[Cluster]\n" SUB "  MN m\n  ControllerIDs 1-100\n", 7, "cannot be given with [Cluster] (bad.conf line 1)",
		     false);
}

/* [SubsystemN] ControllerIDs: SPDK's min_cntlid/max_cntlid for one subsystem. */
static void test_subsystem_cntlids(void **state)
{
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;

	(void)state;
	assert_int_equal(spdkconf_from_text("ok.conf", SUB "  ControllerIDs 100-200\n", &c, &rep), 0);
	assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_cntlid_min"), "100");
	assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_cntlid_max"), "200");
	report_free(&rep);
	spdkconf_free(c);
	expect_error(SUB "  ControllerIDs 7-7\n", 5, "not a controller-ID range", false);
	expect_error(SUB "  ControllerIDs 0-9\n", 5, "not a controller-ID range", false);
	expect_error(SUB "  ControllerIDs 1-9\n  ControllerIDs 1-9\n", 6, "given twice", false);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	expect_error(SUB "  Listen RDMA 192.168.20.300:4420\n", 5, "not an IP address", false);
	expect_error(SUB "  Listen RDMA 192.168.20.1\n", 5, "no :port", false);
	expect_error(SUB "  Listen RDMA 192.168.20.1:70000\n", 5, "not a port number", false);
	expect_error(SUB "  Listen FC nn-0x1:pn-0x2\n", 5, "not supported", false);
	expect_error(SUB "  Namespace Nvme0n1 1\n", 5, "bdev 'Nvme0n1' is not defined", false);
	expect_error("[AIO]\n  AIO /dev/sdb AIO0\n" SUB "  Namespace AIO0 1\n  Namespace AIO0 2\n", 8,
		     "already namespace 1", false);
	expect_error("[AIO]\n  AIO /dev/sdb AIO0\n  AIO /dev/sdc AIO1\n" SUB "  Namespace AIO0 1\n  Namespace AIO1 1\n",
		     9, "namespace 1 is already defined", false);
	expect_error("[AIO]\n  AIO /dev/sdb AIO0\n" SUB "  Namespace AIO0 4294967295\n", 7, "not a namespace ID", false);
	expect_error("[AIO]\n  AIO relative AIO0\n", 2, "absolute path", false);
	expect_error("[Subsystem1]\n  SN S1\n", 1, "has no NQN", false);
	expect_error(SUB "  NQN nqn.other\n", 5, "already has NQN", false);
	expect_error(SUB "[Subsystem2]\n  NQN nqn.2016-06.io.spdk:cnode1\n", 6, "already used", false);
	expect_error("[Subsystem1]\n  NQN nqn.2014-08.org.nvmexpress.discovery\n", 2, "discovery NQN", false);
	expect_error("[Subsystem1]\n  NQN nqn.a/b\n", 2, "not a valid NQN", false);
	expect_error("[Subsystem1]\n  NQN nqn.x\n  SN 123456789012345678901\n", 3, "1-20 printable", false);
	expect_error(SUB "  AllowAnyHost Maybe\n", 5, "not Yes or No", false);
	expect_error("[Nvmf]\n  MaxQueuesPerSession 1\n", 2, "out of range", false);
	expect_error("[Nvmf]\n  MaxQueuesPerSession lots\n", 2, "not a number", false);
	expect_error("[Nvmf]\n  InCapsuleDataSize 4100\n", 2, "multiple of 16", false);
	expect_error("[Nvmf]\n  MaxQueueDepth\n", 2, "takes 1 value", false);
	expect_error("[Nvme]\n  TransportID \"trtype:RDMA traddr:1.2.3.4\" Nvme0\n", 2, "only local PCIe", false);
	expect_error("[Nvme]\n  TransportID \"trtype:PCIe traddr:zz\" Nvme0\n", 2, "not a PCI address", false);
	expect_error("[Transport]\n  MaxQueueDepth 64\n", 1, "has no Type", false);
	expect_error("[Transport1]\n  Type RDMA\n[Transport2]\n  Type RDMA\n", 4, "duplicate", false);
	expect_error(SUB "  Mode Direct\n", 5, "Direct mode", false);
	expect_error("[Global]\n  Frobnicate 1\n", 2, "unknown key", true);
	expect_error("[Weird]\n", 1, "not supported", true);
	expect_error("[Malloc]\n  NumberOfLuns 2\n", 2, "needs LunSizeInMB", false);
	expect_error(SUB "  Listen TCP 10.0.0.1:4420 sideways\n", 5, "not an ANA state", false);
	expect_error(SUB "  Listen TCP 10.0.0.1:4420 change\n", 5, "not an ANA state", false);
	expect_error(SUB "  Listen TCP 10.0.0.1:4420 inaccessible\n[Subsystem2]\n  NQN nqn.x:2\n  AllowAnyHost Yes\n"
		     "  Listen TCP 10.0.0.1:4420 non-optimized\n", 9, "on the same address", false);
	expect_error(SUB "[Discovery]\n  NQN nqn.2016-06.io.spdk:cnode\n", 6, "the start of) a subsystem", false);
	expect_error(SUB "[Discovery]\n  NQN nqn.2016-06.io.spdk:cnode1\n", 6, "is the NQN of the subsystem", false);
	expect_error("[Discovery]\n  NQN nqn.a:d\n  NQN nqn.a:e\n", 3, "set twice (line 2)", false);
	expect_error("[Discovery]\n  NQN \"nqn.a d\"\n", 2, "not a valid NQN", false);
	expect_error("[Discovery]\n  Referral FC 1.2.3.4:4420\n", 2, "not supported", false);
	expect_error("[Discovery]\n  Referral TCP 1.2.3.4\n", 2, "no :port", false);
	expect_error("[Discovery]\n  Referral TCP 1.2.3.4:4420\n  Referral tcp 1.2.3.4:4420\n", 3, "repeats the referral on line 2", false);
	expect_error("[AIO]\n  AIO /dev/sdb AIO0\n  AIO /dev/sdc aio0\n", 3, "already used on line 2", false);
	expect_error(SUB "[Subsystem2]\n  NQN nqn.x\n[Subsystem3]\n  NQN nqn.2016-06.io.spdk:cnode1\n", 8,
		     "already used by the subsystem on line 1", false);
}

/* A thousand tenants: every name lookup is hashed or binary-searched, and the result is the same as
 * for one — each subsystem finds its own bdev, the shared port lists each subsystem once. */
static void test_many_subsystems(void **state)
{
	(void)state;
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const unsigned n = 1000;

	fprintf(f, "[AIO]\n");
	for (unsigned i = 1; i <= n; i++)
		fprintf(f, "  AIO /srv/ns%u.img Disk%u\n", i, i);
	for (unsigned i = 1; i <= n; i++)
		fprintf(f, "[Subsystem%u]\n  NQN nqn.2016-06.io.spdk:t%u\n  SN S%u\n  Listen TCP 10.0.0.1:4420\n"
			   "  Listen TCP 10.0.0.1:4420\n  AllowAnyHost Yes\n  Namespace disk%u 1\n", i, i, i, i);
	fclose(f);
	assert_int_equal(spdkconf_from_text("many.conf", text, &c, &rep), 0);
	assert_int_equal(c->model->nsubsys, n);
	assert_int_equal(c->model->nports, 1);
	assert_int_equal(c->model->ports[0].nsubsys, n); /* the repeated Listen adds nothing */
	for (unsigned i = 1; i <= n; i++) {
		_cleanup_free_ char *nqn = xasprintf("nqn.2016-06.io.spdk:t%u", i);
		_cleanup_free_ char *path = xasprintf("/srv/ns%u.img", i);
		struct nv_subsys *s = model_subsys(c->model, nqn);
		struct nv_bdev b;

		assert_non_null(s);
		assert_string_equal(s->nqn, nqn);
		assert_true(model_list_has(c->model, c->model->ports[0].subsys, c->model->ports[0].nsubsys, nqn));
		assert_int_equal(spdkconf_find_bdev(c, s->ns[0].bdev, &b), 0);
		assert_string_equal(b.path, path);
	}
	assert_null(model_subsys(c->model, "nqn.2016-06.io.spdk:t0"));
	assert_false(model_list_has(c->model, c->model->ports[0].subsys, c->model->ports[0].nsubsys, "nqn.x"));
	spdkconf_free(c);
	report_free(&rep);
	free(text);
}

static void test_unknown_is_warning_without_strict(void **state)
{
	(void)state;
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;

	assert_int_equal(spdkconf_from_text("w.conf", "[Global]\n  Frobnicate 1\n[Weird]\n", &c, &rep), 0);
	assert_int_equal(report_count(&rep, NV_WARN), 2);
	spdkconf_free(c);
	report_free(&rep);
}

static void test_transport_overrides_and_ipv6(void **state)
{
	(void)state;
	struct nv_report rep = { 0 };
	struct nv_config *c = NULL;
	const char *text = "[Nvmf]\n  MaxQueuesPerSession 8\n  InCapsuleDataSize 4096\n"
			   "[Transport1]\n  Type TCP\n  InCapsuleDataSize 8192\n  MaxQueuesPerSession 16\n"
			   "[AIO]\n  AIO /dev/sdb AIO0\n"
			   "[Subsystem1]\n  NQN nqn.a\n  Listen TCP [fd00::1]:4420\n  Listen RDMA 10.0.0.1:4420\n"
			   "  AllowAnyHost No\n  Host nqn.h1\n  Namespace AIO0\n"
			   "[Subsystem2]\n  NQN nqn.b\n  Listen TCP [fd00::1]:4420\n  MaxQueuesPerSession 2\n  AllowAnyHost Yes\n";
	struct nv_subsys *a, *b;

	assert_int_equal(spdkconf_from_text("t.conf", text, &c, &rep), 0);
	assert_int_equal(c->model->nports, 2);
	a = model_subsys(c->model, "nqn.a");
	b = model_subsys(c->model, "nqn.b");
	assert_string_equal(attrs_get(&a->attrs, "attr_qid_max"), "15"); /* its first transport's setting */
	assert_string_equal(attrs_get(&b->attrs, "attr_qid_max"), "1");	 /* its own */
	assert_int_equal(a->ns[0].nsid, 1);				 /* omitted NSID = next free */
	assert_int_equal(a->nhosts, 1);
	assert_int_equal(c->model->nhosts, 1);
	for (size_t i = 0; i < c->model->nports; i++) {
		struct nv_port *p = &c->model->ports[i];
		if (streq(attrs_get(&p->attrs, "addr_trtype"), "tcp")) {
			assert_string_equal(attrs_get(&p->attrs, "addr_adrfam"), "ipv6");
			assert_string_equal(attrs_get(&p->attrs, "addr_traddr"), "fd00::1");
			assert_string_equal(attrs_get(&p->attrs, "param_inline_data_size"), "8192");
			assert_int_equal(p->nsubsys, 2); /* both subsystems share the one port */
		} else {
			assert_string_equal(attrs_get(&p->attrs, "param_inline_data_size"), "4096");
		}
	}
	spdkconf_free(c);
	report_free(&rep);
}

/* Every shipped example parses without errors (devices are resolved only when applied). */
static void test_shipped_examples(void **state)
{
	(void)state;
	static const char *const files[] = { "nvmf.conf", "tcp.conf", "multi.conf", "acl.conf", "nvmf.conf.default" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		_cleanup_free_ char *path = xasprintf("%s/conf/%s", SRCDIR, files[i]);
		_cleanup_free_ char *text = NULL;
		struct nv_report rep = { .strict = true };
		struct nv_config *c = NULL;

		assert_int_equal(read_file(path, &text, NULL), 0);
		if (spdkconf_from_text(path, text, &c, &rep) < 0) {
			report_print_problems(&rep, stderr);
			fail_msg("%s does not parse", files[i]);
		}
		spdkconf_free(c);
		report_free(&rep);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guide),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_unknown_is_warning_without_strict),
		cmocka_unit_test(test_transport_overrides_and_ipv6),
		cmocka_unit_test(test_shipped_examples),
		cmocka_unit_test(test_cluster_identity),
		cmocka_unit_test(test_subsystem_cntlids),
		cmocka_unit_test(test_many_subsystems),
	};
	return cmocka_run_group_tests_name("config", tests, load_guide, free_guide);
}
