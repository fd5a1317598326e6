/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvm.h: fork/exec of lvm with both outputs on pipes, polled against a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lvm.h"
#include "util.h"

extern char **environ;

struct sink {
	int fd;
	char *buf;
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child's environment: the caller's, with LVM's descriptor warnings off and messages in C; where
 * udev does not run (a minimal system, an initramfs), LVM makes the device nodes itself
 * (DM_DISABLE_UDEV) instead of waiting for udev to, which would never happen. */
static char **child_env(void)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 4, sizeof(*env));
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LC_ALL=", 7) && strncmp(*e, "LVM_SUPPRESS_FD_WARNINGS=", 25))
			env[n++] = *e;
	env[n++] = (char *)"LC_ALL=C";
	env[n++] = (char *)"LVM_SUPPRESS_FD_WARNINGS=1";
	if (access("/run/udev/control", F_OK) < 0)
		env[n++] = (char *)"DM_DISABLE_UDEV=1";
	return env;
}

/* Reads what is there; 1 at EOF, 0 to go on, -E2BIG past the cap. */
static int drain(struct sink *s)
{
	char chunk[16384];
	ssize_t k = read(s->fd, chunk, sizeof(chunk));

	if (k < 0)
		return errno == EINTR ? 0 : 1;	/* EAGAIN: nothing more for now, as good as EOF here */
	if (k == 0)
		return 1;
	if (s->len + (size_t)k > LVM_OUTPUT_MAX)
		return -E2BIG;
	s->buf = xrealloc(s->buf, s->len + (size_t)k + 1);
	memcpy(s->buf + s->len, chunk, (size_t)k);
	s->len += (size_t)k;
	s->buf[s->len] = 0;
	return 0;
}

/* Both pipes until lvm exits (not until EOF: a daemon it starts, dmeventd, may keep them open) or
 * the deadline: 0 with *st, -ETIMEDOUT or -E2BIG. */
static int collect(pid_t pid, struct sink *o, struct sink *e, long long deadline, int *st)
{
	struct sink *s[2] = { o, e };
	bool open[2] = { true, true };

	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		long long left = deadline - now_ms();
		pid_t w = waitpid(pid, st, WNOHANG);
		int r = 0;

		if (w == pid) {	/* what it wrote before it exited is in the pipes */
			int bad = 0;
			for (int i = 0; i < 2; i++) {
				while (open[i] && (r = drain(s[i])) == 0)
					;
				bad = open[i] && r < 0 ? r : bad;
			}
			return bad;
		}
		if (left <= 0)
			return -ETIMEDOUT;
		for (int i = 0; i < 2; i++)
			if (open[i])
				p[n++] = (struct pollfd){ .fd = s[i]->fd, .events = POLLIN };
		r = poll(p, n, (int)(left > 50 ? 50 : left));
		if (r < 0 && errno != EINTR)
			return -errno;
		for (nfds_t k = 0; r > 0 && k < n; k++) {
			int i = p[k].fd == o->fd ? 0 : 1;
			if (!p[k].revents)
				continue;
			r = drain(s[i]);
			if (r < 0)
				return r;
			open[i] = r == 0;
			r = 1;
		}
	}
}

/* What lvm said, on one line: its lines joined by "; ", leading blanks dropped. */
static char *one_line(const char *text, const char *fallback)
{
	_cleanup_free_ char *copy = xstrdup(text ? text : "");
	char *save = NULL, *out = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *t = strstrip(l), *joined;
		if (!*t)
			continue;
		joined = out ? xasprintf("%s; %s", out, t) : xstrdup(t);
		free(out);
		out = joined;
		if (strlen(out) > 1000)
			break;
	}
	return out ? out : xstrdup(fallback);
}

static void child(const char *prog, const char *const *args, int out, int err, char **env)
{
	size_t n = 0;
	const char *argv[64];
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	argv[n++] = "lvm";
	for (; args[n - 1] && n < 63; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	execve(prog, (char *const *)argv, env);
	_exit(errno == ENOENT ? 127 : 126);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int lvm_run(const struct lvm_env *env, const char *const *args, char **out, char **err)
{
	const char *prog = env && env->lvm ? env->lvm : NVMET_LVM_DEFAULT;
	unsigned tmo = env && env->timeout_ms ? env->timeout_ms : LVM_TIMEOUT_MS_DEFAULT;
	_cleanup_free_ char **cenv = child_env();
	struct sink o = { -1, NULL, 0 }, e = { -1, NULL, 0 };
	int po[2], pe[2], r, st = 0;
	pid_t pid;

	*out = *err = NULL;
	if (access(prog, X_OK) < 0) {
		*err = xasprintf("%s: %s (install lvm2)", prog, strerror(errno));
		return -ENOENT;
	}
	if (pipe2(po, O_CLOEXEC) < 0)
		return r = -errno, *err = xasprintf("pipe: %s", strerror(-r)), r;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		close(po[0]);
		close(po[1]);
		return *err = xasprintf("pipe: %s", strerror(-r)), r;
	}
	pid = fork();
	if (pid == 0)
		child(prog, args, po[1], pe[1], cenv);
	close(po[1]);
	close(pe[1]);
	o.fd = po[0];
	e.fd = pe[0];
	(void)fcntl(o.fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(e.fd, F_SETFL, O_NONBLOCK);
	r = pid < 0 ? -errno : collect(pid, &o, &e, now_ms() + tmo, &st);
	close(po[0]);
	close(pe[0]);
	if (pid > 0 && r < 0)
		reap(pid);
	if (r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		*out = TAKE_PTR(o.buf);
		free(e.buf);
		return 0;
	}
	if (r == -ETIMEDOUT)
		*err = xasprintf("lvm %s did not finish within %u s (killed)", args[0], tmo / 1000);
	else if (r == -E2BIG)
		*err = xasprintf("lvm %s: its output exceeds %u bytes", args[0], LVM_OUTPUT_MAX);
	else if (r < 0)
		*err = xasprintf("lvm %s: %s", args[0], strerror(-r));
	else
		*err = one_line(e.buf, "failed without a message");
	free(o.buf);
	free(e.buf);
	return r < 0 ? r : -EIO;
}
