/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmet-floor: the configfs syscall floor for the benchmark. It makes exactly the calls needed to
 * build, read, change or clear the benchmark's target — mkdir, open/write/close, symlink, unlink,
 * rmdir, opendir/readdir, open/read/close — and nothing else: no config file, no model, no diff, no
 * rollback journal. nvmetcfg's times are reported as ratios to these.
 *
 *   nvmet-floor ROOT build N DIR ADDR SVC  N subsystems nqn.2016-06.io.spdk:benchI (SN BENCHI, any
 *                                          host), namespace 1 = DIR/nsI.img, all on TCP port 1 ADDR:SVC
 *   nvmet-floor ROOT read                  read what nvmetcfg reads to know the live state
 *   nvmet-floor ROOT change NQN PATH       read, then point NQN's namespace 1 at PATH
 *   nvmet-floor ROOT change-all DIR EXT    read, then point every benchI's namespace 1 at DIR/nsI.EXT
 *                                          (disable, device_path, enable)
 *   nvmet-floor ROOT replace-all DIR EXT   the same by replacing each namespace: rmdir, mkdir,
 *                                          device_uuid (the old one), device_path, enable
 *   nvmet-floor ROOT clear                 list and remove everything
 * With -j JOBS first (the parallel floor), the calls the kernel makes wait for — a namespace's rmdir,
 * a namespace's change or replacement — run on JOBS threads, the rest as before: the same calls.
 * (The kernel takes one global lock around every write to a namespace's "enable": change-all gains
 * nothing from threads, replace-all does.)
 * ROOT is the nvmet configfs directory (/sys/kernel/config/nvmet). Exit 0, or 1 naming the failed call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live-attrs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NQN_PREFIX "nqn.2016-06.io.spdk:bench"

static char root[PATH_MAX];
static unsigned jobs = 1;

/* ---- the parallel floor: a list of paths, each handed to fn by one of JOBS threads ---- */
struct tasks {
	char **paths;
	size_t n, cap, next;
	void (*fn)(const char *path);
	pthread_mutex_t mu;
};

static void task_add(struct tasks *t, const char *path)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->paths = realloc(t->paths, t->cap * sizeof(char *));
		if (!t->paths)
			abort();
	}
	t->paths[t->n] = strdup(path);
	if (!t->paths[t->n++])
		abort();
}

static void *task_worker(void *arg)
{
	struct tasks *t = arg;

	for (;;) {
		size_t i;
		pthread_mutex_lock(&t->mu);
		i = t->next++;
		pthread_mutex_unlock(&t->mu);
		if (i >= t->n)
			return NULL;
		t->fn(t->paths[i]);
	}
}

static void task_run(struct tasks *t)
{
	pthread_t th[256];
	unsigned k, n = jobs < t->n ? jobs : t->n;

	pthread_mutex_init(&t->mu, NULL);
	for (k = 0; k < n && k < 256; k++)
		if (pthread_create(&th[k], NULL, task_worker, t))
			abort();
	while (k-- > 0)
		pthread_join(th[k], NULL);
	for (size_t i = 0; i < t->n; i++)
		free(t->paths[i]);
	free(t->paths);
	*t = (struct tasks){ 0 };
}

static void fail(const char *call, const char *path)
{
	fprintf(stderr, "nvmet-floor: %s %s: %s\n", call, path, strerror(errno));
	exit(1);
}

/* snprintf into a PATH_MAX buffer; a path that does not fit is an error, not a truncation. */
__attribute__((format(printf, 2, 3))) static void pf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		fail("format", fmt);
	}
}

static void do_mkdir(const char *p)
{
	if (mkdir(p, 0755) < 0)
		fail("mkdir", p);
}

