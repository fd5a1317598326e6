/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The library context's apply lock: where it lives (never in nvmetd's RuntimeDirectory, which
 * systemd deletes at every stop), and that taking it is idempotent and leaves nothing behind when it
 * fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "faketree.h"
#include "util.h"

static void unset_roots(void)
{
	unsetenv("NVMET_CONFIGFS_ROOT");
	unsetenv("NVMET_SYSFS_ROOT");
	unsetenv("NVMET_RUN_DIR");
	unsetenv("NVMET_LOCK_FILE");
}

static int open_fds(void)
{
	_cleanup_strv_ char **names = NULL;
	return list_dir("/proc/self/fd", &names);
}

/* The real paths: the lock is beside the drains in /run/nvmet, not in /run/nvmetd. */
static void test_lock_outside_runtime_dir(void **state)
{
	_cleanup_(ctx_freep) struct nv_ctx *c = NULL;
	_cleanup_free_ char *want = NULL;

	(void)state;
	unset_roots();
	assert_int_equal(ctx_new(&c), 0);
	assert_string_equal(c->rundir, "/run/nvmet");
	assert_string_equal(c->lock_path, "/run/nvmet/apply.lock");
	assert_string_equal(NVMET_LOCK_FILE, "/run/nvmet/apply.lock");
	assert_false(path_under(c->lock_path, "/run/nvmetd"));
	want = path_join(c->rundir, "apply.lock");
	assert_string_equal(c->lock_path, want);
}

/* Under a test root the lock follows the run directory too, and holding it survives the removal of
 * a directory standing for nvmetd's RuntimeDirectory: a second applier still has to wait. */
static void test_lock_in_rundir_under_test_root(void **state)
{
	struct faketree *t = faketree_new(true);
	struct nv_ctx *a = faketree_ctx(t), *b = faketree_ctx(t);
	_cleanup_free_ char *unitdir = path_join(t->root, "nvmetd"), *cmd = NULL;

	(void)state;
	assert_true(path_under(a->lock_path, a->rundir));
	assert_int_equal(mkdir(unitdir, 0755), 0);
	assert_int_equal(ctx_lock(a), 0);
	cmd = xasprintf("rm -rf '%s'", unitdir);	/* systemd stops nvmetd */
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ctx_trylock(b), -EWOULDBLOCK);
	ctx_unlock(a);
	assert_int_equal(ctx_trylock(b), 0);
	ctx_free(a);
	ctx_free(b);
	faketree_free(t);
}

/* Taking a held lock again is a no-op; a refused try leaves no descriptor. */
static void test_trylock_idempotent(void **state)
{
	struct faketree *t = faketree_new(true);
	struct nv_ctx *a = faketree_ctx(t), *b = faketree_ctx(t);
	int fds, fd;

	(void)state;
	assert_int_equal(ctx_trylock(a), 0);
	fd = a->lock_fd;
	fds = open_fds();
	assert_int_equal(ctx_trylock(a), 0);
	assert_int_equal(ctx_lock(a), 0);
	assert_int_equal(a->lock_fd, fd);
	assert_int_equal(ctx_trylock(b), -EWOULDBLOCK);
	assert_int_equal(b->lock_fd, -1);
	assert_int_equal(open_fds(), fds);
	ctx_unlock(a);
	ctx_unlock(a);
	assert_int_equal(a->lock_fd, -1);
	ctx_free(a);
	ctx_free(b);
	faketree_free(t);
}

static void on_alarm(int sig) { (void)sig; }

/* B-14: a wait that fails (here: interrupted by a signal) leaves the context without a descriptor,
 * and the next attempt does not leak one either. */
static void test_lock_failure_leaks_nothing(void **state)
{
	struct faketree *t = faketree_new(true);
	struct nv_ctx *a = faketree_ctx(t), *b = faketree_ctx(t);
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int fds;

	(void)state;
	assert_int_equal(ctx_lock(a), 0);
	fds = open_fds();
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: flock returns EINTR */
	for (int i = 0; i < 3; i++) {
		alarm(1);
		assert_int_equal(ctx_lock(b), -EINTR);
		assert_int_equal(b->lock_fd, -1);
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(open_fds(), fds);
	ctx_unlock(a);
	assert_int_equal(ctx_lock(b), 0);
	ctx_free(a);
	ctx_free(b);
	faketree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_outside_runtime_dir),
		cmocka_unit_test(test_lock_in_rundir_under_test_root),
		cmocka_unit_test(test_trylock_idempotent),
		cmocka_unit_test(test_lock_failure_leaks_nothing),
	};
	return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
