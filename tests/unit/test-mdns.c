/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mDNS: the decisions (mdns-tab.c) against recording ops — what is published, updated and withdrawn
 * for each change, the names taken after collisions, the collision budget, retries — and the
 * threaded client without Avahi's libraries, against a system D-Bus that is not there, then one that
 * never answers: the loop's calls return at once and stopping is bounded. No avahi-daemon is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mdns-lib.h"
#include "mdns-names.h"
#include "mdns-snap.h"
#include "mdns-tab.h"
#include "mdns.h"
#include "util.h"

#define ERR_FAKE (-99)

/* ---- recording ops: every call appended to calls, "; "-separated ---- */

static char calls[8192];
static int fail_next;	/* the next publish_* / update_txt returns this */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	size_t len = strlen(calls);
	va_list ap;

	if (len)
		len += (size_t)snprintf(calls + len, sizeof(calls) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(calls + len, sizeof(calls) - len, fmt, ap);
	va_end(ap);
}

static int take_failure(void)
{
	int r = fail_next;

	fail_next = 0;
	return r;
}

/* io is the name the record was published under, so a withdrawal says what it withdraws */
static void set_io(void **io, const char *name)
{
	free(*io);
	*io = xstrdup(name);
}

static int op_publish_addr(struct mdns_tab *t, struct mdns_addr *a)
{
	note("addr %s=%s", a->host.cur, a->addr);
	set_io(&a->io, a->host.cur);
	return take_failure();
}

static int op_publish_svc(struct mdns_tab *t, struct mdns_svc *s)
{
	note("svc \"%s\" at %s nqn=%s", s->name.cur, s->addr->host.cur ? s->addr->host.cur : "*", t->nqn);
	set_io(&s->io, s->name.cur);
	return take_failure();
}

static int op_update_txt(struct mdns_tab *t, struct mdns_svc *s)
{
	note("txt \"%s\" nqn=%s", s->name.cur, t->nqn);
	return take_failure();
}

static void op_withdraw(struct mdns_tab *t, void **io)
{
	if (*io)
		note("withdraw %s", (char *)*io);
	free(*io);
	*io = NULL;
}

static const char *op_strerror(int err) { return "fake error"; }

static const struct mdns_ops rec_ops = {
	.publish_addr = op_publish_addr, .publish_svc = op_publish_svc, .update_txt = op_update_txt,
	.withdraw = op_withdraw, .strerror = op_strerror,
};

static const struct mdns_service A4420 = { "tcp", "ipv4", "10.0.0.1", "4420", 2, "tcp" };
static const struct mdns_service A4421 = { "rdma", "ipv4", "10.0.0.1", "4421", 2, "roce" };
static const struct mdns_service B4420 = { "tcp", "ipv4", "10.0.1.1", "4420", 3, "tcp" };
static const struct mdns_service ANY = { "tcp", "ipv4", "0.0.0.0", "8009", 0, "tcp" };

static void setup_tab(struct mdns_tab *t)
{
	mdns_tab_init(t, &rec_ops, NULL);
	calls[0] = '\0';
	fail_next = 0;
}

static void sync3(struct mdns_tab *t, const struct mdns_service *x, const struct mdns_service *y,
		  const struct mdns_service *z, const char *nqn)
{
	struct mdns_service v[3];
	size_t n = 0;

	if (x)
		v[n++] = *x;
	if (y)
		v[n++] = *y;
	if (z)
		v[n++] = *z;
	calls[0] = '\0';
	mdns_tab_sync(t, v, n, nqn, "h");
}

static struct mdns_svc *svc_at(struct mdns_tab *t, size_t a, size_t s)
{
	assert_true(a < t->n && s < t->addrs[a]->n);
	return t->addrs[a]->svcs[s];
}

