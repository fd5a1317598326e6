/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's per-object state: every transition, driven by simulated events and reconcile outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objstate.h"
#include "util.h"

#define S(x) ((uint64_t)(x) * 1000000ULL)

struct log {
	int changes;
	char last[256];
};

static void on_change(void *ud, const struct obj *o, enum obj_state from)
{
	struct log *l = ud;
	l->changes++;
	snprintf(l->last, sizeof(l->last), "%s: %s -> %s", o->name, obj_state_str(from), obj_state_str(o->state));
}

static const struct obj_desc cfg[] = {
	{ "hosts/h1", "hosts/h1", "host h1", OBJ_HOST, false },
	{ "subsystems/s1", "subsystems/s1", "subsystem s1", OBJ_SUBSYS, false },
	{ "subsystems/s1/namespaces/1", "subsystems/s1/namespaces/1", "subsystem s1: namespace 1", OBJ_NS, false },
	{ "subsystems/s1/namespaces/2", "subsystems/s1/namespaces/2", "subsystem s1: namespace 2", OBJ_NS, false },
	{ "port rdma ipv4 10.0.0.1 4420", NULL, "port rdma 10.0.0.1:4420", OBJ_PORT, true },
	{ "port tcp ipv4 10.0.0.1 4420", NULL, "port tcp 10.0.0.1:4420", OBJ_PORT, false },
};
#define RDMA "port rdma ipv4 10.0.0.1 4420"
#define TCP "port tcp ipv4 10.0.0.1 4420"
#define NS1 "subsystems/s1/namespaces/1"
#define NS2 "subsystems/s1/namespaces/2"

static void setup_tab(struct objtab *t, struct log *l)
{
	memset(t, 0, sizeof(*t));
	memset(l, 0, sizeof(*l));
	t->changed = on_change;
	t->ud = l;
	objtab_config(t, cfg, ARRAY_SIZE(cfg), S(0), 1000);
	assert_int_equal(t->n, ARRAY_SIZE(cfg));
	assert_int_equal(objtab_count(t, -1, OBJ_OK), ARRAY_SIZE(cfg));
}

static void all_ok(struct objtab *t, uint64_t now)
{
	struct obj_outcome oc[] = {
		{ .key = "hosts/h1", .state = OBJ_OK }, { .key = "subsystems/s1", .state = OBJ_OK },
		{ .key = NS1, .state = OBJ_OK }, { .key = NS2, .state = OBJ_OK },
		{ .key = RDMA, .unit = "ports/1", .state = OBJ_OK, .rdma_dev = "rxe0" },
		{ .key = TCP, .unit = "ports/2", .state = OBJ_OK },
	};
	objtab_applied(t, oc, ARRAY_SIZE(oc), now, 1000);
}

static bool held(const struct objtab *t, uint64_t now, const char *unit)
{
	const char **u;
	size_t n = objtab_held(t, now, &u);
	bool found = false;

	for (size_t i = 0; i < n; i++)
		found |= streq(u[i], unit);
	free(u);
	return found;
}

/* A namespace the kernel refuses: failed, held between retries, back-off doubles to its cap, an
 * event that could fix it makes it due at once, success clears everything. */
