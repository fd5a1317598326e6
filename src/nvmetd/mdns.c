/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <net/if.h>
#include <unistd.h>

#include "log.h"
#include "mdns.h"
#include "util.h"

#define SERVICE_TYPE "_nvme-disc._tcp"
#define MAX_RENAMES 16

/* ---- Avahi's poll API on sd-event ---- */

struct AvahiWatch {
	sd_event_source *src;
	AvahiWatchCallback cb;
	void *ud;
	AvahiWatchEvent revents;	/* what the callback being run was woken for */
};

struct AvahiTimeout {
	sd_event_source *src;		/* made on the first arming */
	sd_event *ev;
	AvahiTimeoutCallback cb;
	void *ud;
};

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	AvahiWatch *w = ud;

	/* AVAHI_WATCH_* are poll(2)'s bits, which epoll shares */
	w->revents = revents;
	w->cb(w, fd, revents, w->ud);
	return 0;
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event, AvahiWatchCallback cb, void *ud)
{
	AvahiWatch *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->ud = ud;
	if (sd_event_add_io(api->userdata, &w->src, fd, event, on_io, w) < 0) {
		free(w);
		return NULL;
	}
	(void)sd_event_source_set_description(w->src, "avahi-io");
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event) { (void)sd_event_source_set_io_events(w->src, event); }
static AvahiWatchEvent watch_get_events(AvahiWatch *w) { return w->revents; }

static void watch_free(AvahiWatch *w)
{
	sd_event_source_disable_unref(w->src);
	free(w);
}

static int on_time(sd_event_source *s, uint64_t usec, void *ud)
{
	AvahiTimeout *t = ud;
	t->cb(t, t->ud);
	return 0;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	uint64_t at;

	if (!tv) {
		if (t->src)
			(void)sd_event_source_set_enabled(t->src, SD_EVENT_OFF);
		return;
	}
	/* Avahi's times are gettimeofday()'s */
	at = (uint64_t)tv->tv_sec * 1000000 + tv->tv_usec;
	if (!t->src) {
		if (sd_event_add_time(t->ev, &t->src, CLOCK_REALTIME, at, 1000, on_time, t) < 0)
			return;
		(void)sd_event_source_set_description(t->src, "avahi-timer");
		return;
	}
	(void)sd_event_source_set_time(t->src, at);
	(void)sd_event_source_set_enabled(t->src, SD_EVENT_ONESHOT);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv, AvahiTimeoutCallback cb, void *ud)
{
	AvahiTimeout *t = xcalloc(1, sizeof(*t));

	t->ev = api->userdata;
	t->cb = cb;
	t->ud = ud;
	timeout_update(t, tv);
	return t;
}

static void timeout_free(AvahiTimeout *t)
{
	sd_event_source_disable_unref(t->src);
	free(t);
}

/* ---- what is advertised ---- */

struct group;

/* One service, in its own entry group: withdrawing or renaming it touches no other service. */
struct svc {
	char *name;		/* the DNS-SD instance name (changed on a collision) */
	uint16_t port;
	char *proto;		/* TXT p= */
	char *trtype;
	struct group *addr;	/* the address it is at */
	AvahiEntryGroup *g;
	bool published;		/* established with the current content */
	bool stale;		/* during an update: not (yet) wanted again */
	unsigned renames;
};

/* An address ports listen on: a host name with an A/AAAA record for exactly that address (its own
 * entry group), so a browser resolves each service there to the address the port listens on. */
struct group {
	char *key;		/* "ifindex adrfam traddr" */
	int ifindex;
	AvahiProtocol proto;
	char *addr;
	char *host;		/* NULL for a wildcard address: the machine's own name, every interface */
	struct svc **svcs;
	size_t n;
	AvahiEntryGroup *g;	/* the address record */
	unsigned renames;
};

struct mdns {
	sd_event *ev;
	AvahiPoll poll;
	AvahiClient *client;
	AvahiClientState cstate;
	bool absent_said;	/* "avahi-daemon is not running" was logged for this absence */
	char *nqn;
	struct group **groups;
	size_t ngroups;
	void (*changed)(void *ud);
	void *ud;
};

static struct mdns *the_mdns;	/* entry-group callbacks carry their object; the module is a singleton */

static void notify(struct mdns *m)
{
	if (m && m->changed)
		m->changed(m->ud);
}

static void svc_free(struct svc *s)
{
	if (!s)
		return;
	if (s->g)
		avahi_entry_group_free(s->g);	/* withdraws it (goodbye packets) */
	free(s->name);
	free(s->proto);
	free(s->trtype);
	free(s);
}

static void group_free(struct group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		svc_free(g->svcs[i]);
	if (g->g)
		avahi_entry_group_free(g->g);
	free(g->svcs);
	free(g->key);
	free(g->addr);
	free(g->host);
	free(g);
}

