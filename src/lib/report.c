/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "report.h"
#include "util.h"

void report_add(struct nv_report *r, enum nv_severity sev, const char *file, unsigned line,
		const char *key, const char *fmt, ...)
{
	struct nv_diag *d;
	va_list ap;

	if (!report_keeps(r, sev))
		return;
	d = array_push(&r->d, &r->n, sizeof(*d));
	d->sev = sev;
	d->file = xstrdup(file);
	d->line = line;
	d->key = xstrdup(key);
	va_start(ap, fmt);
	if (vasprintf(&d->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
}

size_t report_count(const struct nv_report *r, enum nv_severity sev)
{
	size_t c = 0;

	for (size_t i = 0; i < r->n; i++)
		c += r->d[i].sev == sev;
	return c;
}

void report_print_problems(const struct nv_report *r, FILE *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct nv_diag *d = &r->d[i];

		if (d->sev != NV_ERROR && d->sev != NV_WARN)
			continue;
		if (d->file && d->line)
			fprintf(f, "%s:%u: ", d->file, d->line);
		else if (d->file)
			fprintf(f, "%s: ", d->file);
		fprintf(f, "%s: %s\n", d->sev == NV_ERROR ? "error" : "warning", d->msg);
	}
}

void report_free(struct nv_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->d[i].file);
		free(r->d[i].key);
		free(r->d[i].msg);
	}
	free(r->d);
	r->d = NULL;
	r->n = 0;
}
