/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's view of every configured object (host, subsystem, namespace, port): is it serving, and if
 * not, why, since when, and when to try again. Plain data and a transition function per kind of
 * event — no I/O, no clock, no sd-event — so every transition is unit-tested with simulated events. */
#ifndef NVMETD_OBJSTATE_H
#define NVMETD_OBJSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

enum obj_kind { OBJ_HOST, OBJ_SUBSYS, OBJ_NS, OBJ_PORT };

enum obj_state {
	OBJ_OK,		/* as configured: enabled, listening */
	OBJ_WAITING,	/* port: its address or RDMA device is not there yet (the kernel said EADDRNOTAVAIL) */
	OBJ_DEAD,	/* port: its RDMA device went away under it; relinked when it is back */
	OBJ_MISSING,	/* namespace: its device or file does not exist */
	OBJ_FAILED,	/* the kernel refused it: rolled back alone, retried with back-off */
};

/* Back-off, in microseconds: a failed object from 12 s doubling to 5 min — every attempt may make the
 * kernel log a line, so a failed object is tried at most 5 times a minute, events included; a port
 * that waits although its address is present (nothing sends an event when the kernel would accept
 * it) 100 ms to 5 s. */
#define OBJ_RETRY_MIN_US (12ULL * 1000 * 1000)
#define OBJ_RETRY_MAX_US (300ULL * 1000 * 1000)
#define PORT_RETRY_MIN_US (100ULL * 1000)
#define PORT_RETRY_MAX_US (5ULL * 1000 * 1000)
/* An RDMA port whose device goes again within FLAP_WINDOW_US of its relink is damped: relinking costs
 * a link per subsystem (and the kernel a listener), so a flapping device is followed at 1 s doubling
 * to FLAP_MAX_US, not on every return; a port that stayed up for the window starts afresh. */
#define FLAP_WINDOW_US (30ULL * 1000 * 1000)
#define FLAP_MIN_US (1000ULL * 1000)
#define FLAP_MAX_US (8ULL * 1000 * 1000)

/* What can fix a failed object, so it is tried again on that and nothing else. */
enum obj_retry {
	RETRY_BACKOFF,	/* anything: events that could fix it, and the clock (back-off) */
	RETRY_MOUNT,	/* only a change of the filesystem under its path (read-only mount) */
	RETRY_CONFIG,	/* only a change of the configuration (the kernel will never accept it) */
};

struct obj {
	char *key;		/* identity across reloads: configfs path; ports by address */
	char *unit;		/* configfs path the executor names it by ("ports/N" once the port has an id) */
	char *name;		/* for people: "subsystem X: namespace 1", "port 2 (tcp ipv4 10.0.0.1 4420)" */
	enum obj_kind kind;
	enum obj_state state;
	char *reason;		/* why it is not OK: the kernel's errno text, the path, a hint */
	bool rdma;		/* port: RDMA transport */
	char *rdma_dev;		/* port: the RDMA device it listens on, when known */
	bool addr_present;	/* port waiting: its address exists (no event will say when to retry) */
	uint64_t since;		/* when the current not-OK state began (caller's clock, µs) */
	int64_t since_wall;	/* the same, as wall-clock seconds, for status */
	unsigned attempts;	/* consecutive failed attempts */
	uint64_t next_retry;	/* when to try again (0: on events only) */
	uint64_t up_since;	/* RDMA port: when it was last relinked (0: never died) */
	unsigned flaps;		/* RDMA port: deaths in a row, each within FLAP_WINDOW_US of its relink */
	uint64_t damped_until;	/* dead RDMA port: not relinked before this, whatever the events (0: none) */
	bool due;		/* an event that could fix it happened: try at the next reconcile */
	enum obj_retry retry;	/* failed: what can fix it */
	uint64_t tried;		/* failed: when it was last tried */
	char *path;		/* namespace not OK: its backing file or device, when known */
	char *fingerprint;	/* ...and what its filesystem looked like then (device, read-only): a
				 * mount-table change retries it only when this changes */
};

struct objtab {
	struct obj *v;
	size_t n;
	struct strmap index;	/* key -> index in v */
	/* told of every state change (for the log); may be NULL */
	void (*changed)(void *ud, const struct obj *o, enum obj_state from);
	void *ud;
};

/* What the configuration wants (from the loaded nvmf.conf). */
struct obj_desc {
	const char *key, *unit, *name;
	enum obj_kind kind;
	bool rdma;
};

/* What one reconcile found for an object it tried (objects it did not try are not listed). */
struct obj_outcome {
	const char *key;
	const char *unit;	/* may change (a port's id) */
	enum obj_state state;	/* OK, WAITING, MISSING or FAILED */
	const char *reason;
	const char *rdma_dev;	/* OK RDMA port: its device, if known */
	bool addr_present;	/* WAITING port */
	const char *path, *fingerprint;	/* MISSING or FAILED namespace, when known */
	enum obj_retry retry;	/* FAILED: what can fix it */
};

enum obj_event_type {
	OEV_RDMA_ADDED,		/* an RDMA device appeared */
	OEV_RDMA_REMOVED,	/* an RDMA device went away (ev.dev) */
	OEV_NET_CHANGED,	/* an address was added or a link changed */
	OEV_DEVICES_CHANGED,	/* a block device appeared, changed or went away */
	OEV_OVERRUN,		/* events were lost (netlink ENOBUFS): anything may have changed */
	OEV_TIMER,		/* the clock reached some object's next_retry */
};

struct obj_event {
	enum obj_event_type type;
	const char *dev;	/* OEV_RDMA_REMOVED */
};

/* Load (or reload) the configuration: new objects start OK, objects no longer configured are dropped,
 * and every object that is not OK is tried again at once with a fresh back-off. */
void objtab_config(struct objtab *t, const struct obj_desc *d, size_t n, uint64_t now, int64_t wall);
/* A reconcile's outcome. */
void objtab_applied(struct objtab *t, const struct obj_outcome *o, size_t n, uint64_t now, int64_t wall);
/* An event. Returns true when a reconcile should run (something it could fix may be fixed now). */
bool objtab_event(struct objtab *t, const struct obj_event *ev, uint64_t now, int64_t wall);

/* Something changed for this object only (e.g. the filesystem under its file was remounted): try it
 * at the next reconcile. Returns true if it was waiting for that. */
bool objtab_mark_due(struct objtab *t, const char *key);

/* Units the next reconcile must not touch: failed objects whose retry is not due (their kernel
 * errors are not repeated on every unrelated event). Ports are never held (their ids are assigned
 * by the plan); the returned array holds pointers into t, valid until t changes. */
size_t objtab_held(const struct objtab *t, uint64_t now, const char ***units);
/* The earliest next_retry of an object waiting for the clock, or 0 if none is (idle: no timer). */
uint64_t objtab_next_deadline(const struct objtab *t);
/* How many objects of kind are in state (kind < 0: any kind). */
size_t objtab_count(const struct objtab *t, int kind, enum obj_state state);
struct obj *objtab_find(const struct objtab *t, const char *key);
/* A dead RDMA port that flapped and waits for its damping to end (FLAP_WINDOW_US). */
bool obj_damped(const struct obj *o, uint64_t now);
void objtab_free(struct objtab *t);
const char *obj_state_str(enum obj_state s);

#endif