/* Everything handed to avahi-daemon is now on the network. */
static void establish_all(struct mdns_tab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->addrs[i]->host.cur)
			mdns_addr_established(t->addrs[i]);
		for (size_t k = 0; k < t->addrs[i]->n; k++)
			mdns_svc_established(t->addrs[i]->svcs[k]);
	}
}

/* ---- names ---- */

static void expect_str(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

static void test_alt_names(void **state)
{
	_cleanup_free_ char *l4 = mdns_host_label("x", "192.168.20.200");
	_cleanup_free_ char *l6 = mdns_host_label("x", "fe80::1%eth0");
	_cleanup_free_ char *longl = NULL, *longh = NULL, *utf = NULL;
	char big[100];

	assert_string_equal(l4, "x-192-168-20-200");
	assert_string_equal(l6, "x-fe80--1-eth0");
	/* Avahi would say NULL here (a dotted name), or "x-192-168-20-201" without ".local" */
	expect_str(mdns_alt_host(l4, 1), "x-192-168-20-200.local");
	expect_str(mdns_alt_host(l4, 2), "x-192-168-20-200-alt2.local");
	expect_str(mdns_alt_host(l4, 3), "x-192-168-20-200-alt3.local");
	expect_str(mdns_alt_host(l4, 17), "x-192-168-20-200-alt17.local");
	expect_str(mdns_alt_service("h tcp 10.0.0.1:4420", 1), "h tcp 10.0.0.1:4420");
	expect_str(mdns_alt_service("h tcp 10.0.0.1:4420", 2), "h tcp 10.0.0.1:4420 #2");

	/* a long host name: every name still fits a label, the suffix kept whole */
	memset(big, 'a', 80);
	big[80] = '\0';
	longl = mdns_host_label(big, "10.0.0.1");
	assert_int_equal(strlen(longl), MDNS_LABEL_MAX);
	longh = mdns_alt_host(longl, 12);
	assert_int_equal(strlen(longh), MDNS_LABEL_MAX + strlen(".local"));
	assert_non_null(strstr(longh, "-alt12.local"));
	/* cut on a character boundary: "é" (2 bytes) at bytes 62-63 is dropped whole */
	memset(big, 'a', 62);
	strcpy(big + 62, "\xc3\xa9zz");
	utf = mdns_host_label(big, "1");
	assert_int_equal(strlen(utf), 62);
	expect_str(mdns_alt_service(big, 1), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

/* ---- decisions ---- */

static void test_publish_then_txt_update(void **state)
{
	struct mdns_tab t;

	setup_tab(&t);
	sync3(&t, &A4420, &A4421, &ANY, "nqn.1");
	assert_string_equal(calls, "");	/* not live: nothing goes out */
	calls[0] = '\0';
	mdns_tab_set_live(&t, true);
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; "
				   "svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=nqn.1; "
				   "svc \"h rdma 10.0.0.1:4421\" at h-10-0-0-1.local nqn=nqn.1; "
				   "svc \"h tcp 0.0.0.0:8009\" at * nqn=nqn.1");
	establish_all(&t);

	/* the same set: nothing to do */
	sync3(&t, &A4420, &A4421, &ANY, "nqn.1");
	assert_string_equal(calls, "");
	/* a new discovery NQN: the TXT changes in place, nothing is withdrawn or published again */
	sync3(&t, &A4420, &A4421, &ANY, "nqn.2");
	assert_string_equal(calls, "txt \"h tcp 10.0.0.1:4420\" nqn=nqn.2; txt \"h rdma 10.0.0.1:4421\" nqn=nqn.2; "
				   "txt \"h tcp 0.0.0.0:8009\" nqn=nqn.2");
	assert_int_equal(svc_at(&t, 0, 0)->state, MDNS_ESTABLISHED);
	/* a TXT update avahi-daemon refuses: published again instead */
	fail_next = ERR_FAKE;
	sync3(&t, &A4420, NULL, NULL, "nqn.3");
	assert_string_equal(calls, "withdraw h rdma 10.0.0.1:4421; withdraw h tcp 0.0.0.0:8009; "
				   "txt \"h tcp 10.0.0.1:4420\" nqn=nqn.3; "
				   "svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=nqn.3");
	mdns_tab_free(&t);
}

static void test_withdraw_one(void **state)
{
	struct mdns_tab t;

	setup_tab(&t);
	t.live = true;
	sync3(&t, &A4420, &A4421, &B4420, "n");
	establish_all(&t);
	/* one port of two at an address: only its service goes */
	sync3(&t, &A4420, &B4420, NULL, "n");
	assert_string_equal(calls, "withdraw h rdma 10.0.0.1:4421");
	/* the last port at an address: its service, then the address's host record */
	sync3(&t, &A4420, NULL, NULL, "n");
	assert_string_equal(calls, "withdraw h tcp 10.0.1.1:4420; withdraw h-10-0-1-1.local");
	assert_int_equal(t.n, 1);
	assert_int_equal(t.addrs[0]->n, 1);
	/* and back: published again, the other left alone */
	sync3(&t, &A4420, &B4420, NULL, "n");
	assert_string_equal(calls, "addr h-10-0-1-1.local=10.0.1.1; svc \"h tcp 10.0.1.1:4420\" at h-10-0-1-1.local nqn=n");
	calls[0] = '\0';
	mdns_tab_free(&t);
	assert_string_equal(calls, "withdraw h tcp 10.0.0.1:4420; withdraw h-10-0-0-1.local; "
				   "withdraw h tcp 10.0.1.1:4420; withdraw h-10-0-1-1.local");
}

static void test_service_collision_budget(void **state)
{
	struct mdns_tab t;
	struct mdns_svc *s;

	setup_tab(&t);
	t.live = true;
	sync3(&t, &ANY, NULL, NULL, "n");
	s = svc_at(&t, 0, 0);
	for (unsigned i = 2; i <= 5; i++) {
		_cleanup_free_ char *want = xasprintf("svc \"h tcp 0.0.0.0:8009 #%u\" at * nqn=n", i);
		calls[0] = '\0';
		mdns_svc_collision(s);
		assert_string_equal(calls, want);
	}
	/* established: the budget is whole again (the name stays) */
	mdns_svc_established(s);
	assert_int_equal(s->name.renames, 0);
	for (unsigned i = 0; i < MDNS_MAX_RENAMES; i++)
		mdns_svc_collision(s);
	assert_int_equal(s->state, MDNS_COMMITTED);
	/* one more in a row: given up, withdrawn */
	calls[0] = '\0';
	mdns_svc_collision(s);
	assert_int_equal(s->state, MDNS_GAVE_UP);
	assert_string_equal(calls, "withdraw h tcp 0.0.0.0:8009 #21");
	/* the next sync tries again, from the first name */
	sync3(&t, &ANY, NULL, NULL, "n");
	assert_string_equal(calls, "svc \"h tcp 0.0.0.0:8009\" at * nqn=n");
	assert_int_equal(s->state, MDNS_COMMITTED);
	assert_int_equal(s->name.renames, 0);
	mdns_tab_free(&t);
}

static void test_host_collision(void **state)
{
	struct mdns_tab t;
	struct mdns_addr *a;
	struct mdns_snap snap;

	setup_tab(&t);
	t.live = true;
	sync3(&t, &A4420, NULL, NULL, "n");
	establish_all(&t);
	a = t.addrs[0];
	/* the host record moves to an -alt name (never to "...-10-0-0-2"), its service with it */
	calls[0] = '\0';
	mdns_addr_collision(a);
	assert_string_equal(calls, "addr h-10-0-0-1-alt2.local=10.0.0.1; "
				   "svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1-alt2.local nqn=n");
	for (unsigned i = 1; i < MDNS_MAX_RENAMES; i++)
		mdns_addr_collision(a);
	assert_string_equal(a->host.cur, "h-10-0-0-1-alt17.local");
	/* given up: the host record and its services are withdrawn, never pointed elsewhere */
	calls[0] = '\0';
	mdns_addr_collision(a);
	assert_string_equal(calls, "withdraw h-10-0-0-1-alt17.local; withdraw h tcp 10.0.0.1:4420");
	assert_int_equal(a->state, MDNS_GAVE_UP);
	mdns_tab_snapshot(&t, "running", &snap);
	assert_int_equal(snap.n, 1);
	assert_string_equal(snap.v[0].state, "name taken");
	mdns_snap_free(&snap);
	/* the next sync: the first name again, then the service */
	sync3(&t, &A4420, NULL, NULL, "n");
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=n");
	mdns_tab_free(&t);
}

/* A name another program on this host holds is refused at once: renamed like a collision. */
static void test_taken_locally(void **state)
{
	struct mdns_tab t;

	setup_tab(&t);
	t.live = true;
	fail_next = MDNS_TAKEN;
	sync3(&t, &A4420, NULL, NULL, "n");
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; addr h-10-0-0-1-alt2.local=10.0.0.1; "
				   "svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1-alt2.local nqn=n");
	fail_next = MDNS_TAKEN;
	sync3(&t, &A4420, &ANY, NULL, "n");
	assert_string_equal(calls, "svc \"h tcp 0.0.0.0:8009\" at * nqn=n; svc \"h tcp 0.0.0.0:8009 #2\" at * nqn=n");
	assert_int_equal(svc_at(&t, 1, 0)->state, MDNS_COMMITTED);
	mdns_tab_free(&t);
}

static void test_failed_retried(void **state)
{
	struct mdns_tab t;

	setup_tab(&t);
	t.live = true;
	/* the host record fails: its service waits */
	calls[0] = '\0';
	fail_next = ERR_FAKE;
	sync3(&t, &A4420, &ANY, NULL, "n");
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; withdraw h-10-0-0-1.local; "
				   "svc \"h tcp 0.0.0.0:8009\" at * nqn=n");
	assert_int_equal(t.addrs[0]->state, MDNS_FAILED);
	assert_int_equal(svc_at(&t, 0, 0)->state, MDNS_PENDING);
	/* the next sync retries it; what is published stays */
	sync3(&t, &A4420, &ANY, NULL, "n");
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=n");
	/* avahi-daemon reports a service failed: retried at the next sync */
	establish_all(&t);
	mdns_svc_failed(svc_at(&t, 1, 0), ERR_FAKE);
	sync3(&t, &A4420, &ANY, NULL, "n");
	assert_string_equal(calls, "svc \"h tcp 0.0.0.0:8009\" at * nqn=n");
	/* one whose publishing fails is tried again at the next sync too */
	mdns_svc_failed(svc_at(&t, 1, 0), ERR_FAKE);
	fail_next = ERR_FAKE;
	calls[0] = '\0';
	mdns_tab_retry(&t);
	assert_string_equal(calls, "svc \"h tcp 0.0.0.0:8009\" at * nqn=n; withdraw h tcp 0.0.0.0:8009");
	assert_int_equal(svc_at(&t, 1, 0)->state, MDNS_FAILED);
	sync3(&t, &A4420, &ANY, NULL, "n");
	assert_string_equal(calls, "svc \"h tcp 0.0.0.0:8009\" at * nqn=n");
	mdns_tab_free(&t);
}