static void do_write(const char *p, const char *v)
{
	int fd = open(p, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open", p);
	if (write(fd, v, strlen(v)) < 0)
		fail("write", p);
	close(fd);
}

/* The same attribute files nvmetcfg reads (live-attrs.h); a missing one is just absent. */
static void read_attrs(const char *dir, const char *const *names, size_t n)
{
	char p[PATH_MAX], buf[4096];

	for (size_t i = 0; i < n; i++) {
		int fd;
		pf(p, "%s/%s", dir, names[i]);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		(void)!read(fd, buf, sizeof(buf)); /* an unreadable one is absent, as for nvmetcfg */
		close(fd);
	}
}

/* Calls fn(dir, name) for each entry; returns the count. */
static int each(const char *dir, void (*fn)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		fail("opendir", dir);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fn)
			fn(dir, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void read_ns(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	read_attrs(p, ns_attrs, ARRAY_SIZE(ns_attrs));
	read_attrs(p, (const char *const[]){ "enable" }, 1);
}

static void read_subsys(const char *dir, const char *name)
{
	char p[PATH_MAX], q[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	read_attrs(p, subsys_attrs, ARRAY_SIZE(subsys_attrs));
	pf(q, "%s/allowed_hosts", p);
	each(q, NULL);
	pf(q, "%s/namespaces", p);
	each(q, read_ns);
}

static void read_port(const char *dir, const char *name)
{
	char p[PATH_MAX], q[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	read_attrs(p, port_attrs, ARRAY_SIZE(port_attrs));
	pf(q, "%s/subsystems", p);
	each(q, NULL);
}

static void read_host(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	read_attrs(p, host_attrs, ARRAY_SIZE(host_attrs));
}

typedef void (*entry_fn)(const char *dir, const char *name);

/* Ports, then subsystems, then hosts: the order removal needs (links before what they point at). */
static void each_top(entry_fn ports, entry_fn subsys, entry_fn hosts)
{
	static const char *const dirs[] = { "ports", "subsystems", "hosts" };
	entry_fn fns[] = { ports, subsys, hosts };
	char p[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		pf(p, "%s/%s", root, dirs[i]);
		each(p, fns[i]);
	}
}

static void read_all(void)
{
	each_top(read_port, read_subsys, read_host);
}

static void rm_link(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	if (unlink(p) < 0)
		fail("unlink", p);
}

static void rm_dir(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	if (rmdir(p) < 0)
		fail("rmdir", p);
}

static void rm_port(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s/subsystems", dir, name);
	each(p, rm_link);
	rm_dir(dir, name);
}

/* A subsystem's allowed_hosts links, then each namespace handed to ns_fn. */
static void rm_links_then_ns(const char *dir, const char *name, void (*ns_fn)(const char *dir, const char *name))
{
	char p[PATH_MAX];
	pf(p, "%s/%s/allowed_hosts", dir, name);
	each(p, rm_link);
	pf(p, "%s/%s/namespaces", dir, name);
	each(p, ns_fn);
}

static void rm_subsys(const char *dir, const char *name)
{
	rm_links_then_ns(dir, name, rm_dir);
	rm_dir(dir, name);
}

static struct tasks ns_tasks;

static void ns_task(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s", dir, name);
	task_add(&ns_tasks, p);
}

/* parallel: the links and every namespace first (namespaces on the threads), then the subsystems */
static void rm_subsys_links_ns(const char *dir, const char *name)
{
	rm_links_then_ns(dir, name, ns_task);
}

static void rmdir_path(const char *p)
{
	if (rmdir(p) < 0)
		fail("rmdir", p);
}

static void clear_all(void)
{
	char p[PATH_MAX];

	if (jobs < 2) {
		each_top(rm_port, rm_subsys, rm_dir);
		return;
	}
	pf(p, "%s/ports", root);
	each(p, rm_port);
	pf(p, "%s/subsystems", root);
	each(p, rm_subsys_links_ns);
	ns_tasks.fn = rmdir_path;
	task_run(&ns_tasks);
	each(p, rm_dir);
	pf(p, "%s/hosts", root);
	each(p, rm_dir);
}

static void build(unsigned n, const char *dir, const char *addr, const char *svc)
{
	char p[PATH_MAX], v[PATH_MAX], t[PATH_MAX];

	for (unsigned i = 1; i <= n; i++) {
		pf(p, "%s/subsystems/" NQN_PREFIX "%u", root, i);
		do_mkdir(p);
		pf(p, "%s/subsystems/" NQN_PREFIX "%u/attr_allow_any_host", root, i);
		do_write(p, "1");
		pf(p, "%s/subsystems/" NQN_PREFIX "%u/attr_serial", root, i);
		pf(v, "BENCH%u", i);
		do_write(p, v);
		pf(p, "%s/subsystems/" NQN_PREFIX "%u/namespaces/1", root, i);
		do_mkdir(p);
		pf(p, "%s/subsystems/" NQN_PREFIX "%u/namespaces/1/device_path", root, i);
		pf(v, "%s/ns%u.img", dir, i);
		do_write(p, v);
		pf(p, "%s/subsystems/" NQN_PREFIX "%u/namespaces/1/enable", root, i);
		do_write(p, "1");
	}
	pf(p, "%s/ports/1", root);
	do_mkdir(p);
	pf(p, "%s/ports/1/addr_trtype", root);
	do_write(p, "tcp");
	pf(p, "%s/ports/1/addr_adrfam", root);
	do_write(p, "ipv4");
	pf(p, "%s/ports/1/addr_traddr", root);
	do_write(p, addr);
	pf(p, "%s/ports/1/addr_trsvcid", root);
	do_write(p, svc);
	for (unsigned i = 1; i <= n; i++) {
		pf(t, "%s/subsystems/" NQN_PREFIX "%u", root, i);
		pf(p, "%s/ports/1/subsystems/" NQN_PREFIX "%u", root, i);
		if (symlink(t, p) < 0)
			fail("symlink", p);
	}
}

static void change(const char *nqn, const char *path)
{
	char p[PATH_MAX];

	read_all();
	pf(p, "%s/subsystems/%s/namespaces/1/enable", root, nqn);
	do_write(p, "0");
	pf(p, "%s/subsystems/%s/namespaces/1/device_path", root, nqn);
	do_write(p, path);
	pf(p, "%s/subsystems/%s/namespaces/1/enable", root, nqn);
	do_write(p, "1");
}

/* change-all: every benchI's namespace 1 to DIR/nsI.EXT, disabled and enabled around it */
static const char *change_dir, *change_ext;

/* Point namespace ns (disabled or new) at DIR/nsI.EXT, I from its NQN, and enable it. */
static void point_ns(const char *ns)
{
	char p[PATH_MAX], v[PATH_MAX];
	const char *nqn = strstr(ns, NQN_PREFIX);
	unsigned i = nqn ? strtoul(nqn + strlen(NQN_PREFIX), NULL, 10) : 0;

	pf(p, "%s/device_path", ns);
	pf(v, "%s/ns%u.%s", change_dir, i, change_ext);
	do_write(p, v);
	pf(p, "%s/enable", ns);
	do_write(p, "1");
}

static void change_ns(const char *ns)
{
	char p[PATH_MAX];

	pf(p, "%s/enable", ns);
	do_write(p, "0");
	point_ns(ns);
}

static void replace_ns(const char *ns)
{
	char p[PATH_MAX], uuid[64] = "";
	ssize_t n;
	int fd;

	pf(p, "%s/device_uuid", ns);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open", p);
	n = read(fd, uuid, sizeof(uuid) - 1);
	close(fd);
	if (n <= 0)
		fail("read", p);
	uuid[n] = '\0';
	rmdir_path(ns);
	do_mkdir(ns);
	do_write(p, uuid);
	point_ns(ns);
}

static void change_subsys(const char *dir, const char *name)
{
	char p[PATH_MAX];
	pf(p, "%s/%s/namespaces/1", dir, name);
	if (jobs < 2)
		ns_tasks.fn(p);
	else
		task_add(&ns_tasks, p);
}

static void change_all(const char *dir, const char *ext, void (*fn)(const char *ns))
{
	char p[PATH_MAX];

	read_all();
	change_dir = dir;
	change_ext = ext;
	ns_tasks.fn = fn;
	pf(p, "%s/subsystems", root);
	each(p, change_subsys);
	task_run(&ns_tasks);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "-j")) {
		jobs = strtoul(argv[2], NULL, 10);
		jobs = jobs < 1 ? 1 : jobs > 256 ? 256 : jobs;
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		goto usage;
	pf(root, "%s", argv[1]);
	if (!strcmp(argv[2], "build") && argc == 7)
		build(strtoul(argv[3], NULL, 10), argv[4], argv[5], argv[6]);
	else if (!strcmp(argv[2], "read") && argc == 3)
		read_all();
	else if (!strcmp(argv[2], "change") && argc == 5)
		change(argv[3], argv[4]);
	else if (!strcmp(argv[2], "change-all") && argc == 5)
		change_all(argv[3], argv[4], change_ns);
	else if (!strcmp(argv[2], "replace-all") && argc == 5)
		change_all(argv[3], argv[4], replace_ns);
	else if (!strcmp(argv[2], "clear") && argc == 3)
		clear_all();
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: nvmet-floor [-j JOBS] ROOT build N DIR ADDR SVC | read | change NQN PATH | "
			"change-all DIR EXT | replace-all DIR EXT | clear\n");
	return 2;
}
