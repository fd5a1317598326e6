/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DH-HMAC-CHAP: [HostN] key files, their checks, applying, rotating, refusing, saving — and no
 * secret in any output. Against the fake configfs (6.12-like: hosts have dhchap_* files). */
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
#include "keyfiles.h"
#include "print.h"
#include "util.h"

#define KEY_A "DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:"
#define KEY_B "DHHC-1:00:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkK9MX0g:"
#define KEY_C "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
#define HOST "nqn.2014-08.org.nvmexpress:uuid:0b1c2d3e-0000-4000-8000-000000000001"

struct env {
	struct faketree *t;
	struct nv_ctx *c;
	char *disk, *key, *ctrl;
};

static void put_mode(const char *path, const char *text, mode_t mode)
{
	faketree_put(path, text);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));

	e->t = faketree_new(true);
	e->c = faketree_ctx(e->t);
	e->disk = path_join(e->t->root, "disk.img");
	e->key = path_join(e->t->root, "host1.key");
	e->ctrl = path_join(e->t->root, "host1.ctrl");
	faketree_disk(e->disk);
	put_mode(e->key, KEY_A "\n", 0600);
	put_mode(e->ctrl, KEY_C "\n", 0600);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	ctx_free(e->c);
	faketree_free(e->t);
	free(e->disk);
	free(e->key);
	free(e->ctrl);
	free(e);
	return 0;
}

static char *conf(struct env *e, bool any, bool ctrl)
{
	return xasprintf("[AIO]\n  AIO %s D\n[Host1]\n  NQN " HOST "\n  DhchapKey %s\n%s%s%s"
			 "  DhchapHash hmac(sha512)\n  DhchapDHGroup ffdhe3072\n"
			 "[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420\n  AllowAnyHost %s\n  Host " HOST "\n"
			 "  Namespace D 1\n",
			 e->disk, e->key, ctrl ? "  DhchapCtrlKey " : "", ctrl ? e->ctrl : "", ctrl ? "\n" : "",
			 any ? "Yes" : "No");
}

static int load(struct env *e, const char *text, struct nv_config **cfg, struct nv_report *rep)
{
	int r = spdkconf_from_text("auth.conf", text, cfg, rep);
	if (r == 0)
		assert_int_equal(resolve_namespaces(e->c, *cfg, 0, rep), 0);
	return r;
}

/* Apply with the plan printed; returns the exit code, the output in *printed. */
static int apply(struct env *e, const char *text, bool dry, size_t *n, char **printed)
{
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	struct apply_result res;
	size_t len = 0;
	FILE *f;
	int r;

	assert_int_equal(load(e, text, &cfg, &rep), 0);
	r = apply_exit(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = dry }, &res), &res);
	f = open_memstream(printed, &len);
	plan_print(&res.plan, f);
	if (res.exec.errmsg)
		fputs(res.exec.errmsg, f);
	fclose(f);
	if (n)
		*n = dry ? res.plan.n : res.exec.writes;
	apply_result_free(&res);
	spdkconf_free(cfg);
	report_free(&rep);
	return r;
}

static char *fread_rel(struct env *e, const char *rel)
{
	_cleanup_free_ char *p = path_join(e->t->nvmet, rel);
	char *v = NULL;
	return read_attr(p, &v) < 0 ? NULL : v;
}

static void no_secret(const char *text)
{
	if (strstr(text, "QUFBQUFB") || strstr(text, "QkJCQkJC") || strstr(text, "AAECAwQF"))
		fail_msg("a secret leaked:\n%s", text);
}

static void test_secret_format(void **state)
{
	(void)state;
	assert_null(dhchap_secret_problem(KEY_A));
	assert_null(dhchap_secret_problem(KEY_C));
	assert_non_null(dhchap_secret_problem("DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGu:")); /* CRC */
	assert_non_null(dhchap_secret_problem("DHHC-1:04:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:"));
	assert_non_null(dhchap_secret_problem("DHHC-1:00:QUFB:"));
	assert_non_null(dhchap_secret_problem("secret"));
	assert_non_null(dhchap_secret_problem("DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt"));
}