static void test_daemon_states(void **state)
{
	struct mdns_tab t;

	setup_tab(&t);
	t.live = true;
	sync3(&t, &A4420, NULL, NULL, "n");
	establish_all(&t);
	/* avahi-daemon renames itself: withdrawn, published again when it runs */
	calls[0] = '\0';
	mdns_tab_set_live(&t, false);
	assert_string_equal(calls, "withdraw h-10-0-0-1.local; withdraw h tcp 10.0.0.1:4420");
	calls[0] = '\0';
	mdns_tab_set_live(&t, true);
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=n");
	/* the connection is lost: nothing to withdraw (the records went with it) */
	calls[0] = '\0';
	free(t.addrs[0]->io);
	free(svc_at(&t, 0, 0)->io);
	mdns_tab_lost(&t);
	assert_string_equal(calls, "");
	assert_null(t.addrs[0]->io);
	sync3(&t, &A4420, NULL, NULL, "n2");
	assert_string_equal(calls, "");
	mdns_tab_set_live(&t, true);
	assert_string_equal(calls, "addr h-10-0-0-1.local=10.0.0.1; svc \"h tcp 10.0.0.1:4420\" at h-10-0-0-1.local nqn=n2");
	mdns_tab_free(&t);
}

static void test_snapshot(void **state)
{
	struct mdns_tab t;
	struct mdns_snap a, b;
	json_object *j, *svcs, *x;

	setup_tab(&t);
	t.live = true;
	sync3(&t, &A4420, &ANY, NULL, "n");
	mdns_tab_snapshot(&t, "running", &a);
	mdns_tab_snapshot(&t, "running", &b);
	assert_true(mdns_snap_equal(&a, &b));
	assert_string_equal(a.v[0].state, "pending");
	mdns_snap_free(&b);
	mdns_svc_established(svc_at(&t, 0, 0));
	mdns_tab_snapshot(&t, "running", &b);
	assert_false(mdns_snap_equal(&a, &b));
	j = mdns_snap_json(&b);
	assert_true(json_object_object_get_ex(j, "services", &svcs));
	assert_int_equal(json_object_array_length(svcs), 2);
	x = json_object_array_get_idx(svcs, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(x, "state")), "advertised");
	assert_string_equal(json_object_get_string(json_object_object_get(x, "nqn")), "n");
	assert_string_equal(json_object_get_string(json_object_object_get(j, "avahi")), "running");
	json_object_put(j);
	mdns_snap_free(&a);
	mdns_snap_free(&b);
	mdns_tab_free(&t);
}

