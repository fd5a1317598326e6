/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: stderr for the CLI, "<N>" priority prefixes when stderr is the journal. */
#ifndef NVMET_LOG_H
#define NVMET_LOG_H

#include <syslog.h>

void log_init(const char *ident);
void log_set_level(int level);
int log_get_level(void);
int log_parse_level(const char *name);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One message per line of text (each ending in '\n'), each after prefix. */
void log_lines(int prio, const char *prefix, const char *text);

/* NVMET_TIMING=1 in the environment: one stderr line per call, the wall and CPU milliseconds since the
 * previous call ("timing: parse 1.234 ms, cpu 1.100 ms"); the first call (at the top of main) gives
 * the CPU the process spent before main (exec, dynamic loading, constructors). Otherwise nothing. */
void log_phase(const char *what);

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