/* Applied once, then nothing to do; the plan, check output and errors name the file, not the key. */
static void test_apply_idempotent_no_secret(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, false, true), *out = NULL, *out2 = NULL;
	char *v;
	struct nv_config *cfg = NULL;
	struct nv_report rep = { .explain = true };
	size_t n;

	assert_int_equal(apply(e, text, true, &n, &out), EXIT_OK);
	no_secret(out);
	assert_non_null(strstr(out, "dhchap_key = (secret from "));
	assert_int_equal(apply(e, text, false, &n, &out2), EXIT_OK);
	v = fread_rel(e, "hosts/" HOST "/dhchap_key");
	assert_string_equal(v, KEY_A);
	free(v);
	v = fread_rel(e, "hosts/" HOST "/dhchap_ctrl_key");
	assert_string_equal(v, KEY_C);
	free(v);
	v = fread_rel(e, "hosts/" HOST "/dhchap_hash");
	assert_string_equal(v, "hmac(sha512)");
	free(v);
	free(out);
	out = NULL;
	assert_int_equal(apply(e, text, true, &n, &out), EXIT_OK);
	assert_int_equal(n, 0); /* re-apply writes nothing */
	/* check's explanations */
	assert_int_equal(spdkconf_from_text("auth.conf", text, &cfg, &rep), 0);
	for (size_t i = 0; i < rep.n; i++)
		no_secret(rep.d[i].msg);
	spdkconf_free(cfg);
	report_free(&rep);
	/* show and show --json of the live target */
	{
		struct nv_model *live = NULL;
		_cleanup_free_ char *shown = NULL, *json = NULL, *jsec = NULL;
		assert_int_equal(live_read(e->c, &live), 0);
		assert_int_equal(print_conf(e->c, live, NULL, &shown), 0);
		assert_int_equal(print_json(live, false, &json), 0);
		no_secret(shown);
		no_secret(json);
		assert_non_null(strstr(shown, "keys that no key file holds"));
		assert_null(strstr(shown, "[Host1]")); /* a section naming no file would not load */
		assert_int_equal(print_json(live, true, &jsec), 0);
		assert_non_null(strstr(jsec, KEY_A)); /* only with --with-secrets */
		model_free(live);
	}
}

/* A changed key file writes that key only; the old secret is gone from the target. */
static void test_rotation(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, false, false), *out = NULL, *out2 = NULL, *v = NULL;
	size_t n;

	assert_int_equal(apply(e, text, false, &n, &out), EXIT_OK);
	put_mode(e->key, KEY_B "\n", 0600);
	assert_int_equal(apply(e, text, true, &n, &out2), EXIT_OK);
	assert_int_equal(n, 1);
	assert_non_null(strstr(out2, "hosts/" HOST "/dhchap_key = (secret from"));
	assert_non_null(strstr(out2, "(was another secret)"));
	no_secret(out2);
	free(out2);
	out2 = NULL;
	assert_int_equal(apply(e, text, false, &n, &out2), EXIT_OK);
	assert_int_equal(n, 1);
	v = fread_rel(e, "hosts/" HOST "/dhchap_key");
	assert_string_equal(v, KEY_B);
}

static void test_refusals(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *any = conf(e, true, false), *ok = conf(e, false, false);
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	bool found = false;

	/* AllowAnyHost Yes with a keyed host: the kernel would skip authentication */
	assert_int_equal(spdkconf_from_text("auth.conf", any, &cfg, &rep), -EINVAL);
	for (size_t i = 0; i < rep.n; i++)
		found |= rep.d[i].sev == NV_ERROR && strstr(rep.d[i].msg, "skips authentication") != NULL;
	assert_true(found);
	report_free(&rep);
	/* a key file others can read, like ssh */
	assert_int_equal(chmod(e->key, 0644), 0);
	assert_int_equal(spdkconf_from_text("auth.conf", ok, &cfg, &rep), -EINVAL);
	found = false;
	for (size_t i = 0; i < rep.n; i++) {
		found |= strstr(rep.d[i].msg, "mode 0644") && strstr(rep.d[i].msg, e->key);
		no_secret(rep.d[i].msg);
	}
	assert_true(found);
	report_free(&rep);
	/* a file that is not a DHHC-1 secret */
	put_mode(e->key, "hunter2\n", 0600);
	assert_int_equal(spdkconf_from_text("auth.conf", ok, &cfg, &rep), -EINVAL);
	report_free(&rep);
}

/* Write len bytes (NULs included) to path with mode 0600. */
static void put_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* B-15: a key file is all read and all checked: a valid secret followed by a NUL byte and more is
 * refused (the parser would stop at the NUL), and so is one longer than a secret line can be. */
static void test_key_file_contents(void **state)
{
	struct env *e = *state;
	static const char nul[] = KEY_A "\0" "garbage\n";
	_cleanup_free_ char *big = NULL;
	char *s = NULL, *why = NULL;

	assert_int_equal(dhchap_read_key_file(e->key, &s, &why), 0);
	assert_string_equal(s, KEY_A);
	secret_free(s);
	put_bytes(e->key, nul, sizeof(nul) - 1);
	assert_int_equal(dhchap_read_key_file(e->key, &s, &why), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(why, "NUL byte"));
	no_secret(why);
	free(why);
	big = xasprintf("%s\n%0300d\n", KEY_A, 0);
	put_bytes(e->key, big, strlen(big));
	assert_int_equal(dhchap_read_key_file(e->key, &s, &why), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(why, "larger than 255 bytes"));
	free(why);
	/* trailing whitespace is fine, as before */
	put_bytes(e->key, KEY_A " \r\n\n", strlen(KEY_A) + 4);
	assert_int_equal(dhchap_read_key_file(e->key, &s, &why), 0);
	secret_free(s);
}