/* ---- the threaded client, without avahi-daemon ---- */

static char bus_dir[] = "/tmp/test-mdns-XXXXXX";
static char bus_path[sizeof(bus_dir) + 8];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_for(sd_event *ev, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	for (uint64_t t = now_ms(); t < end; t = now_ms())
		assert_true(sd_event_run(ev, (end - t) * 1000) >= 0);
}

static void on_changed(void *ud) { ++*(int *)ud; }

static const char *json_str(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* libavahi-client not installed: mDNS starts without a thread and says why; the loop's calls return at
 * once; a reload after it is installed opens it and hands the thread the wish made meanwhile. */
static void test_client_without_library(void **state)
{
	const struct mdns_service v[] = { A4420 };
	const char *real = mdns_lib_client_soname;
	sd_event *ev = NULL;
	struct mdns *m = NULL;
	json_object *j, *svcs;
	int changes = 0;

	assert_int_equal(sd_event_new(&ev), 0);
	mdns_lib_client_soname = "libavahi-client.so.0-not-installed";
	assert_int_equal(mdns_start(ev, on_changed, &changes, &m), 0);
	mdns_update(m, v, 1, "nqn.x");
	mdns_retry(m);	/* a reload: still missing */
	run_for(ev, 100);
	assert_true(changes >= 1);
	j = mdns_json(m);
	assert_string_equal(json_str(j, "avahi"), "library missing (libavahi-client3)");
	assert_true(json_object_object_get_ex(j, "services", &svcs));
	assert_int_equal(json_object_array_length(svcs), 0);
	json_object_put(j);
	mdns_lib_client_soname = real;	/* installed: the next reload opens it */
	mdns_retry(m);
	run_for(ev, 300);
	j = mdns_json(m);
	assert_string_equal(json_str(j, "avahi"), "unavailable");	/* no system bus here */
	assert_true(json_object_object_get_ex(j, "services", &svcs));
	assert_int_equal(json_object_array_length(svcs), 1);
	assert_string_equal(json_str(json_object_array_get_idx(svcs, 0), "state"), "pending");
	json_object_put(j);
	mdns_stop(m);
	sd_event_unref(ev);
}

/* No system bus: the client cannot be made, the loop's calls return at once, nothing crashes. */
static void test_client_without_bus(void **state)
{
	const struct mdns_service v[] = { A4420, ANY };
	sd_event *ev = NULL;
	struct mdns *m = NULL;
	json_object *j, *svcs;
	int changes = 0;
	uint64_t t0;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(mdns_start(ev, on_changed, &changes, &m), 0);
	t0 = now_ms();
	mdns_update(m, v, 2, "nqn.x");
	assert_true(now_ms() - t0 < 100);
	run_for(ev, 300);
	assert_true(changes >= 1);	/* "connecting" -> "unavailable", the services */
	j = mdns_json(m);
	assert_string_equal(json_str(j, "avahi"), "unavailable");
	assert_true(json_object_object_get_ex(j, "services", &svcs));
	assert_int_equal(json_object_array_length(svcs), 2);
	assert_string_equal(json_str(json_object_array_get_idx(svcs, 0), "state"), "pending");
	json_object_put(j);
	mdns_retry(m);	/* what nvmetd's SIGHUP does: tries again now */
	mdns_update(m, v, 1, "nqn.y");
	run_for(ev, 100);
	t0 = now_ms();
	mdns_stop(m);
	assert_true(now_ms() - t0 < 1000);
	sd_event_unref(ev);
}

/* A system bus that takes the connection and never answers (a wedged dbus-daemon): the Avahi thread
 * is stuck in a 25 s D-Bus call; the loop is not, and stopping gives up after a few seconds. */
static void test_client_bus_never_answers(void **state)
{
	const struct mdns_service v[] = { A4420 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sd_event *ev = NULL;
	struct mdns *m = NULL;
	json_object *j;
	int fd, changes = 0;
	uint64_t t0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bus_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);	/* connections wait in the backlog, unanswered */
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(mdns_start(ev, on_changed, &changes, &m), 0);
	run_for(ev, 200);
	t0 = now_ms();
	for (int i = 0; i < 10; i++)
		mdns_update(m, v, 1, "nqn.x");
	j = mdns_json(m);
	assert_true(now_ms() - t0 < 100);
	assert_string_equal(json_str(j, "avahi"), "connecting");
	json_object_put(j);
	t0 = now_ms();
	mdns_stop(m);
	t0 = now_ms() - t0;
	assert_true(t0 >= 2500 && t0 < 5000);
	sd_event_unref(ev);
	close(fd);
	unlink(bus_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alt_names),
		cmocka_unit_test(test_publish_then_txt_update),
		cmocka_unit_test(test_withdraw_one),
		cmocka_unit_test(test_service_collision_budget),
		cmocka_unit_test(test_host_collision),
		cmocka_unit_test(test_taken_locally),
		cmocka_unit_test(test_failed_retried),
		cmocka_unit_test(test_daemon_states),
		cmocka_unit_test(test_snapshot),
		/* first of the client tests: the library, once opened, stays open */
		cmocka_unit_test(test_client_without_library),
		cmocka_unit_test(test_client_without_bus),
		/* last: it leaves the Avahi thread stuck until the process exits */
		cmocka_unit_test(test_client_bus_never_answers),
	};
	int r;

	/* libdbus reads the address once: the same path serves both client tests (absent, then mute) */
	if (!mkdtemp(bus_dir))
		return 1;
	snprintf(bus_path, sizeof(bus_path), "%s/bus", bus_dir);
	_cleanup_free_ char *addr = xasprintf("unix:path=%s", bus_path);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);
	r = cmocka_run_group_tests_name("mdns", tests, NULL, NULL);
	unlink(bus_path);
	rmdir(bus_dir);
	return r;
}