static void test_failure_then_fix(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome fail = { .key = NS1, .state = OBJ_FAILED, .reason = "/mnt/ro/c.img: Read-only file system",
				    .path = "/mnt/ro/c.img", .fingerprint = "2049:0:1" };
	struct obj_outcome fixed = { .key = NS1, .state = OBJ_OK };
	struct obj_event timer = { .type = OEV_TIMER }, dev = { .type = OEV_DEVICES_CHANGED };
	struct obj *o;
	uint64_t now = S(10), prev = 0;

	setup_tab(&t, &l);
	all_ok(&t, S(1));
	assert_int_equal(objtab_next_deadline(&t), 0); /* nothing failed: no timer at all */
	objtab_applied(&t, &fail, 1, now, 1010);
	o = objtab_find(&t, NS1);
	assert_int_equal(o->state, OBJ_FAILED);
	assert_string_equal(o->reason, "/mnt/ro/c.img: Read-only file system");
	assert_string_equal(o->path, "/mnt/ro/c.img");
	assert_string_equal(o->fingerprint, "2049:0:1");
	assert_int_equal(l.changes, 1);
	assert_string_equal(l.last, "subsystem s1: namespace 1: ok -> failed");
	assert_int_equal(o->since, now);
	assert_int_equal(objtab_next_deadline(&t), now + OBJ_RETRY_MIN_US);
	assert_true(held(&t, now, NS1));
	assert_false(held(&t, now, NS2));
	/* an unrelated event (an address) does not make it due, nor ask for a reconcile */
	assert_false(objtab_event(&t, &(struct obj_event){ .type = OEV_NET_CHANGED }, now, 1010));
	assert_true(held(&t, now, NS1));
	/* the timer: due, not held, reconcile; each failure doubles the wait up to 5 min */
	for (int i = 0; i < 14; i++) {
		uint64_t when = objtab_next_deadline(&t), wait = when - now;
		assert_false(objtab_event(&t, &timer, when - 1, 1010));
		assert_true(objtab_event(&t, &timer, when, 1010));
		assert_false(held(&t, when, NS1));
		assert_int_equal(objtab_next_deadline(&t), 0); /* due: waits for the reconcile, not the clock */
		now = when;
		objtab_applied(&t, &fail, 1, now, 1010);
		assert_true(wait <= OBJ_RETRY_MAX_US);
		if (prev)
			assert_true(wait == prev * 2 || wait == OBJ_RETRY_MAX_US);
		prev = wait;
	}
	assert_int_equal(objtab_next_deadline(&t) - now, OBJ_RETRY_MAX_US);
	assert_int_equal(l.changes, 1); /* the same failure again is not news */
	assert_int_equal(o->since, S(10));
	/* its own filesystem changing (the daemon compares fingerprints) makes it due; unknown or OK
	 * objects are not */
	assert_false(objtab_mark_due(&t, "subsystems/s1/namespaces/9"));
	assert_false(objtab_mark_due(&t, NS2));
	assert_true(objtab_mark_due(&t, NS1));
	assert_false(objtab_mark_due(&t, NS1)); /* already due */
	assert_false(held(&t, now, NS1));
	objtab_applied(&t, &fail, 1, now, 1010);
	assert_true(held(&t, now, NS1));
	/* a block device event right after an attempt does not (devices come in bursts); one after the
	 * back-off's first step makes it due at once */
	assert_false(objtab_event(&t, &dev, now + 1, 1010));
	assert_true(held(&t, now + 1, NS1));
	assert_true(objtab_event(&t, &dev, now + OBJ_RETRY_MIN_US, 1010));
	assert_false(held(&t, now + OBJ_RETRY_MIN_US, NS1));
	now += OBJ_RETRY_MIN_US;
	objtab_applied(&t, &fixed, 1, now + 2, 1020);
	assert_int_equal(o->state, OBJ_OK);
	assert_null(o->reason);
	assert_int_equal(o->attempts, 0);
	assert_int_equal(objtab_next_deadline(&t), 0);
	assert_string_equal(l.last, "subsystem s1: namespace 1: failed -> ok");
	/* with nothing failed, no event asks for a reconcile */
	assert_false(objtab_event(&t, &dev, now + 3, 1020));
	assert_false(objtab_event(&t, &timer, now + S(1000), 1020));
	objtab_free(&t);
}

/* A namespace on a read-only mount: only its filesystem changing retries it — not the clock, not
 * device events, not an overrun of unrelated events... but a reload does. A refusal only a new
 * configuration can fix is retried on a reload alone. */
static void test_retry_classes(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome ro = { .key = NS1, .state = OBJ_FAILED, .reason = "/mnt/ro/c.img: Read-only file system",
				  .path = "/mnt/ro/c.img", .fingerprint = "2049:0:1", .retry = RETRY_MOUNT };
	struct obj_outcome frozen = { .key = "hosts/h1", .state = OBJ_FAILED, .reason = "attr_serial is frozen",
				      .retry = RETRY_CONFIG };
	struct obj_event dev = { .type = OEV_DEVICES_CHANGED }, timer = { .type = OEV_TIMER };
	uint64_t now = S(10);

	(void)state;
	setup_tab(&t, &l);
	all_ok(&t, S(1));
	objtab_applied(&t, &ro, 1, now, 1010);
	objtab_applied(&t, &frozen, 1, now, 1010);
	assert_int_equal(objtab_next_deadline(&t), 0);	/* no timer for either */
	assert_true(held(&t, now, NS1));
	assert_true(held(&t, now, "hosts/h1"));
	for (uint64_t x = now; x < now + S(600); x += S(7)) {
		assert_false(objtab_event(&t, &dev, x, 1010));
		assert_false(objtab_event(&t, &timer, x, 1010));
	}
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_OVERRUN }, now + S(601), 1010));
	assert_false(objtab_find(&t, "hosts/h1")->due);	/* a resync cannot fix a frozen attribute */
	assert_false(objtab_mark_due(&t, "hosts/h1"));
	assert_true(objtab_find(&t, NS1)->due);		/* an overrun may hide its mount change */
	objtab_applied(&t, &ro, 1, now + S(602), 1010);
	assert_true(objtab_mark_due(&t, NS1));		/* its filesystem changed */
	objtab_applied(&t, &ro, 1, now + S(603), 1010);
	/* a reload retries both at once */
	objtab_config(&t, cfg, ARRAY_SIZE(cfg), now + S(604), 1010);
	assert_true(objtab_find(&t, NS1)->due);
	assert_true(objtab_find(&t, "hosts/h1")->due);
	assert_false(held(&t, now + S(604), "hosts/h1"));
	objtab_free(&t);
}