static const char *client_state_str(const struct mdns *m)
{
	if (!m->client)
		return "unavailable";
	switch (m->cstate) {
	case AVAHI_CLIENT_S_RUNNING: return "running";
	case AVAHI_CLIENT_CONNECTING: return "avahi-daemon not running";
	case AVAHI_CLIENT_S_REGISTERING: return "registering host name";
	case AVAHI_CLIENT_S_COLLISION: return "host name collision";
	default: return "failed";
	}
}

/* A DNS label holds 63 bytes. */
static char *label(const char *s)
{
	return xstrndup(s, 63);
}

static bool running(const struct mdns *m) { return m->client && m->cstate == AVAHI_CLIENT_S_RUNNING; }

static void svc_cb(AvahiEntryGroup *eg, AvahiEntryGroupState state, void *ud);
static void addr_cb(AvahiEntryGroup *eg, AvahiEntryGroupState state, void *ud);

/* (Re)build an entry group: reset it (or make it), fill it, commit. */
static AvahiEntryGroup *group_begin(struct mdns *m, AvahiEntryGroup **g, AvahiEntryGroupCallback cb, void *ud)
{
	if (!running(m))
		return NULL;
	if (!*g && !(*g = avahi_entry_group_new(m->client, cb, ud))) {
		log_error("mDNS: cannot create an entry group: %s", avahi_strerror(avahi_client_errno(m->client)));
		return NULL;
	}
	avahi_entry_group_reset(*g);
	return *g;
}

static void publish_svc(struct mdns *m, struct svc *s)
{
	const struct group *a = s->addr;
	_cleanup_free_ char *txt_nqn = xasprintf("nqn=%s", m->nqn ? m->nqn : "");
	_cleanup_free_ char *txt_p = xasprintf("p=%s", s->proto);
	AvahiStringList *txt;
	int r;

	s->published = false;
	if (!group_begin(m, &s->g, svc_cb, s))
		return;
	txt = avahi_string_list_new(txt_nqn, txt_p, NULL);
	r = avahi_entry_group_add_service_strlst(s->g, a->ifindex > 0 ? a->ifindex : AVAHI_IF_UNSPEC, a->proto, 0, s->name,
						 SERVICE_TYPE, NULL, a->host, s->port, txt);
	avahi_string_list_free(txt);
	if (r == 0)
		r = avahi_entry_group_commit(s->g);
	if (r < 0)
		log_error("mDNS: cannot advertise %s:%u: %s", a->addr, s->port, avahi_strerror(r));
}

static void publish_addr(struct mdns *m, struct group *a)
{
	AvahiAddress addr;
	int r;

	if (a->host && group_begin(m, &a->g, addr_cb, a)) {
		if (!avahi_address_parse(a->addr, a->proto, &addr))
			r = AVAHI_ERR_INVALID_ADDRESS;
		else
			r = avahi_entry_group_add_address(a->g, a->ifindex > 0 ? a->ifindex : AVAHI_IF_UNSPEC, a->proto,
							  AVAHI_PUBLISH_NO_REVERSE, a->host, &addr);
		if (r == 0)
			r = avahi_entry_group_commit(a->g);
		if (r < 0)
			log_error("mDNS: cannot publish %s for %s: %s", a->host, a->addr, avahi_strerror(r));
	}
	for (size_t i = 0; i < a->n; i++)
		publish_svc(m, a->svcs[i]);
}

/* Another host on the network has this name: take Avahi's next alternative ("x #2", "x-2"), up to a
 * limit. Returns whether a new name was taken. */
static bool take_other_name(AvahiEntryGroup *eg, unsigned *renames, char **name, char *(*alternative)(const char *))
{
	char *alt;

	if (++*renames > MAX_RENAMES) {
		log_error("mDNS: the name \"%s\" keeps colliding on the network; not advertising it", *name);
		avahi_entry_group_reset(eg);
		return false;
	}
	alt = alternative(*name);
	log_warn("mDNS: \"%s\" is taken on the network; using \"%s\"", *name, alt);
	free(*name);
	*name = xstrdup(alt);
	avahi_free(alt);
	return true;
}

static void svc_cb(AvahiEntryGroup *eg, AvahiEntryGroupState state, void *ud)
{
	struct svc *s = ud;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		if (!s->published)
			log_notice("mDNS: advertising %s \"%s\" at %s:%u (p=%s)", SERVICE_TYPE, s->name, s->addr->addr,
				   s->port, s->proto);
		s->published = true;
		notify(the_mdns);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		s->g = eg;
		if (take_other_name(eg, &s->renames, &s->name, avahi_alternative_service_name))
			publish_svc(the_mdns, s);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_error("mDNS: advertising \"%s\" failed: %s", s->name,
			  avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(eg))));
		break;
	default:
		break;
	}
}

