/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one writer of the nvmf.conf dialect: show, save and both importers emit through it. Values
 * are quoted where the tokenizer needs it (whitespace, '#', empty, a trailing backslash) and refused
 * where the dialect cannot carry them (a double quote, a newline or any control character): what is
 * written always reads back as the same tokens. */
#ifndef NVMET_CONFWRITER_H
#define NVMET_CONFWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct conf_writer {
	FILE *f;
	char *buf;
	size_t len;
	char *err;	/* the first value refused */
};

/* Whether the dialect can carry v as one token. */
bool conf_value_ok(const char *v);
/* Why not: "contains a newline" etc., or NULL when it can. */
const char *conf_value_problem(const char *v);

int cw_open(struct conf_writer *w);
/* "# text": control characters in text become '?', so a comment never spans lines. */
void cw_comment(struct conf_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cw_section(struct conf_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cw_blank(struct conf_writer *w);
/* "  Key v1 v2 ...": each value quoted as needed; a value the dialect cannot carry is refused (the
 * line is not written and cw_close fails naming it). NULL values end the list early. */
void cw_key(struct conf_writer *w, const char *key, const char *const *vals, size_t n);
#define cw_kv(w, key, ...) \
	cw_key(w, key, (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))
/* Returns 0 and the text, or -EINVAL with *err naming the first refused value (the text is dropped). */
int cw_close(struct conf_writer *w, char **out, char **err);

/* nvmf.conf's spelling of a kernel transport ("rdma" -> "RDMA"), NULL if it has none. */
const char *conf_trtype(const char *kernel_trtype);
/* A Listen address: "10.0.0.1:4420" or "[fe80::1]:4420". */
char *conf_listen_addr(const char *adrfam, const char *traddr, const char *trsvcid);

#endif