/* A failed namespace under a storm of device events and its own back-off is tried at most 5 times a
 * minute (each attempt may cost a kernel log line). */
static void test_retry_rate(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome fail = { .key = NS1, .state = OBJ_FAILED, .reason = "Device or resource busy" };
	struct obj_event dev = { .type = OEV_DEVICES_CHANGED }, timer = { .type = OEV_TIMER };
	unsigned attempts[10] = { 0 };

	(void)state;
	setup_tab(&t, &l);
	all_ok(&t, 0);
	objtab_applied(&t, &fail, 1, 0, 1000);
	attempts[0]++;
	for (uint64_t x = S(0); x < S(600); x += 250 * 1000) {	/* an event every 250 ms for 10 min */
		bool r = objtab_event(&t, &dev, x, 1000);
		r |= objtab_event(&t, &timer, x, 1000);
		if (r && objtab_find(&t, NS1)->due) {
			objtab_applied(&t, &fail, 1, x, 1000);
			attempts[x / S(60)]++;
		}
	}
	for (int m = 0; m < 10; m++)
		assert_true(attempts[m] >= 1 && attempts[m] <= 5);
	objtab_free(&t);
}

/* A namespace whose file is missing: retried on the clock (a file appears without any event) and
 * on device/mount events; a reload retries it at once with a fresh back-off. */
static void test_missing_device(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome miss = { .key = NS2, .state = OBJ_MISSING, .reason = "/tmp/late.img: No such file or directory" };
	struct obj *o;

	setup_tab(&t, &l);
	objtab_applied(&t, &miss, 1, S(1), 1000);
	objtab_applied(&t, &miss, 1, S(2), 1000);
	o = objtab_find(&t, NS2);
	assert_int_equal(o->state, OBJ_MISSING);
	assert_int_equal(o->attempts, 2);
	assert_int_equal(objtab_next_deadline(&t), S(2) + 2 * OBJ_RETRY_MIN_US);
	assert_false(held(&t, S(2), NS2)); /* never in the plan anyway: nothing to hold */
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_DEVICES_CHANGED }, S(3), 1000));
	assert_true(o->due);
	objtab_applied(&t, &miss, 1, S(3), 1000);
	/* reload: due now, attempts start over */
	objtab_config(&t, cfg, ARRAY_SIZE(cfg), S(4), 1000);
	o = objtab_find(&t, NS2);
	assert_true(o->due);
	assert_int_equal(o->attempts, 0);
	assert_int_equal(o->state, OBJ_MISSING);
	objtab_free(&t);
}

/* Ports: waiting for an address (events only, no timer), waiting with the address present (clock,
 * 100 ms to 5 s), RDMA device gone and back, the race where the device goes before the port's
 * device is known. */
