/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "nvmet";
static int log_level = LOG_NOTICE;
static int log_journal = -1;

/* systemd sets JOURNAL_STREAM=dev:ino for the stream stderr is connected to. */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident)
{
	log_ident = ident;
	log_journal = stderr_is_journal();
}

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

int log_parse_level(const char *name)
{
	static const struct { const char *n; int l; } t[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(name, t[i].n))
			return t[i].l;
	return -EINVAL;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (prio > log_level)
		return;
	if (log_journal < 0)
		log_journal = stderr_is_journal();
	va_start(ap, fmt);
	flockfile(stderr);	/* one line, whole, whichever thread logs (the mDNS thread does) */
	if (log_journal)
		fprintf(stderr, "<%d>", prio);
	else if (prio <= LOG_WARNING)
		fprintf(stderr, "%s: %s", log_ident, prio <= LOG_ERR ? "" : "warning: ");
	else
		fprintf(stderr, "%s: ", log_ident);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
	errno = saved;
}

void log_lines(int prio, const char *prefix, const char *text)
{
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		log_msg(prio, "%s%.*s", prefix, (int)len, text);
		text += len + (text[len] == '\n');
	}
}

static double ms_of(const struct timespec *t) { return t->tv_sec * 1e3 + t->tv_nsec / 1e6; }

void log_phase(const char *what)
{
	static int on = -1;
	static double wall0, cpu0;
	struct timespec w, c;
	double wall, cpu;

	if (on < 0) {
		const char *e = getenv("NVMET_TIMING");
		on = e && *e && strcmp(e, "0") != 0;
	}
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	wall = ms_of(&w);
	cpu = ms_of(&c);
	if (wall0 == 0)
		fprintf(stderr, "timing: %s: cpu %.3f ms before it\n", what, cpu);
	else
		fprintf(stderr, "timing: %s %.3f ms, cpu %.3f ms\n", what, wall - wall0, cpu - cpu0);
	wall0 = wall;
	cpu0 = cpu;
}
