/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVMe/TCP TLS: [HostN] TlsKey and Listen ... tls; the port's tsas/treq; the .nvme keyring (the
 * file-backed stand-in test roots get) — inserted once, replaced one by one, taken out — and no
 * secret in any output. Against the fake configfs, 6.12-like (ports have addr_tsas) and 6.1-like. */
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

#include "dhchap.h"
#include "engine.h"
#include "exit.h"
#include "faketree.h"
#include "import.h"
#include "print.h"
#include "tlskeys.h"
#include "util.h"

#define PSK_A "NVMeTLSkey-1:01:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:"
#define PSK_B "NVMeTLSkey-1:01:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkK9MX0g:"
#define PSK_C "NVMeTLSkey-1:02:Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDqtjS7g==:"
#define H1 "nqn.2014-08.org.nvmexpress:uuid:0b1c2d3e-0000-4000-8000-000000000001"
#define H2 "nqn.2014-08.org.nvmexpress:uuid:0b1c2d3e-0000-4000-8000-000000000002"
#define DISC "nqn.2014-08.org.nvmexpress.discovery"

struct env {
	struct faketree *t;
	struct nv_ctx *c;
	char *disk, *k1, *k2, *ring;
};

static void put_mode(const char *path, const char *text, mode_t mode)
{
	faketree_put(path, text);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup_v(void **state, bool v612)
{
	struct env *e = xcalloc(1, sizeof(*e));

	e->t = faketree_new(v612);
	e->c = faketree_ctx(e->t);
	e->disk = path_join(e->t->root, "disk.img");
	e->k1 = path_join(e->t->root, "h1.psk");
	e->k2 = path_join(e->t->root, "h2.psk");
	e->ring = xstrdup(e->c->keys->ud);
	faketree_disk(e->disk);
	put_mode(e->k1, PSK_A "\n", 0600);
	put_mode(e->k2, PSK_C "\n", 0600);
	*state = e;
	return 0;
}
static int setup(void **state) { return setup_v(state, true); }
static int setup61(void **state) { return setup_v(state, false); }

static int teardown(void **state)
{
	struct env *e = *state;
	ctx_free(e->c);
	faketree_free(e->t);
	free(e->disk);
	free(e->k1);
	free(e->k2);
	free(e->ring);
	free(e);
	return 0;
}

/* Two hosts with keys; subsystem 1 lists both, subsystem 2 only host 2; tls on 4420 when asked. */
static char *conf(struct env *e, bool tls, bool host2)
{
	return xasprintf("[AIO]\n  AIO %s D\n[Host1]\n  NQN " H1 "\n  TlsKey %s\n%s%s%s"
			 "[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420%s\n  Listen TCP 10.0.0.1:4421\n"
			 "  AllowAnyHost No\n  Host " H1 "\n%s"
			 "  Namespace D 1\n[Subsystem2]\n  NQN nqn.a:2\n  Listen TCP 10.0.0.1:4420 %s\n  AllowAnyHost No\n%s",
			 e->disk, e->k1, host2 ? "[Host2]\n  NQN " H2 "\n  TlsKey " : "", host2 ? e->k2 : "",
			 host2 ? "\n" : "", tls ? " tls" : "", host2 ? "  Host " H2 "\n" : "",
			 tls ? "inaccessible tls" : "", host2 ? "  Host " H2 "\n" : "");
}

static int apply_opts(struct env *e, const char *text, bool dry, bool verbose, size_t *n, char **printed)
{
	struct nv_config *cfg = faketree_load(e->c, text);
	struct apply_result res;
	size_t len = 0;
	FILE *f;
	int r;

	assert_non_null(cfg);
	fflush(stdout);
	r = apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = dry, .verbose = verbose }, &res),
		       &res);
	f = open_memstream(printed, &len);
	plan_print(&res.plan, f);
	tls_plan_print(&res.keys, f);
	if (res.errmsg)
		fprintf(f, "error: %s\n", res.errmsg);
	for (size_t i = 0; i < res.nwarnings; i++)
		fprintf(f, "warning: %s\n", res.warnings[i]);
	fclose(f);
	if (n)
		*n = dry ? res.plan.n + res.keys.n : res.exec.writes;
	apply_result_free(&res);
	spdkconf_free(cfg);
	return r;
}

