/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bridge between nvmetd's loop and the Avahi thread. The loop never calls Avahi: it leaves what
 * it wants in the mailbox and wakes the thread (wake_fd); the thread does the D-Bus round trips
 * (mdns-avahi.c), leaves a snapshot in the mailbox and, when it differs from the last one, wakes the
 * loop (report_fd), which calls changed(). Neither side waits for the other but for the mailbox's
 * lock, which is held for copies only — and mdns_stop(), for a bounded time. Avahi's libraries are
 * opened here (mdns-lib.h); without them, nothing is advertised and the state says why. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

#include "log.h"
#include "mdns-avahi.h"
#include "mdns-lib.h"
#include "mdns.h"
#include "util.h"

/* How long stopping waits for the withdrawal (D-Bus round trips to avahi-daemon). */
#define STOP_WAIT_MS 3000

/* The state without Avahi's libraries (mdns_json's "avahi"). */
#define NO_LIBRARY "library missing (" AVAHI_CLIENT_PKG ")"

/* Between the two threads, under lock. */
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* done was set */
	struct mdns_service *want;	/* the loop's latest wish, not yet taken */
	size_t nwant;
	char *nqn;
	bool have_want;
	bool retry;
	bool stop;
	bool done;			/* the thread ended (what was advertised is withdrawn) */
	struct mdns_snap snap;		/* the thread's latest snapshot */
};

struct mdns {
	AvahiSimplePoll *sp;		/* Avahi's own loop, on the thread */
	AvahiWatch *wake_watch;
	struct mdns_avahi *av;		/* the thread's (and before it starts, after it ends: the loop's) */
	pthread_t thread;
	bool running;			/* the thread was started */
	int wake_fd;			/* loop -> thread: the mailbox holds a request */
	int report_fd;			/* thread -> loop: the snapshot changed */
	sd_event_source *report_src;
	void (*changed)(void *ud);
	void *ud;
	struct mailbox *box;
};

/* Stopped without the thread ending (a wedged D-Bus): the process exits with it still running. */
static struct mdns *volatile left_running;

static void kick(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));	/* fails only when the counter is full: awake anyway */

	(void)r;
}

static void drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v));

	(void)r;
}

static struct mailbox *box_new(void)
{
	struct mailbox *b = xcalloc(1, sizeof(*b));
	pthread_condattr_t ca;

	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	return b;
}

static void box_free(struct mailbox *b)
{
	if (!b)
		return;
	mdns_services_free(b->want, b->nwant);
	free(b->nqn);
	mdns_snap_free(&b->snap);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- on the Avahi thread ---- */

/* mdns-avahi.c changed something: hand the loop a new snapshot if it differs. */
static void on_av_changed(void *ud)
{
	struct mdns *m = ud;
	struct mdns_snap s, old;
	bool differs;

	mdns_avahi_snapshot(m->av, &s);
	pthread_mutex_lock(&m->box->lock);
	differs = !mdns_snap_equal(&m->box->snap, &s);
	old = m->box->snap;
	if (differs)
		m->box->snap = s;
	pthread_mutex_unlock(&m->box->lock);
	mdns_snap_free(differs ? &old : &s);
	if (differs)
		kick(m->report_fd);
}

static void on_wake(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *ud)
{
	struct mdns *m = ud;
	struct mailbox *b = m->box;
	_cleanup_free_ char *nqn = NULL;
	struct mdns_service *want;
	size_t n;
	bool have, retry, stop;

	drain(fd);
	pthread_mutex_lock(&b->lock);
	want = TAKE_PTR(b->want);
	n = b->nwant;
	nqn = TAKE_PTR(b->nqn);
	have = b->have_want;
	retry = b->retry;
	stop = b->stop;
	b->nwant = 0;
	b->have_want = b->retry = false;
	pthread_mutex_unlock(&b->lock);
	if (stop)
		avahi_fn.simple_poll_quit(m->sp);
	else if (have)
		mdns_avahi_want(m->av, want, n, nqn);
	if (retry && !stop)
		mdns_avahi_retry(m->av);
	mdns_services_free(want, n);
}

static void *avahi_thread(void *ud)
{
	struct mdns *m = ud;

	if (avahi_fn.simple_poll_loop(m->sp) < 0)
		log_error("mDNS: Avahi's poll loop failed (%s); nothing is advertised", strerror(errno));
	mdns_avahi_free(m->av);	/* withdraws what is advertised */
	m->av = NULL;
	pthread_mutex_lock(&m->box->lock);
	m->box->done = true;
	pthread_cond_broadcast(&m->box->cond);
	pthread_mutex_unlock(&m->box->lock);
	return NULL;
}

/* ---- on nvmetd's loop ---- */

static int on_report(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct mdns *m = ud;

	drain(fd);
	if (m->changed)
		m->changed(m->ud);
	return 0;
}

/* Avahi's side, once the thread is not running (never started, or joined). */
static void avahi_free_all(struct mdns *m)
{
	mdns_avahi_free(m->av);
	m->av = NULL;
	if (m->wake_watch)
		avahi_fn.simple_poll_get(m->sp)->watch_free(m->wake_watch);
	m->wake_watch = NULL;
	if (m->sp)
		avahi_fn.simple_poll_free(m->sp);
	m->sp = NULL;
}

/* Everything, once the thread is not running. */
static void mdns_free(struct mdns *m)
{
	if (!m)
		return;
	sd_event_source_disable_unref(m->report_src);
	avahi_free_all(m);
	closep(&m->wake_fd);
	closep(&m->report_fd);
	box_free(m->box);
	free(m);
}

static inline void mdns_freep(struct mdns **m) { mdns_free(*m); }

/* The thread with every signal blocked from its first instruction: they are the loop's (signalfd). */
static int thread_start(struct mdns *m)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&m->thread, NULL, avahi_thread, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	m->running = r == 0;
	return -r;
}

