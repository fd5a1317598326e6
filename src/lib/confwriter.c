/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "confwriter.h"
#include "ini.h"
#include "util.h"

const char *conf_value_problem(const char *v)
{
	if (!v)
		return "is missing";
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		if (*c == '\n' || *c == '\r')
			return "contains a line break";
		if (*c < 0x20 || *c == 0x7f)
			return "contains a control character";
		if (*c == '"')
			return "contains a double quote";
	}
	return NULL;
}

bool conf_value_ok(const char *v) { return !conf_value_problem(v); }

/* The tokenizer splits on blanks, ends the line at a '#' that starts a token, joins a line ending in
 * a backslash with the next, and reads "" as an empty token. */
static bool needs_quotes(const char *v)
{
	size_t n = strlen(v);
	return !n || strpbrk(v, " \t#") || v[n - 1] == '\\';
}

int cw_open(struct conf_writer *w)
{
	*w = (struct conf_writer){ 0 };
	w->f = open_memstream(&w->buf, &w->len);
	return w->f ? 0 : -errno;
}

static void put_sanitized(FILE *f, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, f);
}

void cw_comment(struct conf_writer *w, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	size_t n;

	/* a comment may quote an input's strings: one line, of bounded length */
	if (strlen(text) > 1000)
		strcpy(text + 997, "...");
	fputs("# ", w->f);
	put_sanitized(w->f, text);
	/* the reader joins a line ending in a backslash (before blanks) with the next, comments too:
	 * a comment quoting such a string would swallow the line after it */
	n = strlen(text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n && text[n - 1] == '\\')
		fputs(" (sic)", w->f);
	fputc('\n', w->f);
}

void cw_section(struct conf_writer *w, const char *fmt, ...)
{
	va_list ap;

	fputc('[', w->f);
	va_start(ap, fmt);
	vfprintf(w->f, fmt, ap);
	va_end(ap);
	fputs("]\n", w->f);
}

void cw_blank(struct conf_writer *w) { fputc('\n', w->f); }

/* Refuse a value: the line is not written, and cw_close fails naming the first one refused
 * (without reproducing what would break lines). */
static void refuse(struct conf_writer *w, const char *key, const char *value, const char *why)
{
	char *shown = NULL;
	size_t len = 0;
	FILE *f;

	if (w->err)
		return;
	f = open_memstream(&shown, &len);
	put_sanitized(f, value);
	fclose(f);
	w->err = xasprintf("%s value \"%.80s\"%s %s", key, shown, strlen(value) > 80 ? "..." : "", why);
	free(shown);
}

void cw_key(struct conf_writer *w, const char *key, const char *const *vals, size_t n)
{
	size_t line = 2 + strlen(key);
	const char *longest = NULL;

	for (size_t i = 0; i < n && vals[i]; i++) {
		const char *why = conf_value_problem(vals[i]);
		if (why) {
			_cleanup_free_ char *m = xasprintf("%s, which nvmf.conf cannot hold", why);
			refuse(w, key, vals[i], m);
			return;
		}
		line += 3 + strlen(vals[i]);	/* a blank, perhaps two quotes */
		if (!longest || strlen(vals[i]) > strlen(longest))
			longest = vals[i];
	}
	/* what the reader would refuse as a line is refused here (whatever is written reads back) */
	if (line >= INI_LINE_MAX) {
		refuse(w, key, longest ? longest : "", "is too long: nvmf.conf's lines hold at most 64 KiB");
		return;
	}
	fprintf(w->f, "  %s", key);
	for (size_t i = 0; i < n && vals[i]; i++)
		fprintf(w->f, needs_quotes(vals[i]) ? " \"%s\"" : " %s", vals[i]);
	fputc('\n', w->f);
}

int cw_close(struct conf_writer *w, char **out, char **err)
{
	fclose(w->f);
	w->f = NULL;
	if (w->err) {
		free(w->buf);
		if (err)
			*err = w->err;
		else
			free(w->err);
		*w = (struct conf_writer){ 0 };
		return -EINVAL;
	}
	*out = w->buf;
	*w = (struct conf_writer){ 0 };
	return 0;
}

const char *conf_trtype(const char *t)
{
	return t && !strcasecmp(t, "rdma") ? "RDMA" : t && !strcasecmp(t, "tcp") ? "TCP" : NULL;
}

char *conf_listen_addr(const char *adrfam, const char *traddr, const char *trsvcid)
{
	bool v6 = (adrfam && !strcasecmp(adrfam, "ipv6")) || (traddr && strchr(traddr, ':'));
	return xasprintf(v6 ? "[%s]:%s" : "%s:%s", traddr ? traddr : "", trsvcid ? trsvcid : "");
}