static int apply(struct env *e, const char *text, size_t *n, char **printed)
{
	return apply_opts(e, text, false, false, n, printed);
}

static void no_secret(const char *text)
{
	if (strstr(text, "QUFBQUFB") || strstr(text, "QkJCQkJC") || strstr(text, "Q0NDQ0ND"))
		fail_msg("a secret leaked:\n%s", text);
}

/* The keyring as "serial description" lines. */
static char *ring(struct env *e)
{
	char *s = NULL;
	size_t len;
	if (read_file(e->ring, &s, &len) < 0)
		return xstrdup("");
	return s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *port_attr(struct env *e, unsigned id, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/ports/%u/%s", e->t->nvmet, id, name);
	char *v = NULL;
	return read_attr(p, &v) < 0 ? NULL : v;
}

static void test_psk_format(void **state)
{
	(void)state;
	assert_null(tls_psk_problem(PSK_A));
	assert_null(tls_psk_problem(PSK_C));
	assert_non_null(tls_psk_problem("NVMeTLSkey-1:01:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGu:")); /* CRC */
	assert_non_null(tls_psk_problem("NVMeTLSkey-1:02:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:")); /* 32 != 48 */
	assert_non_null(tls_psk_problem("NVMeTLSkey-1:03:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:"));
	assert_non_null(tls_psk_problem("DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:"));
	assert_non_null(tls_psk_problem("NVMeTLSkey-1:01:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt"));
}

static void expect_conf_error(const char *text, const char *want)
{
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	bool found = false;

	assert_int_equal(spdkconf_from_text("t.conf", text, &cfg, &rep), -EINVAL);
	for (size_t i = 0; i < rep.n; i++) {
		no_secret(rep.d[i].msg);
		found |= strstr(rep.d[i].msg, want) != NULL;
	}
	if (!found)
		fail_msg("no error with '%s' (first: %s)", want, rep.n ? rep.d[0].msg : "none");
	spdkconf_free(cfg);
	report_free(&rep);
}

static void test_dialect_errors(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *bad = path_join(e->t->root, "bad.psk");
	_cleanup_free_ char *t1 = NULL, *t2 = NULL;

	expect_conf_error("[Subsystem1]\n  NQN nqn.a:1\n  Listen RDMA 10.0.0.1:4420 tls\n", "NVMe/TCP only");
	expect_conf_error("[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420 tls tls\n", "tls twice");
	expect_conf_error("[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420 tls\n"
			  "[Subsystem2]\n  NQN nqn.a:2\n  Listen TCP 10.0.0.1:4420\n", "TLS is per address");
	expect_conf_error("[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420 optimized inaccessible\n",
			  "ANA state is given already");
	put_mode(bad, PSK_B "\n", 0644);
	t1 = xasprintf("[Host1]\n  NQN " H1 "\n  TlsKey %s\n", bad);
	expect_conf_error(t1, "chmod 600");
	put_mode(bad, "DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:\n", 0600);
	expect_conf_error(t1, "does not start with NVMeTLSkey-1:");
	t2 = xasprintf("[Host1]\n  NQN " H1 "\n  TlsKey %s\n  TlsKey %s\n", e->k1, e->k1);
	expect_conf_error(t2, "given twice");
}

/* tls after the ANA word or before it: the same port */
static void test_word_order(void **state)
{
	struct env *e = *state;
	struct nv_config *cfg = faketree_load(e->c, "[Subsystem1]\n  NQN nqn.a:1\n  AllowAnyHost Yes\n"
						   "  Listen TCP 10.0.0.1:4420 tls non-optimized\n[Subsystem2]\n  NQN nqn.a:2\n"
						   "  AllowAnyHost Yes\n  Listen TCP 10.0.0.1:4420 non-optimized TLS\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->model->nports, 1);
	assert_true(port_tls(&cfg->model->ports[0]));
	assert_string_equal(attrs_get(&cfg->model->ports[0].attrs, "addr_treq"), "required");
	spdkconf_free(cfg);
}

static void test_apply_keys_idempotent(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, true), *out = NULL, *out2 = NULL, *out3 = NULL, *kr = NULL;
	_cleanup_free_ char *tsas = NULL, *treq = NULL, *tsas2 = NULL;
	size_t n;

	assert_int_equal(apply_opts(e, text, true, false, &n, &out), EXIT_OK);
	no_secret(out);
	assert_non_null(strstr(out, "insert .nvme psk for host " H1 ", subsystem nqn.a:1 (derived from"));
	assert_int_equal(apply(e, text, &n, &out2), EXIT_OK);
	no_secret(out2);
	tsas = port_attr(e, 1, "addr_tsas");
	treq = port_attr(e, 1, "addr_treq");
	tsas2 = port_attr(e, 2, "addr_tsas");
	assert_string_equal(tsas, "tls1.3");
	assert_string_equal(treq, "required");
	assert_string_equal(tsas2, "none");
	kr = ring(e);
	/* host 1: nqn.a:1 and discovery; host 2: nqn.a:1, nqn.a:2 and discovery */
	assert_int_equal(count(kr, "NVMe1R01 " H1 " nqn.a:1 "), 1);
	assert_int_equal(count(kr, "NVMe1R01 " H1 " " DISC " "), 1);
	assert_int_equal(count(kr, "NVMe1R02 " H2 " nqn.a:1 "), 1);
	assert_int_equal(count(kr, "NVMe1R02 " H2 " nqn.a:2 "), 1);
	assert_int_equal(count(kr, "NVMe1R0"), 5);
	assert_int_equal(count(kr, H1 " nqn.a:2"), 0);
	/* again: nothing to write, no key touched */
	assert_int_equal(apply(e, text, &n, &out3), EXIT_OK);
	assert_int_equal(n, 0);
	_cleanup_free_ char *kr2 = ring(e);
	assert_string_equal(kr, kr2);
}

/* A new key in host 1's file replaces its keys; host 2's stay as they are (same serials). */
static void test_rotation_one_host(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, true), *out = NULL, *out2 = NULL, *before = NULL, *after = NULL;
	size_t n;

	assert_int_equal(apply(e, text, NULL, &out), EXIT_OK);
	before = ring(e);
	put_mode(e->k1, PSK_B "\n", 0600);
	assert_int_equal(apply(e, text, &n, &out2), EXIT_OK);
	no_secret(out2);
	assert_int_equal(n, 4);	/* two inserted, two taken out, nothing in configfs */
	after = ring(e);
	assert_int_equal(count(after, "NVMe1R0"), 5);
	for (char *l = strtok(before, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, H2))
			assert_non_null(strstr(after, l));
		else
			assert_null(strstr(after, l));
}

