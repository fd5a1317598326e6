/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "objstate.h"
#include "util.h"

const char *obj_state_str(enum obj_state s)
{
	switch (s) {
	case OBJ_OK: return "ok";
	case OBJ_WAITING: return "waiting";
	case OBJ_DEAD: return "rdma device gone";
	case OBJ_MISSING: return "device missing";
	case OBJ_FAILED: return "failed";
	}
	return "?";
}

struct obj *objtab_find(const struct objtab *t, const char *key)
{
	size_t i;

	return key && strmap_get(&t->index, key, &i) && i < t->n ? &t->v[i] : NULL;
}

static void reindex(struct objtab *t)
{
	strmap_free(&t->index);
	for (size_t i = 0; i < t->n; i++)
		strmap_add(&t->index, t->v[i].key, i, NULL);
}

static void obj_clear(struct obj *o)
{
	free(o->key);
	free(o->unit);
	free(o->name);
	free(o->reason);
	free(o->rdma_dev);
	free(o->path);
	free(o->fingerprint);
}

static void set_str(char **dst, const char *src)
{
	if (streq_ptr(*dst, src))
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static uint64_t backoff(uint64_t min, uint64_t max, unsigned attempts)
{
	uint64_t d = min;

	for (unsigned i = 1; i < attempts && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

/* Move o to state s (with reason), telling the observer when something a person would want to
 * know changed. */
static void transition(struct objtab *t, struct obj *o, enum obj_state s, const char *reason, uint64_t now,
		       int64_t wall)
{
	enum obj_state from = o->state;
	bool news = from != s || (s != OBJ_OK && !streq_ptr(o->reason, reason));

	if (from != s) {
		o->since = now;
		o->since_wall = wall;
	}
	o->state = s;
	set_str(&o->reason, s == OBJ_OK ? NULL : reason);
	if (news && t->changed)
		t->changed(t->ud, o, from);
}

void objtab_config(struct objtab *t, const struct obj_desc *d, size_t n, uint64_t now, int64_t wall)
{
	bool *seen = xcalloc(t->n + 1, sizeof(bool));
	size_t old = t->n, k = 0;

	for (size_t i = 0; i < n; i++) {
		struct obj *o = objtab_find(t, d[i].key);

		if (o && (size_t)(o - t->v) < old) {
			seen[o - t->v] = true;
		} else if (!o) {
			o = array_push(&t->v, &t->n, sizeof(*o));
			o->key = xstrdup(d[i].key);
			strmap_add(&t->index, o->key, t->n - 1, NULL);
			o->state = OBJ_OK;
			o->since = now;
			o->since_wall = wall;
		}
		set_str(&o->unit, d[i].unit);
		set_str(&o->name, d[i].name);
		o->kind = d[i].kind;
		o->rdma = d[i].rdma;
		if (o->state != OBJ_OK) {
			/* a reload is the administrator saying "try again now" */
			o->due = true;
			o->attempts = 0;
			o->next_retry = 0;
			o->retry = RETRY_BACKOFF;
		}
	}
	/* objects no longer configured are forgotten (a removed waiting port sends no more events) */
	for (size_t i = 0; i < t->n; i++) {
		if (i < old && !seen[i]) {
			obj_clear(&t->v[i]);
			continue;
		}
		t->v[k++] = t->v[i];
	}
	t->n = k;
	reindex(t);
	free(seen);
}

void objtab_applied(struct objtab *t, const struct obj_outcome *oc, size_t n, uint64_t now, int64_t wall)
{
	for (size_t i = 0; i < n; i++) {
		struct obj *o = objtab_find(t, oc[i].key);

		if (!o)
			continue;
		if (oc[i].unit)
			set_str(&o->unit, oc[i].unit);
		o->due = false;
		switch (oc[i].state) {
		case OBJ_OK:
			if (o->state == OBJ_DEAD)
				o->up_since = now;
			o->attempts = 0;
			o->next_retry = 0;
			o->damped_until = 0;
			o->addr_present = false;
			if (oc[i].rdma_dev)
				set_str(&o->rdma_dev, oc[i].rdma_dev);
			break;
		case OBJ_WAITING:
		case OBJ_DEAD:
			/* with the address present nothing will send an event: the clock must */
			o->addr_present = oc[i].addr_present;
			o->attempts = o->addr_present ? o->attempts + 1 : 0;
			o->next_retry = o->addr_present ? now + backoff(PORT_RETRY_MIN_US, PORT_RETRY_MAX_US, o->attempts) : 0;
			break;
		case OBJ_MISSING:
		case OBJ_FAILED:
			set_str(&o->path, oc[i].path);
			set_str(&o->fingerprint, oc[i].fingerprint);
			o->attempts++;
			o->tried = now;
			/* a missing device makes no kernel call: events and the clock may look again */
			o->retry = oc[i].state == OBJ_FAILED ? oc[i].retry : RETRY_BACKOFF;
			o->next_retry = o->retry == RETRY_BACKOFF ? now + backoff(OBJ_RETRY_MIN_US, OBJ_RETRY_MAX_US, o->attempts)
								  : 0;
			break;
		}
		transition(t, o, oc[i].state, oc[i].reason, now, wall);
	}
}

bool objtab_event(struct objtab *t, const struct obj_event *ev, uint64_t now, int64_t wall)
{
	bool reconcile = false;

	for (size_t i = 0; i < t->n; i++) {
		struct obj *o = &t->v[i];
		bool fixable = false;

		switch (ev->type) {
		case OEV_RDMA_REMOVED:
			/* a listening RDMA port on that device (or whose device is not known) is dead now:
			 * the kernel does not listen again by itself when the device returns */
			if (o->kind == OBJ_PORT && o->rdma && o->state == OBJ_OK &&
			    (!o->rdma_dev || streq_ptr(o->rdma_dev, ev->dev))) {
				_cleanup_free_ char *why = xasprintf("RDMA device %s went away; the port listens again when "
								     "it returns", ev->dev);
				o->attempts = 0;
				o->next_retry = 0;
				o->due = false;
				o->flaps = o->up_since && now - o->up_since < FLAP_WINDOW_US ? o->flaps + 1 : 0;
				o->damped_until = o->flaps ? now + backoff(FLAP_MIN_US, FLAP_MAX_US, o->flaps) : 0;
				transition(t, o, OBJ_DEAD, why, now, wall);
			}
			continue;
		case OEV_RDMA_ADDED:
			fixable = o->kind == OBJ_PORT && o->rdma && o->state != OBJ_OK && !obj_damped(o, now);
			break;
		case OEV_NET_CHANGED:
			fixable = o->kind == OBJ_PORT && o->state != OBJ_OK;
			break;
		case OEV_DEVICES_CHANGED:
			/* a failed namespace only as often as its back-off's first step: each attempt may
			 * cost a kernel log line, and devices come and go in bursts (boot, udev triggers) */
			fixable = o->kind == OBJ_NS &&
				  (o->state == OBJ_MISSING || (o->state == OBJ_FAILED && o->retry == RETRY_BACKOFF &&
							       now >= o->tried + OBJ_RETRY_MIN_US));
			break;
		case OEV_OVERRUN:
			fixable = o->state != OBJ_OK && (o->state != OBJ_FAILED || o->retry != RETRY_CONFIG);
			reconcile = true;
			break;
		case OEV_TIMER:
			fixable = o->state != OBJ_OK && ((o->next_retry && o->next_retry <= now) ||
							 (o->damped_until && o->damped_until <= now));
			if (fixable)
				o->damped_until = 0;
			break;
		}
		if (fixable) {
			o->due = true;
			reconcile = true;
		}
	}
	return reconcile;
}

bool obj_damped(const struct obj *o, uint64_t now)
{
	return o->state == OBJ_DEAD && o->damped_until > now;
}

bool objtab_mark_due(struct objtab *t, const char *key)
{
	struct obj *o = objtab_find(t, key);

	if (!o || o->state == OBJ_OK || o->due || (o->state == OBJ_FAILED && o->retry == RETRY_CONFIG))
		return false;
	o->due = true;
	return true;
}

size_t objtab_held(const struct objtab *t, uint64_t now, const char ***units)
{
	size_t n = 0;

	*units = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct obj *o = &t->v[i];
		if (o->kind != OBJ_PORT && o->state == OBJ_FAILED && !o->due && (!o->next_retry || o->next_retry > now) &&
		    o->unit)
			*(const char **)array_push(units, &n, sizeof(char *)) = o->unit;
	}
	return n;
}

uint64_t objtab_next_deadline(const struct objtab *t)
{
	uint64_t min = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct obj *o = &t->v[i];
		if (o->state != OBJ_OK && !o->due && o->next_retry && (!min || o->next_retry < min))
			min = o->next_retry;
		if (o->state == OBJ_DEAD && o->damped_until && (!min || o->damped_until < min))
			min = o->damped_until;
	}
	return min;
}

size_t objtab_count(const struct objtab *t, int kind, enum obj_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += (kind < 0 || t->v[i].kind == (enum obj_kind)kind) && t->v[i].state == state;
	return n;
}

void objtab_free(struct objtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		obj_clear(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
	strmap_free(&t->index);
}
