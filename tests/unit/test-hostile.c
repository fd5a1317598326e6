/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hostile input: each defect the fuzzing campaign and the review found, as a regression test, and
 * the writer's property: print -> parse -> print is identical for any string it accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confwriter.h"
#include "engine.h"
#include "exit.h"
#include "faketree.h"
#include "import.h"
#include "print.h"
#include "util.h"

static bool has_diag(const struct nv_report *rep, enum nv_severity sev, unsigned line, const char *part)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->d[i].sev == sev && (!line || rep->d[i].line == line) && strstr(rep->d[i].msg, part))
			return true;
	return false;
}

static int parse(const char *text, size_t len, struct nv_report *rep)
{
	struct nv_config *c = NULL;
	int r = spdkconf_from_buf("h.conf", text, len, &c, rep);
	spdkconf_free(c);
	return r;
}

/* A known key in a section whose table lacks it used to recurse forever. */
static void test_key_in_wrong_section(void **state)
{
	static const char text[] = "[Nvmf]\n  TransportId \"trtype:PCIe traddr:0000:04:00.0\" Nvme0\n";
	struct nv_report rep = { .strict = true };

	(void)state;
	assert_int_equal(parse(text, strlen(text), &rep), -EINVAL);
	assert_true(has_diag(&rep, NV_ERROR, 2, "unknown key 'TransportId' in [Nvmf]"));
	report_free(&rep);
}

/* A NUL byte is an error at its line, not the end of the file (which used to drop every subsystem
 * after it, and apply then removed them). */
static void test_nul_byte(void **state)
{
	static const char text[] = "[Subsystem1]\n  NQN nqn.a:1\n  SN\0X\n[Subsystem2]\n  NQN nqn.a:2\n";
	struct nv_report rep = { 0 };

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, &rep), -EINVAL);
	assert_true(has_diag(&rep, NV_ERROR, 3, "NUL byte"));
	report_free(&rep);
}

/* Lines: a 3 MB line and a 3 MB continued line are errors; CRLF files parse. */
static void test_long_lines_and_crlf(void **state)
{
	size_t n = 3u << 20;
	char *big = xmalloc(n + 64);
	struct nv_report rep = { 0 };

	(void)state;
	strcpy(big, "[Global]\n  ReactorMask ");
	memset(big + strlen(big), 'f', n);
	big[n] = '\0';
	assert_int_equal(parse(big, strlen(big), &rep), -EINVAL);
	assert_true(has_diag(&rep, NV_ERROR, 2, "line of"));
	report_free(&rep);
	/* one continued line of many short physical lines */
	{
		size_t k;
		strcpy(big, "[Global]\n  ReactorMask ");
		for (k = strlen(big); k + 4 < n; k += 4)
			memcpy(big + k, "f \\\n", 4);
		strcpy(big + k, "f\n");
		struct nv_config *c = NULL;
		assert_int_equal(spdkconf_from_text("h.conf", big, &c, &rep), -EINVAL);
		assert_true(has_diag(&rep, NV_ERROR, 2, "continued line longer than"));
		spdkconf_free(c);
		report_free(&rep);
	}
	free(big);
	{
		static const char crlf[] = "[Subsystem1]\r\n  NQN nqn.a:1\r\n  SN S1\r\n  AllowAnyHost Yes\r\n";
		struct nv_config *c = NULL;
		assert_int_equal(spdkconf_from_buf("crlf.conf", crlf, strlen(crlf), &c, &rep), 0);
		assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_serial"), "S1");
		spdkconf_free(c);
		report_free(&rep);
	}
}

static void test_validation(void **state)
{
	struct nv_report rep = { 0 };
	static const char *const bad[] = {
		"[Subsystem1]\n  NQN .\n",
		"[Subsystem1]\n  NQN ..\n",
		"[Subsystem1]\n  NQN nqn.a:1\n  AllowAnyHost No\n  Host ..\n",
		"[Subsystem1]\n  NQN nqn.a:1\n  Listen RDMA \"1.2.3.4: +4421\"\n",
		"[Subsystem1]\n  NQN nqn.a:1\n  Listen RDMA 1.2.3.4:+4421\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse(bad[i], strlen(bad[i]), &rep) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		report_free(&rep);
	}
	/* a repeated SN warns, and the last one counts */
	{
		static const char text[] = "[Subsystem1]\n  NQN nqn.a:1\n  SN ONE\n  SN TWO\n";
		struct nv_config *c = NULL;
		assert_int_equal(spdkconf_from_text("h.conf", text, &c, &rep), 0);
		assert_string_equal(attrs_get(&c->model->subsys[0].attrs, "attr_serial"), "TWO");
		spdkconf_free(c);
		report_free(&rep);
	}
}

