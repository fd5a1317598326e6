/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "ini.h"
#include "util.h"

/* The token starting at s: its end, and in *len its length without the quotes; NULL when a quote is
 * not closed. */
static const char *token_end(const char *s, size_t *len)
{
	*len = 0;
	while (*s && *s != ' ' && *s != '\t') {
		if (*s == '"') {
			const char *q = strchr(s + 1, '"');
			if (!q)
				return NULL;
			*len += q - s - 1;
			s = q + 1;
		} else {
			++*len;
			s++;
		}
	}
	return s;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Split one logical line into tokens; quotes group whitespace, '#' outside quotes at a token
 * start ends the line. Returns 0 or -EINVAL with *err set. The line is measured first, then the
 * token array and the tokens are copied into one allocation (free the array alone): memory stays
 * linear in the line, one allocation per line. */
static int tokenize(const char *s, char ***toks, size_t *ntoks, const char **err)
{
	size_t n = 0, chars = 0, len;
	char **v, *out;

	for (const char *t = skip_blanks(s); *t && *t != '#'; t = skip_blanks(t)) {
		t = token_end(t, &len);
		if (!t) {
			*err = "unterminated quoted value";
			return -EINVAL;
		}
		n++;
		chars += len + 1;
	}
	v = xmalloc(n * sizeof(char *) + chars + 1);
	out = (char *)(v + n);
	for (size_t i = 0; i < n; i++) {
		const char *end;

		s = skip_blanks(s);
		end = token_end(s, &len);
		v[i] = out;
		while (s < end) {
			if (*s == '"') {
				const char *q = strchr(s + 1, '"');
				memcpy(out, s + 1, q - s - 1);
				out += q - s - 1;
				s = q + 1;
			} else {
				*out++ = *s++;
			}
		}
		*out++ = '\0';
	}
	*toks = v;
	*ntoks = n;
	return 0;
}

static int parse_section_header(char *line, char **name, const char **err)
{
	char *end = strchr(line, ']');
	char *rest, *nm;

	if (!end) {
		*err = "section header is missing its closing ']'";
		return -EINVAL;
	}
	*end = '\0';
	rest = strstrip(end + 1);
	if (*rest && *rest != '#') {
		*err = "unexpected text after section header";
		return -EINVAL;
	}
	nm = strstrip(line + 1);
	if (!*nm) {
		*err = "empty section name";
		return -EINVAL;
	}
	for (char *c = nm; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-')) {
			*err = "section names are letters and digits only";
			return -EINVAL;
		}
	*name = xstrdup(nm);
	return 0;
}

/* Append n bytes to a growing NUL-terminated buffer (doubling: joining many lines stays linear). */
static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Length of the first l bytes of s without trailing blanks and carriage returns. */
static size_t rtrim_len(const char *s, size_t l)
{
	while (l && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
		l--;
	return l;
}

/* Add a key line's tokens (toks[0] the key) to section s. */
static void add_entry(struct ini_section *s, char **toks, size_t ntoks, unsigned line)
{
	struct ini_entry *e = array_push(&s->e, &s->n, sizeof(*e));

	/* the key, the values and their array are one allocation (tokenize): ini_free frees vals - 1 */
	e->key = toks[0];
	e->vals = toks + 1;
	e->nvals = ntoks - 1;
	e->line = line;
}

/* One logical line, stripped, neither blank nor a comment: a [Section] header (which becomes *cur),
 * or a key and its values for *cur. Returns 0, or -EINVAL with the problem in rep. */
static int parse_logical(struct ini_file *f, struct ini_section **cur, char *line, unsigned line_no,
			 struct nv_report *rep)
{
	char **toks = NULL, *name;
	size_t ntoks = 0;
	const char *err = NULL;

	if (*line == '[') {
		if (parse_section_header(line, &name, &err) < 0) {
			report_add(rep, NV_ERROR, f->path, line_no, NULL, "%s", err);
			*cur = NULL;
			return -EINVAL;
		}
		*cur = array_push(&f->s, &f->n, sizeof(**cur));
		(*cur)->name = name;
		(*cur)->line = line_no;
		return 0;
	}
	if (tokenize(line, &toks, &ntoks, &err) < 0) {
		report_add(rep, NV_ERROR, f->path, line_no, NULL, "%s", err);
		return -EINVAL;
	}
	if (!*cur) {
		report_add(rep, NV_ERROR, f->path, line_no, NULL,
			   "'%s' is outside any [Section] (or follows a broken header)", toks[0]);
		free(toks);
		return -EINVAL;
	}
	add_entry(*cur, toks, ntoks, line_no);
	return 0;
}

int ini_parse(const char *path, const char *text, struct ini_file **out, struct nv_report *rep)
{
	struct ini_file *f = xcalloc(1, sizeof(*f));
	struct ini_section *cur = NULL;
	_cleanup_free_ char *logical = NULL, *raw = NULL;
	size_t loglen = 0, logcap = 0;	/* logical while continuation lines are joined */
	size_t rawcap = 0;		/* raw: each physical line in turn, one buffer for all */
	bool skip = false;		/* inside a continued line that was too long */
	const char *p = text;
	unsigned lineno = 0, start_line = 0;
	int ret = 0;

	f->path = xstrdup(path);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line;
		size_t ll;

		if (len + 1 > rawcap) {
			rawcap = len + 1 > 256 ? len + 1 : 256;
			free(raw);
			raw = xmalloc(rawcap);
		}
		memcpy(raw, p, len);
		raw[len] = '\0';
		p += len + (nl ? 1 : 0);
		lineno++;
		if (memchr(raw, '\0', len) || strlen(raw) != len) {
			report_add(rep, NV_ERROR, path, lineno, NULL, "NUL byte in config file");
			ret = -EINVAL;
			continue;
		}
		ll = rtrim_len(raw, len);
		if (skip) {
			skip = ll && raw[ll - 1] == '\\';
			continue;
		}
		if (!logical)
			start_line = lineno;
		/* Continuation: a trailing backslash joins the next physical line. */
		raw[ll] = '\0';
		if (ll && raw[ll - 1] == '\\') {
			raw[ll - 1] = ' ';
			append(&logical, &loglen, &logcap, raw, ll);
			if (loglen > INI_LINE_MAX) {
				report_add(rep, NV_ERROR, path, start_line, NULL,
					   "continued line longer than %u bytes", INI_LINE_MAX);
				ret = -EINVAL;
				free(TAKE_PTR(logical));
				loglen = logcap = 0;
				skip = true;	/* the rest of this logical line */
				continue;
			}
			if (*p)
				continue;
		} else if (logical) {
			append(&logical, &loglen, &logcap, raw, ll);
		}
		loglen = logcap = 0;
		line = strstrip(logical ? logical : raw);
		if (*line && *line != '#' && parse_logical(f, &cur, line, start_line, rep) < 0)
			ret = -EINVAL;
		free(TAKE_PTR(logical));
	}
	*out = f;
	return ret;
}

void ini_free(struct ini_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct ini_section *s = &f->s[i];
		for (size_t j = 0; j < s->n; j++) {
			free(s->e[j].vals - 1);	/* with the key and the values (tokenize) */
		}
		free(s->e);
		free(s->name);
	}
	free(f->s);
	free(f->path);
	free(f);
}