static void addr_cb(AvahiEntryGroup *eg, AvahiEntryGroupState state, void *ud)
{
	struct group *a = ud;

	if (state != AVAHI_ENTRY_GROUP_COLLISION)
		return;
	a->g = eg;
	/* the services point at the host name: they move with it */
	if (take_other_name(eg, &a->renames, &a->host, avahi_alternative_host_name))
		publish_addr(the_mdns, a);
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud);

static void client_new(struct mdns *m)
{
	int err = 0;

	/* NO_FAIL: without avahi-daemon, wait for it to appear on the bus (D-Bus tells; nothing polls) */
	m->client = avahi_client_new(&m->poll, AVAHI_CLIENT_NO_FAIL, client_cb, m, &err);
	if (!m->client)
		log_error("mDNS: cannot reach the system D-Bus (%s): nothing is advertised; nvmetd keeps serving, "
			  "and tries again on reload", avahi_strerror(err));
}

/* Entry groups die with their client. */
static void forget_groups(struct mdns *m)
{
	for (size_t i = 0; i < m->ngroups; i++) {
		struct group *a = m->groups[i];
		a->g = NULL;
		for (size_t k = 0; k < a->n; k++) {
			a->svcs[k]->g = NULL;
			a->svcs[k]->published = false;
		}
	}
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud)
{
	struct mdns *m = ud;

	m->client = c;	/* the first call comes from inside avahi_client_new() */
	m->cstate = state;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (m->absent_said)
			log_notice("mDNS: avahi-daemon is running; advertising");
		m->absent_said = false;
		for (size_t i = 0; i < m->ngroups; i++)
			publish_addr(m, m->groups[i]);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* the host name changes: withdraw, publish again when running */
		for (size_t i = 0; i < m->ngroups; i++) {
			struct group *a = m->groups[i];
			if (a->g)
				avahi_entry_group_reset(a->g);
			for (size_t k = 0; k < a->n; k++)
				if (a->svcs[k]->g) {
					avahi_entry_group_reset(a->svcs[k]->g);
					a->svcs[k]->published = false;
				}
		}
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (!m->absent_said)
			log_warn("mDNS: avahi-daemon is not running; advertising as soon as it starts");
		m->absent_said = true;
		break;
	case AVAHI_CLIENT_FAILURE: {
		int err = avahi_client_errno(c);
		forget_groups(m);
		avahi_client_free(c);
		m->client = NULL;
		notify(m);
		if (err == AVAHI_ERR_DISCONNECTED) {
			log_warn("mDNS: avahi-daemon went away; advertising again when it returns");
			m->absent_said = true;
			client_new(m);
		} else {
			log_error("mDNS: %s; nothing is advertised until nvmetd is reloaded", avahi_strerror(err));
		}
		break;
	}
	}
}

int mdns_start(sd_event *ev, void (*changed)(void *ud), void *ud, struct mdns **out)
{
	struct mdns *m = xcalloc(1, sizeof(*m));

	m->changed = changed;
	m->ud = ud;
	m->ev = sd_event_ref(ev);
	m->poll = (AvahiPoll){ .userdata = ev, .watch_new = watch_new, .watch_update = watch_update,
			       .watch_get_events = watch_get_events, .watch_free = watch_free,
			       .timeout_new = timeout_new, .timeout_update = timeout_update, .timeout_free = timeout_free };
	the_mdns = m;
	client_new(m);
	*out = m;
	return 0;
}

static bool wildcard(const char *addr) { return streq(addr, "0.0.0.0") || streq(addr, "::"); }

static struct svc *find_svc(const struct group *a, const struct svc *s)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (a->svcs[i] && a->svcs[i]->port == s->port && streq(a->svcs[i]->trtype, s->trtype) &&
		    streq(a->svcs[i]->proto, s->proto))
			return a->svcs[i];
	return NULL;
}

static void log_withdraw(const struct svc *s)
{
	log_notice("mDNS: withdrawing \"%s\" (%s:%u no longer listens)", s->name, s->addr->addr, s->port);
}

