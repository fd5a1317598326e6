/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPDK INI lexer: sections, quoting, comments, continuation, and each class of syntax error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ini.h"
#include "util.h"

static struct ini_file *parse_ok(const char *text)
{
	struct nv_report rep = { 0 };
	struct ini_file *f = NULL;

	assert_int_equal(ini_parse("t.conf", text, &f, &rep), 0);
	assert_int_equal(rep.n, 0);
	report_free(&rep);
	return f;
}

/* Parse text that must fail; return the first error as "line: message". */
static char *parse_err(const char *text)
{
	struct nv_report rep = { 0 };
	struct ini_file *f = NULL;
	char *msg;

	assert_int_equal(ini_parse("t.conf", text, &f, &rep), -EINVAL);
	assert_true(rep.n > 0);
	assert_int_equal(rep.d[0].sev, NV_ERROR);
	assert_string_equal(rep.d[0].file, "t.conf");
	msg = xasprintf("%u: %s", rep.d[0].line, rep.d[0].msg);
	report_free(&rep);
	ini_free(f);
	return msg;
}

static void test_guide_shapes(void **state)
{
	(void)state;
	struct ini_file *f = parse_ok("# comment\n[Global]\n  ReactorMask 0x0F\n\n[Nvme]\n"
				      "  TransportId \"trtype:PCIe traddr:0000:04:00.0\" Nvme0\n"
				      "[Subsystem1]\n\tNQN nqn.2016-06.io.spdk:cnode1\n  Namespace Nvme0n1 1   # inline\n");

	assert_int_equal(f->n, 3);
	assert_string_equal(f->s[0].name, "Global");
	assert_string_equal(f->s[0].e[0].key, "ReactorMask");
	assert_string_equal(f->s[0].e[0].vals[0], "0x0F");
	assert_int_equal(f->s[0].e[0].line, 3);
	assert_int_equal(f->s[1].e[0].nvals, 2);
	assert_string_equal(f->s[1].e[0].vals[0], "trtype:PCIe traddr:0000:04:00.0");
	assert_string_equal(f->s[1].e[0].vals[1], "Nvme0");
	assert_int_equal(f->s[2].e[1].nvals, 2);
	assert_string_equal(f->s[2].e[1].vals[1], "1");
	ini_free(f);
}

static void test_continuation_and_crlf(void **state)
{
	(void)state;
	struct ini_file *f = parse_ok("[Subsystem1]\r\n  Listen RDMA \\\r\n   192.168.20.200:4791\r\n  SN X\r\n");

	assert_int_equal(f->s[0].n, 2);
	assert_string_equal(f->s[0].e[0].key, "Listen");
	assert_int_equal(f->s[0].e[0].nvals, 2);
	assert_string_equal(f->s[0].e[0].vals[1], "192.168.20.200:4791");
	assert_int_equal(f->s[0].e[0].line, 2);
	assert_int_equal(f->s[0].e[1].line, 4);
	ini_free(f);
}

static void test_empty_quoted_and_repeats(void **state)
{
	(void)state;
	struct ini_file *f = parse_ok("[S]\n  MN \"\"\n  Host a\n  Host b\n");

	assert_string_equal(f->s[0].e[0].vals[0], "");
	assert_string_equal(f->s[0].e[2].vals[0], "b");
	ini_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	char *m;

	m = parse_err("[Global]\n  Comment \"unterminated\n");
	assert_string_equal(m, "2: unterminated quoted value");
	free(m);
	m = parse_err("\n\n[Global\n");
	assert_string_equal(m, "3: section header is missing its closing ']'");
	free(m);
	m = parse_err("ReactorMask 0x1\n[Global]\n");
	assert_string_equal(m, "1: 'ReactorMask' is outside any [Section] (or follows a broken header)");
	free(m);
	m = parse_err("[]\n");
	assert_string_equal(m, "1: empty section name");
	free(m);
	m = parse_err("[Sub system]\n");
	assert_string_equal(m, "1: section names are letters and digits only");
	free(m);
	m = parse_err("[Global] junk\n");
	assert_string_equal(m, "1: unexpected text after section header");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guide_shapes),
		cmocka_unit_test(test_continuation_and_crlf),
		cmocka_unit_test(test_empty_quoted_and_repeats),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
