/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "ini.h"
#include "util.h"

/* Split one logical line into tokens; quotes group whitespace, '#' outside quotes at a token
 * start ends the line. Returns 0 or -EINVAL with *err set. */
/* Split one logical line into tokens; quotes group whitespace, '#' outside quotes at a token
 * start ends the line. Returns 0 or -EINVAL with *err set. Each token is measured first and copied
 * once: memory stays linear in the line. */
static int tokenize(const char *s, char ***toks, size_t *ntoks, const char **err)
{
	char **v = NULL;
	size_t n = 0;

	for (;;) {
		const char *end = s;
		size_t len = 0;
		char *tok;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			break;
		for (end = s; *end && *end != ' ' && *end != '\t';) {
			if (*end == '"') {
				const char *q = strchr(end + 1, '"');
				if (!q) {
					*err = "unterminated quoted value";
					strv_free(v, n);
					return -EINVAL;
				}
				len += q - end - 1;
				end = q + 1;
			} else {
				len++;
				end++;
			}
		}
		tok = xmalloc(len + 1);
		len = 0;
		while (s < end) {
			if (*s == '"') {
				const char *q = strchr(s + 1, '"');
				memcpy(tok + len, s + 1, q - s - 1);
				len += q - s - 1;
				s = q + 1;
			} else {
				tok[len++] = *s++;
			}
		}
		tok[len] = '\0';
		*(char **)array_push(&v, &n, sizeof(char *)) = tok;
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

int ini_parse(const char *path, const char *text, struct ini_file **out, struct nv_report *rep)
{
	struct ini_file *f = xcalloc(1, sizeof(*f));
	struct ini_section *cur = NULL;
	_cleanup_free_ char *logical = NULL;
	size_t loglen = 0, logcap = 0;	/* logical while continuation lines are joined */
	bool skip = false;		/* inside a continued line that was too long */
	const char *p = text;
	unsigned lineno = 0, start_line = 0;
	int ret = 0;

	f->path = xstrdup(path);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *raw = xmalloc(len + 1);
		char *line, **toks = NULL;
		size_t ntoks = 0, ll;
		const char *err = NULL;

		memcpy(raw, p, len);
		raw[len] = '\0';
		p += len + (nl ? 1 : 0);
		lineno++;
		if (memchr(raw, '\0', len) || strlen(raw) != len) {
			report_add(rep, NV_ERROR, path, lineno, NULL, "NUL byte in config file");
			ret = -EINVAL;
			continue;
		}
		if (skip) {
			size_t l = strlen(raw);
			while (l && (raw[l - 1] == '\r' || raw[l - 1] == ' ' || raw[l - 1] == '\t'))
				l--;
			skip = l && raw[l - 1] == '\\';
			continue;
		}
		if (!logical)
			start_line = lineno;
		/* Continuation: a trailing backslash joins the next physical line. */
		ll = strlen(raw);
		while (ll && (raw[ll - 1] == '\r' || raw[ll - 1] == ' ' || raw[ll - 1] == '\t'))
			raw[--ll] = '\0';
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
		} else {
			logical = TAKE_PTR(raw);
		}
		loglen = logcap = 0;
		line = strstrip(logical);
		if (!*line || *line == '#') {
			free(TAKE_PTR(logical));
			continue;
		}
		if (*line == '[') {
			char *name;

			if (parse_section_header(line, &name, &err) < 0) {
				report_add(rep, NV_ERROR, path, start_line, NULL, "%s", err);
				ret = -EINVAL;
				cur = NULL;
			} else {
				cur = array_push(&f->s, &f->n, sizeof(*cur));
				cur->name = name;
				cur->line = start_line;
			}
			free(TAKE_PTR(logical));
			continue;
		}
		if (tokenize(line, &toks, &ntoks, &err) < 0) {
			report_add(rep, NV_ERROR, path, start_line, NULL, "%s", err);
			ret = -EINVAL;
		} else if (!cur) {
			report_add(rep, NV_ERROR, path, start_line, NULL,
				   "'%s' is outside any [Section] (or follows a broken header)", toks[0]);
			ret = -EINVAL;
			strv_free(toks, ntoks);
		} else {
			struct ini_entry *e = array_push(&cur->e, &cur->n, sizeof(*e));

			e->key = toks[0];
			e->vals = ntoks > 1 ? toks + 1 : NULL;
			e->nvals = ntoks - 1;
			e->line = start_line;
			/* keep the token array: vals points into it, key owns it */
			if (e->nvals) {
				e->vals = xmalloc(e->nvals * sizeof(char *));
				memcpy(e->vals, toks + 1, e->nvals * sizeof(char *));
			}
			free(toks);
		}
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
			free(s->e[j].key);
			strv_free(s->e[j].vals, s->e[j].nvals);
		}
		free(s->e);
		free(s->name);
	}
	free(f->s);
	free(f->path);
	free(f);
}