/* Avahi's libraries are not there: said once per try (start, reload), as a missing system D-Bus is. */
static void no_library(struct mdns *m)
{
	log_error("mDNS: cannot open %s: nothing is advertised; nvmetd keeps serving — install %s, then reload",
		  mdns_lib_client_soname, AVAHI_CLIENT_PKG);
	m->box->snap.avahi = NO_LIBRARY;
}

/* Avahi's loop, client and thread; without Avahi's libraries, only a state that says so (0). The
 * thread takes what the mailbox already holds. */
static int avahi_start(struct mdns *m)
{
	struct mdns_snap s;
	const AvahiPoll *api;
	int r;

	if (mdns_lib_load() < 0) {
		no_library(m);
		return 0;
	}
	if (!(m->sp = avahi_fn.simple_poll_new()))
		return -ENOMEM;
	api = avahi_fn.simple_poll_get(m->sp);
	if (!(m->wake_watch = api->watch_new(api, m->wake_fd, AVAHI_WATCH_IN, on_wake, m)))
		return -ENOMEM;
	r = mdns_avahi_new(api, on_av_changed, m, &m->av);
	if (r < 0)
		return r;
	mdns_avahi_snapshot(m->av, &s);	/* no thread yet: the mailbox is the loop's */
	mdns_snap_free(&m->box->snap);
	m->box->snap = s;
	return thread_start(m);
}

int mdns_start(sd_event *ev, void (*changed)(void *ud), void *ud, struct mdns **out)
{
	_cleanup_(mdns_freep) struct mdns *m = xcalloc(1, sizeof(*m));
	int r;

	*out = NULL;
	m->changed = changed;
	m->ud = ud;
	m->box = box_new();
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->report_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0 || m->report_fd < 0)
		return -errno;
	r = sd_event_add_io(ev, &m->report_src, m->report_fd, EPOLLIN, on_report, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(m->report_src, "mdns");
	r = avahi_start(m);
	if (r < 0)
		return r;
	*out = TAKE_PTR(m);
	return 0;
}

/* Hand the thread a request (the caller filled the mailbox) and return. */
static void request(struct mdns *m, void (*fill)(struct mailbox *b, void *arg), void *arg)
{
	pthread_mutex_lock(&m->box->lock);
	fill(m->box, arg);
	pthread_mutex_unlock(&m->box->lock);
	kick(m->wake_fd);
}

struct wish {
	struct mdns_service *v;
	size_t n;
	char *nqn;
};

static void fill_want(struct mailbox *b, void *arg)
{
	struct wish *w = arg;

	/* an older wish the thread has not taken yet is simply replaced */
	mdns_services_free(b->want, b->nwant);
	free(b->nqn);
	b->want = w->v;
	b->nwant = w->n;
	b->nqn = w->nqn;
	b->have_want = true;
}

void mdns_update(struct mdns *m, const struct mdns_service *v, size_t n, const char *nqn)
{
	struct wish w = { mdns_services_dup(v, n), n, nqn ? xstrdup(nqn) : NULL };

	if (!m) {
		mdns_services_free(w.v, w.n);
		free(w.nqn);
		return;
	}
	request(m, fill_want, &w);
}

static void fill_retry(struct mailbox *b, void *arg) { b->retry = true; }

void mdns_retry(struct mdns *m)
{
	int r;

	if (!m)
		return;
	if (m->running) {
		request(m, fill_retry, NULL);
		return;
	}
	/* without Avahi's libraries at start: open them now */
	r = avahi_start(m);
	if (r < 0) {
		log_error("mDNS: cannot start: %s; nothing is advertised", strerror(-r));
		avahi_free_all(m);
		m->box->snap.avahi = "failed";
	}
	kick(m->report_fd);	/* the state changed */
}

static void fill_stop(struct mailbox *b, void *arg) { b->stop = true; }

/* Whether the thread ended within STOP_WAIT_MS. */
static bool wait_done(struct mailbox *b)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += STOP_WAIT_MS / 1000;
	until.tv_nsec += (STOP_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&b->cond, &b->lock, &until);
	r = b->done;
	pthread_mutex_unlock(&b->lock);
	return r;
}

void mdns_stop(struct mdns *m)
{
	if (!m)
		return;
	if (!m->running) {
		mdns_free(m);
		return;
	}
	request(m, fill_stop, NULL);
	if (!wait_done(m->box)) {
		log_warn("mDNS: Avahi does not answer over D-Bus within %d s; stopping without waiting for the "
			 "withdrawal", STOP_WAIT_MS / 1000);
		pthread_detach(m->thread);
		m->report_src = sd_event_source_disable_unref(m->report_src);
		left_running = m;	/* the thread's still */
		return;
	}
	pthread_join(m->thread, NULL);
	mdns_free(m);
}

struct json_object *mdns_json(const struct mdns *m)
{
	struct json_object *o;

	pthread_mutex_lock(&m->box->lock);
	o = mdns_snap_json(&m->box->snap);
	pthread_mutex_unlock(&m->box->lock);
	return o;
}