/* A kernel without the attributes (Debian 6.1): exit 2, the tree untouched. */
static void test_kernel_without_auth(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, false, false), *out = NULL, *before = NULL, *after = NULL;

	e->t->v612 = false;
	before = faketree_snapshot(e->t);
	assert_int_equal(apply(e, text, false, NULL, &out), EXIT_CONFIG);
	after = faketree_snapshot(e->t);
	assert_string_equal(before, after);
}

/* save: the live key names the file that holds it; a live key with no file gets a new 0600 file. */
static void test_save_names_files(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *text = conf(e, false, true), *out = NULL, *saved = NULL, *saved2 = NULL;
	_cleanup_free_ char *keys = path_join(e->t->root, "keys");
	struct nv_config *keep = NULL, *back = NULL;
	struct nv_report rep = { 0 };
	struct nv_model *live = NULL;
	struct stat st;

	assert_int_equal(apply(e, text, false, NULL, &out), EXIT_OK);
	assert_int_equal(spdkconf_from_text("auth.conf", text, &keep, &rep), 0);
	assert_int_equal(live_read(e->c, &live), 0);
	assert_int_equal(print_conf_opts(e->c, live, &(struct print_opts){ .keep = keep, .keys_dir = keys }, &saved), 0);
	no_secret(saved);
	assert_non_null(strstr(saved, e->key));
	assert_non_null(strstr(saved, e->ctrl));
	assert_non_null(strstr(saved, "DhchapHash hmac(sha512)"));
	/* the saved file loads and re-plans to nothing */
	assert_int_equal(load(e, saved, &back, &rep), 0);
	{
		struct apply_result res;
		assert_int_equal(apply_exit(engine_apply(e->c, back->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
		assert_int_equal(res.plan.n, 0);
		apply_result_free(&res);
	}
	spdkconf_free(back);
	/* without the config that names the files, save writes the keys to new 0600 files */
	assert_int_equal(print_conf_opts(e->c, live, &(struct print_opts){ .keys_dir = keys }, &saved2), 0);
	no_secret(saved2);
	{
		_cleanup_free_ char *f = xasprintf("%s/nqn.2014-08.org.nvmexpress_uuid_0b1c2d3e-0000-4000-8000-000000000001.key",
						   keys);
		_cleanup_free_ char *why = NULL;
		char *s = NULL;
		assert_int_equal(stat(f, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(dhchap_read_key_file(f, &s, &why), 0);
		assert_string_equal(s, KEY_A);
		secret_free(s);
		assert_non_null(strstr(saved2, f));
	}
	model_free(live);
	spdkconf_free(keep);
	report_free(&rep);
}

/* keyfiles: a parse reads each key file once (a change after the first read is not seen) and keeps
 * why a file was refused; a live secret is named by keep's file that holds it, else written anew. */
static void test_keyfiles(void **state)
{
	struct env *e = *state;
	struct keyfile_cache kc = { 0 };
	_cleanup_free_ char *missing = path_join(e->t->root, "none.key"), *dir = path_join(e->t->root, "keys");
	_cleanup_free_ char *text = conf(e, false, true), *held = NULL, *f1 = NULL, *f2 = NULL;
	struct nv_config *keep = NULL;
	struct nv_report rep = { 0 };
	const char *s1, *s2, *why;
	struct stat st;

	assert_int_equal(keyfile_load(&kc, e->key, KEY_DHCHAP, &s1, &why), 0);
	assert_string_equal(s1, KEY_A);
	put_mode(e->key, KEY_B "\n", 0600);
	assert_int_equal(keyfile_load(&kc, e->key, KEY_DHCHAP, &s2, &why), 0);
	assert_ptr_equal(s1, s2);
	assert_true(keyfile_load(&kc, missing, KEY_DHCHAP, &s1, &why) < 0);
	assert_null(s1);
	assert_non_null(why);
	assert_true(keyfile_load(&kc, missing, KEY_DHCHAP, &s2, &why) < 0);
	assert_int_equal(kc.n, 2);
	keyfile_cache_free(&kc);
	assert_int_equal(kc.n, 0);

	put_mode(e->key, KEY_A "\n", 0600);
	assert_int_equal(spdkconf_from_text("auth.conf", text, &keep, &rep), 0);
	held = keyfile_for_secret(keep, dir, HOST, false, KEY_A);
	assert_string_equal(held, e->key);
	assert_null(keyfile_for_secret(keep, NULL, HOST, false, KEY_B));
	assert_null(keyfile_for_secret(NULL, NULL, HOST, true, KEY_B));
	f1 = keyfile_for_secret(keep, dir, HOST, true, KEY_B);
	f2 = keyfile_for_secret(NULL, dir, HOST, true, KEY_B);
	assert_non_null(f1);
	assert_non_null(f2);
	assert_non_null(strstr(f1, "_uuid_0b1c2d3e-0000-4000-8000-000000000001.ctrl"));
	assert_non_null(strstr(f2, "_uuid_0b1c2d3e-0000-4000-8000-000000000001-1.ctrl"));
	assert_int_equal(stat(f2, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_load(&kc, f2, KEY_DHCHAP, &s1, &why), 0);
	assert_string_equal(s1, KEY_B);
	keyfile_cache_free(&kc);
	spdkconf_free(keep);
	report_free(&rep);
}

/* nvmetcli JSON with inline keys: the model holds them, JSON without --with-secrets never prints them. */
static void test_nvmetcli_keys(void **state)
{
	(void)state;
	static const char json[] = "{\"hosts\":[{\"nqn\":\"" HOST "\",\"dhchap\":{\"key\":\"" KEY_A "\",\"ctrl_key\":\"\","
				   "\"hash\":\"hmac(sha256)\",\"dhgroup\":\"null\"}}]}";
	static const char bad[] = "{\"hosts\":[{\"nqn\":\"" HOST "\",\"dhchap\":{\"key\":\"DHHC-1:00:xx:\"}}]}";
	struct nv_model *m = NULL;
	char *err = NULL, *out = NULL;

	assert_int_equal(import_nvmetcli(json, &m, &err), 0);
	assert_string_equal(attrs_get(&m->hosts[0].attrs, "dhchap_key"), KEY_A);
	assert_null(attrs_get(&m->hosts[0].attrs, "dhchap_ctrl_key"));
	assert_int_equal(print_json(m, false, &out), 0);
	no_secret(out);
	free(out);
	model_free(m);
	m = NULL;
	assert_int_equal(import_nvmetcli(bad, &m, &err), -EINVAL);
	no_secret(err);
	free(err);
}

/* SPDK JSON: keyring keys named by nvmf_subsystem_add_host become [HostN] with SPDK's key files. */
static void test_spdk_keys(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *json = xasprintf(
		"{\"subsystems\":[{\"subsystem\":\"keyring\",\"config\":["
		"{\"method\":\"keyring_file_add_key\",\"params\":{\"name\":\"key0\",\"path\":\"%s\"}},"
		"{\"method\":\"keyring_file_add_key\",\"params\":{\"name\":\"ckey0\",\"path\":\"%s\"}}]},"
		"{\"subsystem\":\"nvmf\",\"config\":["
		"{\"method\":\"nvmf_set_config\",\"params\":{\"dhchap_digests\":[\"sha384\",\"sha512\"],"
		"\"dhchap_dhgroups\":[\"ffdhe4096\"]}},"
		"{\"method\":\"nvmf_create_subsystem\",\"params\":{\"nqn\":\"nqn.a:1\",\"allow_any_host\":false}},"
		"{\"method\":\"nvmf_subsystem_add_host\",\"params\":{\"nqn\":\"nqn.a:1\",\"host\":\"" HOST "\","
		"\"dhchap_key\":\"key0\",\"dhchap_ctrlr_key\":\"ckey0\"}}]}]}", e->key, e->ctrl);
	char *conf = NULL, *err = NULL;
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };

	assert_int_equal(import_spdk_json(json, &conf, &err), 0);
	no_secret(conf);
	assert_int_equal(spdkconf_from_text("spdk.conf", conf, &cfg, &rep), 0);
	assert_int_equal(cfg->ncreds, 1);
	assert_string_equal(cfg->creds[0].key_file, e->key);
	assert_string_equal(cfg->creds[0].ctrl_key_file, e->ctrl);
	assert_string_equal(cfg->creds[0].hash, "hmac(sha384)");
	assert_string_equal(cfg->creds[0].dhgroup, "ffdhe4096");
	assert_string_equal(attrs_get(&model_host(cfg->model, HOST)->attrs, "dhchap_key"), KEY_A);
	spdkconf_free(cfg);
	report_free(&rep);
	free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_format),
		cmocka_unit_test_setup_teardown(test_apply_idempotent_no_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_names_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyfiles, setup, teardown),
		cmocka_unit_test(test_nvmetcli_keys),
		cmocka_unit_test_setup_teardown(test_spdk_keys, setup, teardown),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
