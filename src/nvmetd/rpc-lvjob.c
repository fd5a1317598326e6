/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc-lvjob.h */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "rpc-lvjob.h"

static void *thread_main(void *arg)
{
	struct lvjob_thread *t = arg;
	uint64_t one = 1;

	t->run(t->arg);
	if (write(t->efd, &one, sizeof(one)) < 0)
		log_error("RPC job: cannot wake the loop: %s", strerror(errno));
	return NULL;
}

static void unlink_job(struct lvjob_thread *t)
{
	for (struct lvjob_thread **p = t->list; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			return;
		}
}

static void release(struct lvjob_thread *t)
{
	pthread_join(t->thread, NULL);
	t->src = sd_event_source_disable_unref(t->src);
	close(t->efd);
	t->efd = -1;
	unlink_job(t);
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct lvjob_thread *t = ud;
	uint64_t n;

	(void)s;
	(void)revents;
	if (read(fd, &n, sizeof(n)) < 0)
		return 0;
	release(t);
	t->done(t->arg);
	return 0;
}

int lvjob_spawn(sd_event *ev, struct lvjob_thread *t, struct lvjob_thread **running)
{
	sigset_t all, old;
	int r;

	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->efd < 0)
		return -errno;
	r = sd_event_add_io(ev, &t->src, t->efd, EPOLLIN, on_done, t);
	if (r < 0) {
		close(t->efd);
		return r;
	}
	(void)sd_event_source_set_description(t->src, "rpc-lvol-done");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&t->thread, NULL, thread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		t->src = sd_event_source_disable_unref(t->src);
		close(t->efd);
		return r;
	}
	t->list = running;
	t->next = *running;
	*running = t;
	return 0;
}

void lvjob_join_all(struct lvjob_thread **running)
{
	while (*running) {
		struct lvjob_thread *t = *running;
		release(t);
		t->drop(t->arg);
	}
}