static void test_ports(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome wait_noaddr = { .key = TCP, .unit = "ports/2", .state = OBJ_WAITING, .reason = "not configured" };
	struct obj_outcome wait_addr = { .key = RDMA, .unit = "ports/1", .state = OBJ_WAITING, .reason = "refused",
					 .addr_present = true };
	struct obj_outcome rdma_ok = { .key = RDMA, .unit = "ports/1", .state = OBJ_OK, .rdma_dev = "rxe0" };
	struct obj_outcome tcp_ok = { .key = TCP, .unit = "ports/2", .state = OBJ_OK };
	struct obj *r, *tc;

	setup_tab(&t, &l);
	objtab_applied(&t, &wait_noaddr, 1, S(1), 1000);
	tc = objtab_find(&t, TCP);
	assert_int_equal(tc->state, OBJ_WAITING);
	assert_string_equal(tc->unit, "ports/2");
	assert_int_equal(objtab_next_deadline(&t), 0); /* the address will send an event */
	assert_false(objtab_event(&t, &(struct obj_event){ .type = OEV_DEVICES_CHANGED }, S(2), 1000));
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_NET_CHANGED }, S(2), 1000));
	objtab_applied(&t, &tcp_ok, 1, S(2), 1000);
	assert_int_equal(tc->state, OBJ_OK);

	objtab_applied(&t, &wait_addr, 1, S(3), 1000);
	assert_int_equal(objtab_next_deadline(&t), S(3) + PORT_RETRY_MIN_US);
	for (int i = 0; i < 10; i++)
		objtab_applied(&t, &wait_addr, 1, S(3), 1000);
	assert_int_equal(objtab_next_deadline(&t), S(3) + PORT_RETRY_MAX_US);
	assert_false(held(&t, S(3), "ports/1")); /* ports are never held */
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_RDMA_ADDED }, S(4), 1000));
	objtab_applied(&t, &rdma_ok, 1, S(4), 1000);
	r = objtab_find(&t, RDMA);
	assert_int_equal(r->state, OBJ_OK);
	assert_string_equal(r->rdma_dev, "rxe0");
	assert_int_equal(objtab_next_deadline(&t), 0);

	/* another device goes: nothing happens; ours goes: dead, no reconcile (nothing can fix it yet) */
	assert_false(objtab_event(&t, &(struct obj_event){ .type = OEV_RDMA_REMOVED, .dev = "mlx5_0" }, S(5), 1000));
	assert_int_equal(r->state, OBJ_OK);
	assert_false(objtab_event(&t, &(struct obj_event){ .type = OEV_RDMA_REMOVED, .dev = "rxe0" }, S(5), 1000));
	assert_int_equal(r->state, OBJ_DEAD);
	assert_non_null(strstr(r->reason, "rxe0 went away"));
	assert_int_equal(tc->state, OBJ_OK); /* the TCP port is not touched */
	/* still dead after a reconcile that could not relink (address present: the clock retries) */
	objtab_applied(&t, &(struct obj_outcome){ .key = RDMA, .state = OBJ_DEAD, .reason = r->reason, .addr_present = true },
		       1, S(6), 1000);
	assert_int_equal(r->state, OBJ_DEAD);
	assert_int_equal(objtab_next_deadline(&t), S(6) + PORT_RETRY_MIN_US);
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_RDMA_ADDED }, S(7), 1000));
	objtab_applied(&t, &rdma_ok, 1, S(7), 1000);
	assert_int_equal(r->state, OBJ_OK);

	/* the race: the port listens but its device was never learnt, and a device goes away */
	free(r->rdma_dev);
	r->rdma_dev = NULL;
	objtab_event(&t, &(struct obj_event){ .type = OEV_RDMA_REMOVED, .dev = "rxe0" }, S(8), 1000);
	assert_int_equal(r->state, OBJ_DEAD);
	objtab_free(&t);
}

/* A flapping RDMA device: a port relinked and dead again within FLAP_WINDOW_US is damped (its device's
 * return does not relink it; the clock does, 1 s doubling to FLAP_MAX_US); one that stayed up longer
 * starts afresh. */