/* Without the tls word (and then without host 2) the keys go, and the port is plain again. */
static void test_remove_tls_and_host(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *tls = conf(e, true, true), *plain = conf(e, false, true), *one = conf(e, true, false);
	_cleanup_free_ char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *kr = NULL, *kr2 = NULL, *tsas = NULL;
	_cleanup_free_ char *treq = NULL;

	assert_int_equal(apply(e, tls, NULL, &o1), EXIT_OK);
	assert_int_equal(apply(e, one, NULL, &o2), EXIT_OK);
	kr = ring(e);
	assert_int_equal(count(kr, H2), 0);
	assert_int_equal(count(kr, H1), 2);
	assert_int_equal(apply(e, plain, NULL, &o3), EXIT_OK);
	kr2 = ring(e);
	assert_int_equal(count(kr2, "NVMe1R0"), 0);
	tsas = port_attr(e, 1, "addr_tsas");
	treq = port_attr(e, 1, "addr_treq");
	assert_string_equal(tsas, "none");
	assert_string_equal(treq, "not specified");
	assert_int_equal(apply(e, tls, NULL, &o4), EXIT_OK);
}

/* A key someone else put in .nvme for another target's subsystem is not nvmetd's. */
static void test_foreign_keys_kept(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, false), *out = NULL, *kr = NULL;

	_cleanup_free_ char *run = xstrdup(e->ring);
	*strrchr(run, '/') = '\0';
	(void)mkdir(run, 0755);
	faketree_put(e->ring, "7 NVMe1R01 " H1 " nqn.other:remote digestX=\n8 NVMe0R01 " H1 " nqn.a:1\n");
	assert_int_equal(apply(e, text, NULL, &out), EXIT_OK);
	kr = ring(e);
	assert_non_null(strstr(kr, "7 NVMe1R01 " H1 " nqn.other:remote digestX="));
	assert_non_null(strstr(kr, "8 NVMe0R01 " H1 " nqn.a:1"));
}

