/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A function run on a thread of its own, and a function run on nvmetd's loop once it is done (an
 * eventfd wakes the loop). The thread has every signal blocked (they are the loop's). */
#ifndef NVMETD_RPC_LVJOB_H
#define NVMETD_RPC_LVJOB_H

#include <pthread.h>
#include <systemd/sd-event.h>

struct lvjob_thread {
	void (*run)(void *arg);		/* on the thread */
	void (*done)(void *arg);	/* on the loop, after the thread was joined; it frees arg */
	void (*drop)(void *arg);	/* instead of done, after the loop (lvjob_join_all) */
	void *arg;
	pthread_t thread;
	int efd;
	sd_event_source *src;
	struct lvjob_thread *next, **list;	/* the daemon's running jobs */
};

/* Start t (run, done, drop, arg set; t lives in arg) and link it into *running: 0 or -errno (nothing
 * started). */
int lvjob_spawn(sd_event *ev, struct lvjob_thread *t, struct lvjob_thread **running);
/* Wait for every job in *running (after the loop) and drop it. */
void lvjob_join_all(struct lvjob_thread **running);

#endif