static void test_rdma_flap_damping(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome rdma_ok = { .key = RDMA, .unit = "ports/1", .state = OBJ_OK, .rdma_dev = "rxe0" };
	const struct obj_event gone = { .type = OEV_RDMA_REMOVED, .dev = "rxe0" }, back = { .type = OEV_RDMA_ADDED },
			       tick = { .type = OEV_TIMER };
	struct obj *r;
	uint64_t now = S(10);

	(void)state;
	setup_tab(&t, &l);
	objtab_applied(&t, &rdma_ok, 1, S(1), 1000);
	r = objtab_find(&t, RDMA);
	/* first death: not damped, its return relinks it */
	objtab_event(&t, &gone, now, 1000);
	assert_int_equal(r->state, OBJ_DEAD);
	assert_int_equal(r->damped_until, 0);
	assert_true(objtab_event(&t, &back, now + 1, 1000));
	objtab_applied(&t, &rdma_ok, 1, now + 1, 1000);
	/* dead again 2 s after the relink, four times: damped 1, 2, 4, 8 s (the cap), the timer relinks */
	for (unsigned k = 1; k <= 5; k++) {
		uint64_t wait = FLAP_MIN_US << (k - 1 < 3 ? k - 1 : 3);

		now += S(2);
		objtab_event(&t, &gone, now, 1000);
		assert_int_equal(r->flaps, k);
		assert_int_equal(r->damped_until, now + wait);
		assert_int_equal(objtab_next_deadline(&t), now + wait);
		assert_false(objtab_event(&t, &back, now + 1, 1000));	/* its return alone: nothing */
		assert_false(r->due);
		assert_false(objtab_event(&t, &tick, now + wait - 1, 1000));
		assert_true(objtab_event(&t, &tick, now + wait, 1000));
		assert_true(r->due);
		now += wait;
		objtab_applied(&t, &rdma_ok, 1, now, 1000);
		assert_int_equal(r->state, OBJ_OK);
		assert_int_equal(objtab_next_deadline(&t), 0);
	}
	/* up for longer than the window: its next death is a first one again */
	now += FLAP_WINDOW_US;
	objtab_event(&t, &gone, now, 1000);
	assert_int_equal(r->flaps, 0);
	assert_int_equal(r->damped_until, 0);
	assert_true(objtab_event(&t, &back, now + 1, 1000));
	objtab_free(&t);
}

/* A reload that removes a waiting port forgets it: no more events for it, no timer. Objects that
 * stay keep their state; new ones start OK. */
static void test_reload_prunes(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome wait_addr = { .key = RDMA, .unit = "ports/1", .state = OBJ_WAITING, .reason = "refused",
					 .addr_present = true };
	struct obj_outcome fail = { .key = "subsystems/s1", .state = OBJ_FAILED, .reason = "attr_serial: Invalid argument" };
	static const struct obj_desc smaller[] = {
		{ "subsystems/s1", "subsystems/s1", "subsystem s1", OBJ_SUBSYS, false },
		{ "subsystems/s2", "subsystems/s2", "subsystem s2", OBJ_SUBSYS, false },
		{ "port tcp ipv4 10.0.0.1 4420", NULL, "port tcp 10.0.0.1:4420", OBJ_PORT, false },
	};

	setup_tab(&t, &l);
	objtab_applied(&t, &wait_addr, 1, S(1), 1000);
	objtab_applied(&t, &fail, 1, S(1), 1000);
	assert_true(held(&t, S(1), "subsystems/s1"));
	objtab_config(&t, smaller, ARRAY_SIZE(smaller), S(2), 1000);
	assert_int_equal(t.n, 3);
	assert_null(objtab_find(&t, RDMA));
	assert_null(objtab_find(&t, NS1));
	assert_int_equal(objtab_find(&t, "subsystems/s1")->state, OBJ_FAILED);
	assert_false(held(&t, S(2), "subsystems/s1")); /* a reload retries it now */
	assert_int_equal(objtab_find(&t, "subsystems/s2")->state, OBJ_OK);
	assert_int_equal(objtab_next_deadline(&t), 0);
	/* no port waits any more: a link event asks for nothing */
	assert_false(objtab_event(&t, &(struct obj_event){ .type = OEV_NET_CHANGED }, S(3), 1000));
	objtab_free(&t);
}

/* Lost events (netlink ENOBUFS): everything not OK is tried again, and a reconcile is asked for even
 * when all is OK (an address may have gone and come back unseen). */
static void test_overrun(void **state)
{
	struct objtab t;
	struct log l;
	struct obj_outcome fail = { .key = NS1, .state = OBJ_FAILED, .reason = "x" };

	setup_tab(&t, &l);
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_OVERRUN }, S(1), 1000));
	objtab_applied(&t, &fail, 1, S(1), 1000);
	assert_true(held(&t, S(1), NS1));
	assert_true(objtab_event(&t, &(struct obj_event){ .type = OEV_OVERRUN }, S(1), 1000));
	assert_false(held(&t, S(1), NS1));
	objtab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_then_fix),
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_retry_classes),
		cmocka_unit_test(test_retry_rate),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_rdma_flap_damping),
		cmocka_unit_test(test_reload_prunes),
		cmocka_unit_test(test_overrun),
	};
	return cmocka_run_group_tests_name("objstate", tests, NULL, NULL);
}