/* Inputs that are not regular files are refused without blocking; the size is capped. */
static void test_input_files(void **state)
{
	char dir[] = "/tmp/nvhostile.XXXXXX";
	_cleanup_free_ char *fifo = NULL, *big = NULL;
	char *text = NULL;
	size_t len;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fifo = path_join(dir, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(read_input(fifo, INPUT_MAX, &text, &len), -EINVAL);
	assert_int_equal(read_input("/dev/zero", INPUT_MAX, &text, &len), -EINVAL);
	assert_int_equal(read_input(dir, INPUT_MAX, &text, &len), -EISDIR);
	big = path_join(dir, "big");
	fd = open(big, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	assert_int_equal(read_input(big, 1000, &text, &len), -EFBIG);
	assert_int_equal(read_input(big, 8192, &text, &len), 0);
	assert_int_equal(len, 4096);
	free(text);
	{
		struct nv_report rep = { 0 };
		struct nv_config *c = NULL;
		assert_int_equal(spdkconf_load(fifo, &c, &rep), -EINVAL);
		assert_true(has_diag(&rep, NV_ERROR, 0, "not a regular file"));
		report_free(&rep);
	}
	unlink(fifo);
	unlink(big);
	rmdir(dir);
}

/* Import: nulls, non-strings and strings the dialect cannot carry are refused with where they were;
 * nothing is emitted that grants more than the input did. */
static void test_import_injection(void **state)
{
	static const char *const nvmetcli[] = {
		"{\"subsystems\":[{\"nqn\":\"nqn.a:1\",\"allowed_hosts\":[\"nqn.h:1\\n  AllowAnyHost Yes\"]}]}",
		"{\"subsystems\":[{\"nqn\":\"nqn.a:1\",\"allowed_hosts\":[null]}]}",
		"{\"subsystems\":[{\"nqn\":\"nqn.a:1\",\"attr\":{\"serial\":\"S\\n  AllowAnyHost Yes\"}}]}",
		"{\"subsystems\":[{\"nqn\":\"nqn.a:1\",\"attr\":{\"model\":\"a\\\"b\"}}]}",
		"{\"subsystems\":[{\"nqn\":\"nqn.a:1\",\"namespaces\":[{\"nsid\":1,\"device\":{\"path\":\"/x\\n[Subsystem9]\"}}]}]}",
		"{\"ports\":[{\"portid\":1,\"subsystems\":[null]}]}",
		"{\"hosts\":[{\"nqn\":null}]}",
		"{\"subsystems\":[null]}",
	};
	static const char *const spdk[] = {
		"{\"subsystems\":[{\"subsystem\":\"nvmf\",\"config\":[{\"method\":\"nvmf_create_subsystem\",\"params\":"
		"{\"nqn\":\"nqn.a:1\\n  AllowAnyHost Yes\"}}]}]}",
		"{\"subsystems\":[{\"subsystem\":\"nvmf\",\"config\":[{\"method\":\"nvmf_subsystem_add_host\",\"params\":"
		"{\"nqn\":\"nqn.a:1\",\"host\":\"h\\r\"}}]}]}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(nvmetcli); i++) {
		struct nv_model *m = NULL;
		char *err = NULL;
		if (import_nvmetcli(nvmetcli[i], &m, &err) != -EINVAL)
			fail_msg("nvmetcli import accepted: %s", nvmetcli[i]);
		assert_non_null(err);
		assert_null(strchr(err, '\n'));
		free(err);
		model_free(m);
	}
	for (size_t i = 0; i < ARRAY_SIZE(spdk); i++) {
		char *conf = NULL, *err = NULL;
		if (import_spdk_json(spdk[i], &conf, &err) != -EINVAL)
			fail_msg("SPDK import accepted: %s\n%s", spdk[i], conf);
		assert_non_null(err);
		free(err);
	}
	/* huge numbers are bounded, not overflowed */
	{
		static const char big[] = "{\"subsystems\":[{\"subsystem\":\"nvmf\",\"config\":[{\"method\":\"nvmf_create_transport\","
					  "\"params\":{\"trtype\":\"TCP\",\"max_io_qpairs_per_ctrlr\":9223372036854775807}},"
					  "{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"num_blocks\":"
					  "9223372036854775807,\"block_size\":4096}}]}]}";
		char *conf = NULL, *err = NULL;
		assert_int_equal(import_spdk_json(big, &conf, &err), 0);
		assert_null(strstr(conf, "MaxQueuesPerSession"));
		free(conf);
	}
}

/* Random strings from what the dialect carries (blanks, '#', backslashes, UTF-8 bytes) through
 * the writer and the parser: the same model, printed again identically. Strings it cannot carry are
 * refused by the writer, never written. */
static char *rand_str(unsigned *seed, size_t maxlen, bool nqn)
{
	static const char pool[] = "abcXYZ019.:-_ #\\\t/@+=,\xc3\xa9";
	size_t n = 1 + rand_r(seed) % maxlen;
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		char ch = pool[rand_r(seed) % (sizeof(pool) - 1)];
		if (nqn && (ch == ' ' || ch == '\t' || ch == '/' || ch == '#' || ch == '\\' || (unsigned char)ch > 0x7e))
			ch = 'q';
		if (!nqn && (unsigned char)ch > 0x7e)
			ch = 'e'; /* SN/MN are printable ASCII */
		if (!nqn && ch == '\t')
			ch = ' ';
		s[i] = ch;
	}
	s[n] = '\0';
	return s;
}

static void test_writer_roundtrip(void **state)
{
	struct faketree *t = faketree_new(true);
	struct nv_ctx *c = NULL;
	unsigned seed = 42;

	(void)state;
	setenv("NVMET_CONFIGFS_ROOT", t->root, 1);
	assert_int_equal(ctx_new(&c), 0);
	for (int round = 0; round < 300; round++) {
		struct nv_model m = { 0 };
		struct nv_subsys *s = array_push(&m.subsys, &m.nsubsys, sizeof(*s));
		struct nv_port *p = array_push(&m.ports, &m.nports, sizeof(*p));
		struct nv_ns *ns = array_push(&s->ns, &s->nns, sizeof(*ns));
		_cleanup_free_ char *sn = rand_str(&seed, 20, false), *mn = rand_str(&seed, 40, false);
		_cleanup_free_ char *nqn = rand_str(&seed, 60, true), *host = rand_str(&seed, 60, true);
		_cleanup_free_ char *path = NULL, *one = NULL, *two = NULL;
		struct nv_config *cfg = NULL;
		struct nv_report rep = { 0 };

		path = rand_str(&seed, 40, false);
		path[0] = '/';
		s->nqn = xasprintf("nqn.%s", nqn);
		free(host);
		host = xasprintf("nqn.host:%s", nqn); /* a host NQN as the kernel holds them: never "." or ".." */
		strv_add_unique(&s->hosts, &s->nhosts, host);
		attrs_set(&s->attrs, "attr_allow_any_host", "0");
		attrs_set(&s->attrs, "attr_serial", sn);
		attrs_set(&s->attrs, "attr_model", mn);
		ns->nsid = 1 + round;
		ns->enable = true;
		attrs_set(&ns->attrs, "device_path", path);
		p->id = 1;
		attrs_set(&p->attrs, "addr_trtype", "tcp");
		attrs_set(&p->attrs, "addr_adrfam", round % 2 ? "ipv6" : "ipv4");
		attrs_set(&p->attrs, "addr_traddr", round % 2 ? "fe80::1" : "10.0.0.1");
		attrs_set(&p->attrs, "addr_trsvcid", "4420");
		strv_add_unique(&p->subsys, &p->nsubsys, s->nqn);
		model_sort(&m);
		assert_int_equal(print_conf(c, &m, NULL, &one), 0);
		if (spdkconf_from_text("rt.conf", one, &cfg, &rep) < 0) {
			for (size_t i = 0; i < rep.n; i++)
				fprintf(stderr, "%u: %s\n", rep.d[i].line, rep.d[i].msg);
			fail_msg("round %d: the writer's output does not load:\n%s", round, one);
		}
		assert_string_equal(model_subsys(cfg->model, s->nqn)->hosts[0], host);
		assert_string_equal(attrs_get(&model_subsys(cfg->model, s->nqn)->attrs, "attr_model"), mn);
		assert_string_equal(attrs_get(&model_subsys(cfg->model, s->nqn)->attrs, "attr_serial"), sn);
		/* the parsed file printed again: the same text (AIO paths resolve to themselves) */
		{
			struct nv_bdev b;
			struct nv_subsys *ps = model_subsys(cfg->model, s->nqn);
			assert_int_equal(spdkconf_find_bdev(cfg, ps->ns[0].bdev, &b), 0);
			assert_string_equal(b.path, path);
			attrs_set(&ps->ns[0].attrs, "device_path", b.path);
			cfg->model->ports[0].id = 1;
		}
		assert_int_equal(print_conf(c, cfg->model, NULL, &two), 0);
		assert_string_equal(one, two);
		spdkconf_free(cfg);
		report_free(&rep);
		model_free_contents(&m);
	}
	/* what the dialect cannot carry is refused, not written */
	{
		struct nv_model m = { 0 };
		struct nv_subsys *s = array_push(&m.subsys, &m.nsubsys, sizeof(*s));
		char *out = NULL;
		s->nqn = xstrdup("nqn.a:1");
		attrs_set(&s->attrs, "attr_model", "say \"hi\"");
		assert_int_equal(print_conf(c, &m, NULL, &out), -EINVAL);
		assert_null(out);
		model_free_contents(&m);
	}
	ctx_free(c);
	faketree_free(t);
}

/* Attributes nvmf.conf does not mention are left alone: an administrator's TLS requirement on a
 * port survives every apply, and show says it is there. */
static void test_unmanaged_port_attrs(void **state)
{
	struct faketree *t = faketree_new(true);
	_cleanup_free_ char *disk = path_join(t->root, "d.img"), *text = NULL, *treq = NULL, *shown = NULL;
	struct nv_ctx *c = NULL;
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	struct apply_result res;
	struct nv_model *live = NULL;

	(void)state;
	faketree_disk(disk);
	setenv("NVMET_CONFIGFS_ROOT", t->root, 1);
	assert_int_equal(ctx_new(&c), 0);
	c->ops = &t->ops;
	text = xasprintf("[AIO]\n  AIO %s D\n[Subsystem1]\n  NQN nqn.a:1\n  Listen TCP 10.0.0.1:4420\n"
			 "  AllowAnyHost Yes\n  Namespace D 1\n", disk);
	assert_int_equal(spdkconf_from_text("t.conf", text, &cfg, &rep), 0);
	assert_int_equal(resolve_namespaces(c, cfg, 0, &rep), 0);
	assert_int_equal(apply_exit(engine_apply(c, cfg->model, &(struct apply_opts){ 0 }, &res), &res), EXIT_OK);
	apply_result_free(&res);
	treq = path_join(t->nvmet, "ports/1/addr_treq");
	faketree_put(treq, "required\n");
	assert_int_equal(apply_exit(engine_apply(c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), &res), EXIT_OK);
	assert_int_equal(res.plan.n, 0);
	apply_result_free(&res);
	assert_int_equal(live_read(c, &live), 0);
	assert_int_equal(print_conf(c, live, NULL, &shown), 0);
	assert_non_null(strstr(shown, "addr_treq = required"));
	model_free(live);
	spdkconf_free(cfg);
	report_free(&rep);
	ctx_free(c);
	faketree_free(t);
}

/* 20,000 distinct Listen addresses parse and plan (linearly: hashed, no pairwise scans), each port
 * with its own id. */
static void test_many_listen_addresses(void **state)
{
	size_t n = 20000;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nv_config *cfg = NULL;
	struct nv_report rep = { 0 };
	struct nv_model empty = { .sorted = true };
	struct plan p;

	(void)state;
	fprintf(f, "[Subsystem1]\n  NQN nqn.a:1\n  AllowAnyHost Yes\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  Listen TCP 10.%zu.%zu.%zu:4420\n", i >> 16, (i >> 8) & 255, i & 255);
	fclose(f);
	assert_int_equal(spdkconf_from_text("many.conf", buf, &cfg, &rep), 0);
	assert_int_equal(cfg->model->nports, n);
	unsigned *ids = NULL;
	assert_int_equal(plan_build(cfg->model, &empty, NULL, &p, &ids), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], i + 1);
	free(ids);
	plan_free(&p);
	spdkconf_free(cfg);
	report_free(&rep);
	free(buf);
}

