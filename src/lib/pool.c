/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The executor's default runner: operations the kernel makes wait (exec.h, op_waits) run on a
 * small pool of threads, the others on the caller's thread at once. Threads are started on demand,
 * up to jobs, and all joined when the plan is done: an idle nvmetd has none. Workers block every
 * signal (the caller's signal handling stays where it is) and only make the configfs call: the
 * journal, logging and printing stay on the caller's thread. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "exec.h"
#include "util.h"

struct done_op {
	size_t i;
	int r;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	int (*fn)(void *arg, size_t i);
	void *arg;
	unsigned jobs;
	size_t *queue, nqueue;		/* submitted, not yet taken (at most jobs) */
	struct done_op *fin;		/* finished, not yet reported (at most jobs) */
	size_t nfin;
	pthread_t *threads;
	unsigned nthreads, idle;
	bool quit;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t i;
		int r;

		while (!p->nqueue && !p->quit) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		if (!p->nqueue)
			break;
		i = p->queue[0];
		memmove(p->queue, p->queue + 1, --p->nqueue * sizeof(*p->queue));
		pthread_mutex_unlock(&p->mu);
		r = p->fn(p->arg, i);
		pthread_mutex_lock(&p->mu);
		p->fin[p->nfin++] = (struct done_op){ i, r };
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void *pool_open(const struct exec_runner *self, unsigned jobs, int (*fn)(void *arg, size_t i), void *arg)
{
	struct pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->fn = fn;
	p->arg = arg;
	p->jobs = jobs ? jobs : 1;
	p->queue = xcalloc(p->jobs, sizeof(*p->queue));
	p->fin = xcalloc(p->jobs, sizeof(*p->fin));
	p->threads = xcalloc(p->jobs, sizeof(*p->threads));
	return p;
}

/* A thread more, when none is idle: 0, or -errno (the caller then runs the operation itself). */
static int spawn(struct pool *p)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	if (p->idle >= p->nqueue || p->nthreads >= p->jobs)
		return 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);	/* paths and one attribute write */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&p->threads[p->nthreads], &attr, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		return -r;
	p->nthreads++;
	return 0;
}

static int pool_submit(void *pp, size_t i, bool concurrent, int *r)
{
	struct pool *p = pp;
	int s;

	if (!concurrent || p->jobs < 2) {
		*r = p->fn(p->arg, i);
		return 1;
	}
	pthread_mutex_lock(&p->mu);
	p->queue[p->nqueue++] = i;
	s = spawn(p);
	if (s < 0 && !p->nthreads) {
		/* no thread at all (EAGAIN: the task limit): the operation still runs, here */
		p->nqueue--;
		pthread_mutex_unlock(&p->mu);
		*r = p->fn(p->arg, i);
		return 1;
	}
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static size_t pool_wait(void *pp, int *r)
{
	struct pool *p = pp;
	struct done_op d;

	pthread_mutex_lock(&p->mu);
	while (!p->nfin)
		pthread_cond_wait(&p->done, &p->mu);
	d = p->fin[0];
	memmove(p->fin, p->fin + 1, --p->nfin * sizeof(*p->fin));
	pthread_mutex_unlock(&p->mu);
	*r = d.r;
	return d.i;
}

static void pool_close(void *pp)
{
	struct pool *p = pp;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned t = 0; t < p->nthreads; t++)
		pthread_join(p->threads[t], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->queue);
	free(p->fin);
	free(p->threads);
	free(p);
}

const struct exec_runner exec_threads = {
	.open = pool_open, .submit = pool_submit, .wait = pool_wait, .close = pool_close,
};