void mdns_update(struct mdns *m, const struct mdns_service *v, size_t n, const char *nqn)
{
	struct group **next = NULL;
	size_t nnext = 0;
	bool nqn_changed, withdrawn = false;
	char hostname[HOST_NAME_MAX + 1] = "nvmet";

	if (!m)
		return;
	nqn_changed = !streq_ptr(m->nqn, nqn);
	free(m->nqn);
	m->nqn = nqn ? xstrdup(nqn) : NULL;
	gethostname(hostname, sizeof(hostname) - 1);
	if (running(m))
		snprintf(hostname, sizeof(hostname), "%s", avahi_client_get_host_name(m->client));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *key = xasprintf("%d %s %s", v[i].ifindex, v[i].adrfam, v[i].traddr);
		_cleanup_free_ char *name = xasprintf("%s %s %s:%s", hostname, v[i].trtype, v[i].traddr, v[i].trsvcid);
		struct group *a = NULL;
		struct svc want = { .port = (uint16_t)atoi(v[i].trsvcid), .proto = (char *)v[i].proto,
				    .trtype = (char *)v[i].trtype };
		struct svc *s;
		size_t k;

		for (k = 0; k < nnext && !a; k++)
			if (streq(next[k]->key, key))
				a = next[k];
		/* an address advertised before keeps its host record (and any name it had to take) */
		for (k = 0; !a && k < m->ngroups; k++)
			if (m->groups[k] && streq(m->groups[k]->key, key)) {
				a = m->groups[k];
				m->groups[k] = NULL;
				*(struct group **)array_push(&next, &nnext, sizeof(a)) = a;
				/* mark: services not wanted again are dropped below */
				for (size_t j = 0; j < a->n; j++)
					a->svcs[j]->stale = true;
			}
		if (!a) {
			a = xcalloc(1, sizeof(*a));
			a->key = xstrdup(key);
			a->ifindex = v[i].ifindex;
			a->proto = streq(v[i].adrfam, "ipv6") ? AVAHI_PROTO_INET6 : AVAHI_PROTO_INET;
			a->addr = xstrdup(v[i].traddr);
			if (!wildcard(v[i].traddr)) {
				_cleanup_free_ char *h = xasprintf("%s-%s", hostname, v[i].traddr);
				for (char *c = h; *c; c++)
					if (*c == '.' || *c == ':' || *c == '%')
						*c = '-';
				_cleanup_free_ char *l = label(h);
				a->host = xasprintf("%s.local", l);
			}
			*(struct group **)array_push(&next, &nnext, sizeof(a)) = a;
			publish_addr(m, a);
		}
		if ((s = find_svc(a, &want)) && s->stale) {
			s->stale = false;	/* still wanted */
			if (nqn_changed)
				publish_svc(m, s);	/* the TXT changed */
			continue;
		}
		s = xcalloc(1, sizeof(*s));
		s->name = label(name);
		s->port = want.port;
		s->proto = xstrdup(want.proto);
		s->trtype = xstrdup(want.trtype);
		s->addr = a;
		*(struct svc **)array_push(&a->svcs, &a->n, sizeof(s)) = s;
		publish_svc(m, s);
	}
	/* services no longer wanted at addresses still advertised */
	for (size_t k = 0; k < nnext; k++) {
		struct group *a = next[k];
		size_t j = 0;
		for (size_t i = 0; i < a->n; i++) {
			if (a->svcs[i]->stale) {
				log_withdraw(a->svcs[i]);
				svc_free(a->svcs[i]);
				withdrawn = true;
			} else {
				a->svcs[j++] = a->svcs[i];
			}
		}
		a->n = j;
	}
	/* addresses no longer advertised at all */
	for (size_t i = 0; i < m->ngroups; i++)
		if (m->groups[i]) {
			for (size_t k = 0; k < m->groups[i]->n; k++)
				log_withdraw(m->groups[i]->svcs[k]);
			withdrawn |= m->groups[i]->n > 0;
			group_free(m->groups[i]);
		}
	free(m->groups);
	m->groups = next;
	m->ngroups = nnext;
	if (withdrawn)
		notify(m);
}

void mdns_stop(struct mdns *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ngroups; i++)
		group_free(m->groups[i]);
	free(m->groups);
	if (m->client)
		avahi_client_free(m->client);
	free(m->nqn);
	sd_event_unref(m->ev);
	if (the_mdns == m)
		the_mdns = NULL;
	free(m);
}

struct json_object *mdns_json(const struct mdns *m)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "avahi", json_object_new_string(client_state_str(m)));
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct group *g = m->groups[i];
		char ifname[IF_NAMESIZE] = "";
		if (g->ifindex > 0)
			if_indextoname(g->ifindex, ifname);
		for (size_t k = 0; k < g->n; k++) {
			const struct svc *x = g->svcs[k];
			json_object *s = json_object_new_object();
			json_object_object_add(s, "name", json_object_new_string(x->name));
			json_object_object_add(s, "type", json_object_new_string(SERVICE_TYPE));
			json_object_object_add(s, "address", json_object_new_string(g->addr));
			json_object_object_add(s, "port", json_object_new_int(x->port));
			json_object_object_add(s, "interface", json_object_new_string(*ifname ? ifname : "all"));
			json_object_object_add(s, "p", json_object_new_string(x->proto));
			json_object_object_add(s, "nqn", json_object_new_string(m->nqn ? m->nqn : ""));
			json_object_object_add(s, "state", json_object_new_string(x->published ? "advertised" : "pending"));
			json_object_array_add(a, s);
		}
	}
	json_object_object_add(o, "services", a);
	return o;
}
