/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Diagnostics tied to a place in a config file: syntax errors, warnings, and the per-key
 * explanations that `nvmetcfg check` prints. */
#ifndef NVMET_REPORT_H
#define NVMET_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum nv_severity {
	NV_ERROR,	/* the config cannot be applied */
	NV_WARN,	/* applied, but probably not what the user meant */
	NV_APPLIED,	/* check: the key maps to this kernel setting */
	NV_NOT_APPLICABLE, /* check: the key has no kernel equivalent, and why */
};

struct nv_diag {
	enum nv_severity sev;
	char *file;
	unsigned line;
	char *key;	/* "[Section] Key" or NULL */
	char *msg;
};

struct nv_report {
	struct nv_diag *d;
	size_t n;
	bool strict;	/* unknown keys are errors */
	bool explain;	/* keep NV_APPLIED / NV_NOT_APPLICABLE (check); otherwise they are not even formatted */
};

/* Whether r keeps diagnostics of this severity (explanations only when asked for). */
static inline bool report_keeps(const struct nv_report *r, enum nv_severity sev)
{
	return sev < NV_APPLIED || r->explain;
}

void report_add(struct nv_report *r, enum nv_severity sev, const char *file, unsigned line,
		const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
size_t report_count(const struct nv_report *r, enum nv_severity sev);
/* Print errors and warnings as "file:line: error: msg" to f. */
void report_print_problems(const struct nv_report *r, FILE *f);
void report_free(struct nv_report *r);

#endif
