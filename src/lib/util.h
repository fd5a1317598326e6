/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the whole project: cleanup attributes, strings, file I/O. */
#ifndef NVMET_UTIL_H
#define NVMET_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* funcp(&x) calls func(x) unless x is NULL: the cleanup for a pointer some func releases. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p) { if (*p) func(*p); }

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

#define streq(a, b) (strcmp((a), (b)) == 0)

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

/* Allocation failure is not something this tool can recover from. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow an array of elements by one, return a pointer to the new zeroed element. */
void *array_push(void *arrayp, size_t *n, size_t elem);

/* Whether path is dir or lies below it (component-wise: "a/bc" is not under "a/b"). */
bool path_under(const char *path, const char *dir);

/* Path joining: always returns a new string. */
char *path_join(const char *a, const char *b);

/* Read a one-line attribute file, stripping trailing whitespace. Returns 0 or -errno. */
int read_attr(const char *path, char **out);
/* Write a value to an attribute file (no trailing newline, no NUL). Returns 0 or -errno. */
int write_attr(const char *path, const char *value);

/* Read a whole file into memory. Returns 0 or -errno. */
int read_file(const char *path, char **out, size_t *len);
/* Read an input file someone else wrote (a config, JSON to import, a state file): regular files
 * only (a FIFO, device or directory is -EINVAL, refused without blocking), at most max bytes
 * (-EFBIG). NUL-terminated; *len is the real length (the text may hold NUL bytes). */
int read_input(const char *path, size_t max, char **out, size_t *len);
#define INPUT_MAX (64u << 20)	/* 64 MiB: far above any real nvmf.conf or JSON config */
/* A message for read_input's errors: "not a regular file", "larger than 64 MiB", strerror. */
const char *read_input_strerror(int err);

/* Write a file atomically: temp file next to it, fsync, rename, fsync dir. Keeps the old file's mode
 * (or uses mode when it is new). Returns 0 or -errno. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* Sorted list of directory entries (without . and ..), NULL-terminated. Returns count or -errno
 * (then *names is untouched). */
int list_dir(const char *path, char ***names);
/* A string list with its count; a NULL-terminated one (list_dir's) needs none. */
void strv_free(char **v, size_t n);
void strv_free_null(char **v);
static inline void strv_freep(char ***v) { strv_free_null(*v); }
#define _cleanup_strv_ _cleanup_(strv_freep)
/* A string list (array + count): whether it holds s; add s unless it does. */
bool strv_contains(char *const *v, size_t n, const char *s);
void strv_add_unique(char ***v, size_t *n, const char *s);

/* Parse an unsigned / signed integer, whole string. Returns 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, unsigned long long *out);
int parse_i64(const char *s, long long *out);

/* Trim whitespace in place, return the start. */
char *strstrip(char *s);

#endif
