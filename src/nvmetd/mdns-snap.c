/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <net/if.h>
#include <string.h>

#include "mdns-snap.h"
#include "util.h"

/* How a service shows: a host record that failed or gave up its name holds its services back. */
static const char *shown_state(const struct mdns_addr *a, const struct mdns_svc *s)
{
	enum mdns_rec_state st = s->state;

	if (a->host.cur && (a->state == MDNS_FAILED || a->state == MDNS_GAVE_UP))
		st = a->state;
	switch (st) {
	case MDNS_ESTABLISHED: return "advertised";
	case MDNS_FAILED: return "failed";
	case MDNS_GAVE_UP: return "name taken";
	default: return "pending";
	}
}

void mdns_tab_snapshot(const struct mdns_tab *t, const char *avahi, struct mdns_snap *out)
{
	*out = (struct mdns_snap){ .avahi = avahi, .nqn = xstrdup(t->nqn ? t->nqn : "") };
	for (size_t i = 0; i < t->n; i++) {
		const struct mdns_addr *a = t->addrs[i];

		for (size_t k = 0; k < a->n; k++) {
			const struct mdns_svc *s = a->svcs[k];

			*(struct mdns_snap_svc *)array_push(&out->v, &out->n, sizeof(*out->v)) = (struct mdns_snap_svc){
				.name = xstrdup(s->name.cur), .addr = xstrdup(a->addr), .port = s->port,
				.ifindex = a->ifindex, .proto = xstrdup(s->proto), .state = shown_state(a, s),
			};
		}
	}
}

static bool svc_equal(const struct mdns_snap_svc *a, const struct mdns_snap_svc *b)
{
	return streq(a->name, b->name) && streq(a->addr, b->addr) && a->port == b->port &&
	       a->ifindex == b->ifindex && streq(a->proto, b->proto) && streq(a->state, b->state);
}

bool mdns_snap_equal(const struct mdns_snap *a, const struct mdns_snap *b)
{
	if (!streq_ptr(a->avahi, b->avahi) || !streq_ptr(a->nqn, b->nqn) || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!svc_equal(&a->v[i], &b->v[i]))
			return false;
	return true;
}

void mdns_snap_free(struct mdns_snap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].addr);
		free(s->v[i].proto);
	}
	free(s->v);
	free(s->nqn);
	*s = (struct mdns_snap){ 0 };
}

struct json_object *mdns_snap_json(const struct mdns_snap *s)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "avahi", json_object_new_string(s->avahi ? s->avahi : "unavailable"));
	for (size_t i = 0; i < s->n; i++) {
		const struct mdns_snap_svc *x = &s->v[i];
		json_object *j = json_object_new_object();
		char ifname[IF_NAMESIZE] = "";

		if (x->ifindex > 0 && !if_indextoname((unsigned)x->ifindex, ifname))
			*ifname = '\0';
		json_object_object_add(j, "name", json_object_new_string(x->name));
		json_object_object_add(j, "type", json_object_new_string(MDNS_SERVICE_TYPE));
		json_object_object_add(j, "address", json_object_new_string(x->addr));
		json_object_object_add(j, "port", json_object_new_int((int)x->port));
		json_object_object_add(j, "interface", json_object_new_string(*ifname ? ifname : "all"));
		json_object_object_add(j, "p", json_object_new_string(x->proto));
		json_object_object_add(j, "nqn", json_object_new_string(s->nqn ? s->nqn : ""));
		json_object_object_add(j, "state", json_object_new_string(x->state));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "services", a);
	return o;
}

struct mdns_service *mdns_services_dup(const struct mdns_service *v, size_t n)
{
	struct mdns_service *c = n ? xcalloc(n, sizeof(*c)) : NULL;

	for (size_t i = 0; i < n; i++)
		c[i] = (struct mdns_service){
			.trtype = xstrdup(v[i].trtype), .adrfam = xstrdup(v[i].adrfam), .traddr = xstrdup(v[i].traddr),
			.trsvcid = xstrdup(v[i].trsvcid), .ifindex = v[i].ifindex, .proto = xstrdup(v[i].proto),
		};
	return c;
}

void mdns_services_free(struct mdns_service *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].trtype);
		free((char *)v[i].adrfam);
		free((char *)v[i].traddr);
		free((char *)v[i].trsvcid);
		free((char *)v[i].proto);
	}
	free(v);
}