/* 6.1: no addr_tsas: exit 2 naming the kernel option, nothing changed (tree and keyring). */
static void test_kernel_without_tls(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, true), *out = NULL, *before = faketree_snapshot(e->t), *after = NULL;
	_cleanup_free_ char *plain = conf(e, false, true), *out2 = NULL, *kr = NULL;

	assert_int_equal(apply(e, text, NULL, &out), EXIT_CONFIG);
	assert_non_null(strstr(out, "CONFIG_NVME_TARGET_TCP_TLS"));
	after = faketree_snapshot(e->t);
	assert_string_equal(before, after);
	kr = ring(e);
	assert_string_equal(kr, "");
	/* without tls the same file applies, and 6.1's missing addr_tsas is no news */
	assert_int_equal(apply(e, plain, NULL, &out2), EXIT_OK);
	assert_null(strstr(out2, "addr_tsas"));
}

/* nvmetd's way (keep going) on 6.1: the TLS port fails alone, the rest is served. */
static void test_kernel_without_tls_keep_going(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, false), *kr = NULL;
	struct nv_config *cfg = faketree_load(e->c, text);
	struct apply_result res;
	int r;

	r = engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = true }, &res);
	assert_int_equal(r, 0);
	assert_true(res.exec.nfailed >= 1);
	bool named = false;
	for (size_t i = 0; i < res.exec.nfailed; i++)
		named |= strstr(res.exec.failed[i].msg, "CONFIG_NVME_TARGET_TCP_TLS") != NULL;
	assert_true(named);
	apply_result_free(&res);
	spdkconf_free(cfg);
	kr = ring(e);
	assert_string_equal(kr, "");
	_cleanup_free_ char *sub = path_join(e->t->nvmet, "ports/2/subsystems/nqn.a:1");
	assert_int_equal(access(sub, F_OK), 0);	/* the plain port serves */
}

/* save: Listen ... tls and the TlsKey file, read back to the same model */
static void test_save_round_trip(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, true, true), *out = NULL, *saved = NULL;
	_cleanup_(model_freep) struct nv_model *live = NULL;
	struct nv_config *keep = faketree_load(e->c, text), *back = NULL;
	struct nv_report rep = { 0 };

	assert_int_equal(apply(e, text, NULL, &out), EXIT_OK);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf(e->c, live, keep, &saved), 0);
	no_secret(saved);
	assert_non_null(strstr(saved, "TlsKey "));
	assert_non_null(strstr(saved, "10.0.0.1:4420 inaccessible tls") ?: strstr(saved, "10.0.0.1:4420 tls"));
	assert_int_equal(spdkconf_from_text("saved.conf", saved, &back, &rep), 0);
	assert_true(port_tls(&back->model->ports[0]) || port_tls(&back->model->ports[1]));
	assert_non_null(model_host(back->model, H1)->tls_psk);
	spdkconf_free(back);
	spdkconf_free(keep);
	report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_format),
		cmocka_unit_test_setup_teardown(test_dialect_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_word_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keys_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_one_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tls_and_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keys_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_tls, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_tls_keep_going, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_save_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
