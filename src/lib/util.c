/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <malloc.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "util.h"

static void oom(void)
{
	fputs("out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (!d)
		abort();
	return d;
}

char *xstrdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		oom();
	return p;
}

/* Formatted into a stack buffer first: glibc's vasprintf costs twice as much as vsnprintf, and the
 * planner formats a few strings per configfs operation. */
char *xvasprintf(const char *fmt, va_list ap)
{
	char buf[256], *s;
	va_list again;
	int r;

	va_copy(again, ap);
	r = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (r < 0) {
		va_end(again);
		oom();
	}
	s = xmalloc((size_t)r + 1);
	if ((size_t)r < sizeof(buf))
		memcpy(s, buf, (size_t)r + 1);
	else
		vsnprintf(s, (size_t)r + 1, fmt, again);
	va_end(again);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void *array_push(void *arrayp, size_t *n, size_t elem)
{
	char **a = arrayp;

	/* Grow geometrically: a thousand subsystems would otherwise copy their array a thousand times.
	 * The allocation's own usable size is the capacity, so arrays from anywhere can be pushed to. */
	if (!*a || (*n + 1) * elem > malloc_usable_size(*a))
		*a = xrealloc(*a, (*n < 4 ? 4 : 2 * *n) * elem);
	memset(*a + *n * elem, 0, elem);
	return *a + (*n)++ * elem;
}

bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Called for every configfs path (tens of thousands per apply at N = 1000): copies, no printf. */
char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb;
	bool sep;
	char *p;

	if (la && a[la - 1] == '/') {
		if (b[0] == '/')
			b++;
		sep = false;
	} else {
		sep = b[0] != '/';
	}
	lb = strlen(b);
	p = xmalloc(la + sep + lb + 1);
	memcpy(p, a, la);
	if (sep)
		p[la] = '/';
	memcpy(p + la + sep, b, lb + 1);
	return p;
}

char *strstrip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Read fd to its end, at most max bytes (-EFBIG past that); hint: the expected size. */
static int read_all(int fd, size_t hint, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = hint + 1 > 8192 ? hint + 1 : 8192;
	ssize_t n;

	buf = xmalloc(cap + 1);
	for (;;) {
		if (size == cap) {
			if (cap > max)
				return -EFBIG; /* it grew while we read */
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size += n;
	}
	if (size > max)
		return -EFBIG;
	buf[size] = '\0';
	if (len)
		*len = size;
	*out = TAKE_PTR(buf);
	return 0;
}

int read_file(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_all(fd, 0, SIZE_MAX - 1, out, len);
}

int read_input(const char *path, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if ((unsigned long long)st.st_size > max)
		return -EFBIG;
	return read_all(fd, (size_t)st.st_size, max, out, len);
}

const char *read_input_strerror(int err)
{
	switch (err) {
	case -EINVAL: return "not a regular file (a FIFO, device or socket is not read)";
	case -EISDIR: return "is a directory";
	case -EFBIG: return "larger than 64 MiB: not a configuration file";
	default: return strerror(-err);
	}
}

int read_attr(const char *path, char **out)
{
	_cleanup_free_ char *big = NULL;
	char buf[4096 + 1];
	ssize_t n;
	int r;

	/* sysfs and configfs show an attribute in one read of at most a page: open, read, close —
	 * no second read for end of file. A longer file is read whole. */
	{
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		do
			n = read(fd, buf, sizeof(buf) - 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
	}
	if ((size_t)n < sizeof(buf) - 1) {
		buf[n] = '\0';
		*out = xstrdup(strstrip(buf));
		return 0;
	}
	r = read_file(path, &big, NULL);
	if (r < 0)
		return r;
	*out = xstrdup(strstrip(big));
	return 0;
}

int write_attr(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	/* configfs takes one write() per store; an empty value still needs one. */
	n = write(fd, len ? value : "\n", len ? len : 1);
	if (n < 0)
		return -errno;
	if ((size_t)n != (len ? len : 1))
		return -EIO;
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = xasprintf("%s.XXXXXX", path);
	_cleanup_free_ char *dcopy = xstrdup(path);
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int dfd = -1;
	struct stat st;
	size_t off = 0;
	int r;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (rename(tmp, path) < 0)
		goto fail;
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
fail:
	r = -errno;
	unlink(tmp);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dir(const char *path, char ***names)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		*(char **)array_push(&v, &n, sizeof(char *)) = xstrdup(de->d_name);
	}
	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	/* NULL-terminated too, so a _cleanup_strv_ list frees itself without its count */
	v = xrealloc(v, (n + 1) * sizeof(char *));
	v[n] = NULL;
	*names = v;
	return (int)n;
}

void strv_free_null(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	return 0;
}

int parse_i64(const char *s, long long *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	return 0;
}

bool strv_contains(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

void strv_add_unique(char ***v, size_t *n, const char *s)
{
	if (!strv_contains(*v, *n, s))
		*(char **)array_push(v, n, sizeof(char *)) = xstrdup(s);
}