/* Whatever an importer writes reads back: a value too long for one nvmf.conf line (64 KiB) is
 * refused, not written (found by the SPDK import fuzzer). */
static void test_import_line_too_long(void **state)
{
	_cleanup_free_ char *big = xmalloc(70001), *json = NULL, *conf = NULL, *err = NULL;
	_cleanup_free_ char *comment_json = NULL, *conf2 = NULL, *err2 = NULL;

	(void)state;
	memset(big, '1', 70000);
	big[70000] = '\0';
	json = xasprintf("{\"subsystems\": [{\"subsystem\": \"nvmf\", \"config\": ["
			 "{\"method\": \"nvmf_discovery_add_referral\", \"params\": {\"address\": {\"trtype\": \"TCP\", "
			 "\"adrfam\": \"IPv4\", \"traddr\": \"%s\", \"trsvcid\": \"4420\"}}}]}]}", big);
	assert_int_equal(import_spdk_json(json, &conf, &err), -EINVAL);
	assert_null(conf);
	assert_non_null(strstr(err, "Referral value \"1111"));
	assert_non_null(strstr(err, "64 KiB"));
	assert_true(strlen(err) < 300);
	/* a huge method name only ever reaches a comment, which is cut to one bounded line */
	comment_json = xasprintf("{\"subsystems\": [{\"subsystem\": \"nvmf\", \"config\": ["
				 "{\"method\": \"nvmf_%s\", \"params\": {}}]}]}", big);
	assert_int_equal(import_spdk_json(comment_json, &conf2, &err2), 0);
	assert_true(strlen(conf2) < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_line_too_long),
		cmocka_unit_test(test_key_in_wrong_section),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_lines_and_crlf),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_input_files),
		cmocka_unit_test(test_import_injection),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_unmanaged_port_attrs),
		cmocka_unit_test(test_many_listen_addresses),
	};
	return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
