/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "mdns-avahi.h"
#include "mdns-lib.h"
#include "util.h"

/* Seconds before the client is made again after it could not be (the system D-Bus is down):
 * doubling from the first to the last. Only then: connected, nothing wakes up. */
#define BACKOFF_MIN 1
#define BACKOFF_MAX 60

struct mdns_avahi {
	const AvahiPoll *poll;
	AvahiClient *client;
	AvahiClientState cstate;
	bool tried;		/* a client was asked for */
	AvahiTimeout *connect;	/* makes the client when it fires */
	unsigned backoff;	/* seconds before the next try after a failed one */
	bool absent_said;	/* that avahi-daemon is away was logged for this absence */
	bool bus_said;		/* that the system D-Bus cannot be reached was logged for this outage */
	struct mdns_tab tab;
	void (*changed)(void *ud);
	void *ud;
};

static void changed(struct mdns_avahi *x)
{
	if (x->changed)
		x->changed(x->ud);
}

/* ---- the records' entry groups: struct mdns_ops ---- */

static AvahiIfIndex if_of(const struct mdns_addr *a)
{
	return a->ifindex > 0 ? a->ifindex : AVAHI_IF_UNSPEC;
}

static AvahiProtocol proto_of(const struct mdns_addr *a)
{
	return a->ipv6 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_INET;
}

static void svc_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud);
static void addr_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud);

/* A record's entry group: made on first use, emptied for new content. 0 or an Avahi error. */
static int group_for(struct mdns_avahi *x, void **io, AvahiEntryGroupCallback cb, void *ud)
{
	AvahiEntryGroup *g;

	if (*io)
		return avahi_fn.entry_group_reset(*io);
	if (!x->client)
		return AVAHI_ERR_BAD_STATE;
	if (!(g = avahi_fn.entry_group_new(x->client, cb, ud)))
		return avahi_fn.client_errno(x->client);
	*io = g;
	return 0;
}

/* avahi-daemon refuses a name another of its clients holds at once, with AVAHI_ERR_COLLISION (a
 * collision on the network comes later, as the group's state). */
static int taken(int r)
{
	return r == AVAHI_ERR_COLLISION ? MDNS_TAKEN : r;
}

static AvahiStringList *txt_new(const struct mdns_tab *t, const struct mdns_svc *s)
{
	_cleanup_free_ char *nqn = xasprintf("nqn=%s", t->nqn ? t->nqn : "");
	_cleanup_free_ char *p = xasprintf("p=%s", s->proto);

	return avahi_fn.string_list_new(nqn, p, NULL);
}

static int op_publish_svc(struct mdns_tab *t, struct mdns_svc *s)
{
	const struct mdns_addr *a = s->addr;
	AvahiStringList *txt;
	int r = group_for(t->ud, &s->io, svc_cb, s);

	if (r < 0)
		return r;
	txt = txt_new(t, s);
	r = avahi_fn.entry_group_add_service_strlst(s->io, if_of(a), proto_of(a), 0, s->name.cur, MDNS_SERVICE_TYPE,
						 NULL, a->host.cur, s->port, txt);
	avahi_fn.string_list_free(txt);
	return taken(r < 0 ? r : avahi_fn.entry_group_commit(s->io));
}

static int op_update_txt(struct mdns_tab *t, struct mdns_svc *s)
{
	const struct mdns_addr *a = s->addr;
	AvahiStringList *txt;
	int r;

	if (!s->io)
		return AVAHI_ERR_BAD_STATE;
	txt = txt_new(t, s);
	r = avahi_fn.entry_group_update_service_txt_strlst(s->io, if_of(a), proto_of(a), 0, s->name.cur,
							MDNS_SERVICE_TYPE, NULL, txt);
	avahi_fn.string_list_free(txt);
	return r;
}

static int op_publish_addr(struct mdns_tab *t, struct mdns_addr *a)
{
	AvahiAddress addr;
	int r;

	if (!avahi_fn.address_parse(a->addr, proto_of(a), &addr))
		return AVAHI_ERR_INVALID_ADDRESS;
	r = group_for(t->ud, &a->io, addr_cb, a);
	if (r < 0)
		return r;
	r = avahi_fn.entry_group_add_address(a->io, if_of(a), proto_of(a), AVAHI_PUBLISH_NO_REVERSE, a->host.cur,
					  &addr);
	return taken(r < 0 ? r : avahi_fn.entry_group_commit(a->io));
}

static void op_withdraw(struct mdns_tab *t, void **io)
{
	if (*io)
		avahi_fn.entry_group_free(*io);	/* goodbye packets */
	*io = NULL;
}

static const char *op_strerror(int err)
{
	return avahi_fn.strerror(err);
}

static const struct mdns_ops avahi_ops = {
	.publish_addr = op_publish_addr,
	.publish_svc = op_publish_svc,
	.update_txt = op_update_txt,
	.withdraw = op_withdraw,
	.strerror = op_strerror,
};

static void svc_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
	struct mdns_svc *s = ud;

	s->io = g;	/* the first call comes from inside avahi_entry_group_new() */
	switch (st) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		mdns_svc_established(s);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		mdns_svc_collision(s);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		mdns_svc_failed(s, avahi_fn.client_errno(avahi_fn.entry_group_get_client(g)));
		break;
	default:
		return;
	}
	changed(s->addr->tab->ud);
}

static void addr_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
	struct mdns_addr *a = ud;

	a->io = g;
	switch (st) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		mdns_addr_established(a);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		mdns_addr_collision(a);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		mdns_addr_failed(a, avahi_fn.client_errno(avahi_fn.entry_group_get_client(g)));
		break;
	default:
		return;
	}
	changed(a->tab->ud);
}

/* ---- the client ---- */

static void connect_in(struct mdns_avahi *x, unsigned seconds)
{
	struct timeval tv;

	x->poll->timeout_update(x->connect, avahi_fn.elapse_time(&tv, seconds * 1000, 0));
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *ud);

static void client_new(struct mdns_avahi *x)
{
	int err = 0;

	x->tried = true;
	x->poll->timeout_update(x->connect, NULL);
	/* NO_FAIL: without avahi-daemon, wait for it to appear on the bus (D-Bus tells; nothing polls) */
	x->client = avahi_fn.client_new(x->poll, AVAHI_CLIENT_NO_FAIL, client_cb, x, &err);
	if (x->client) {
		x->bus_said = false;
		return;
	}
	if (!x->bus_said)
		log_error("mDNS: cannot reach the system D-Bus (%s): nothing is advertised; nvmetd keeps serving, "
			  "and tries again in %u s, backing off to every %u s, and on reload", avahi_fn.strerror(err),
			  x->backoff, BACKOFF_MAX);
	else
		log_debug("mDNS: the system D-Bus is still unreachable (%s); next try in %u s", avahi_fn.strerror(err),
			  x->backoff);
	x->bus_said = x->absent_said = true;
	connect_in(x, x->backoff);
	x->backoff = x->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : x->backoff * 2;
}

static void client_failed(struct mdns_avahi *x, int err)
{
	mdns_tab_lost(&x->tab);	/* the entry groups die with their client */
	avahi_fn.client_free(x->client);
	x->client = NULL;
	if (err == AVAHI_ERR_DISCONNECTED) {
		/* avahi-daemon (or the system bus) went away: a new client waits for it */
		log_warn("mDNS: avahi-daemon went away; advertising again when it returns");
		x->absent_said = true;
		connect_in(x, 0);
		return;
	}
	log_error("mDNS: %s; nothing is advertised; trying again in %u s", avahi_fn.strerror(err), x->backoff);
	connect_in(x, x->backoff);
	x->backoff = x->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : x->backoff * 2;
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *ud)
{
	struct mdns_avahi *x = ud;

	x->client = c;	/* the first call comes from inside avahi_client_new() */
	x->cstate = st;
	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		if (x->absent_said)
			log_notice("mDNS: avahi-daemon is running; advertising");
		x->absent_said = false;
		x->backoff = BACKOFF_MIN;
		mdns_tab_set_live(&x->tab, true);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* avahi-daemon's own host name changes: withdraw, publish again when it runs */
		mdns_tab_set_live(&x->tab, false);
		break;
	case AVAHI_CLIENT_CONNECTING:
		x->backoff = BACKOFF_MIN;
		if (!x->absent_said)
			log_warn("mDNS: avahi-daemon is not running; advertising as soon as it starts");
		x->absent_said = true;
		break;
	case AVAHI_CLIENT_FAILURE:
		client_failed(x, avahi_fn.client_errno(c));
		break;
	}
	changed(x);
}

static void on_connect(AvahiTimeout *t, void *ud)
{
	struct mdns_avahi *x = ud;

	if (!x->client)
		client_new(x);
	changed(x);
}

static const char *client_state_str(const struct mdns_avahi *x)
{
	if (!x->client)
		return x->tried ? "unavailable" : "connecting";
	switch (x->cstate) {
	case AVAHI_CLIENT_S_RUNNING: return "running";
	case AVAHI_CLIENT_CONNECTING: return "avahi-daemon not running";
	case AVAHI_CLIENT_S_REGISTERING: return "registering host name";
	case AVAHI_CLIENT_S_COLLISION: return "host name collision";
	default: return "failed";
	}
}

int mdns_avahi_new(const AvahiPoll *poll, void (*cb)(void *ud), void *ud, struct mdns_avahi **out)
{
	struct mdns_avahi *x = xcalloc(1, sizeof(*x));
	struct timeval now;

	x->poll = poll;
	x->changed = cb;
	x->ud = ud;
	x->backoff = BACKOFF_MIN;
	mdns_tab_init(&x->tab, &avahi_ops, x);
	x->connect = poll->timeout_new(poll, avahi_fn.elapse_time(&now, 0, 0), on_connect, x);
	if (!x->connect) {
		free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

void mdns_avahi_want(struct mdns_avahi *x, const struct mdns_service *v, size_t n, const char *nqn)
{
	char hostname[HOST_NAME_MAX + 1] = "";
	const char *h = x->tab.live ? avahi_fn.client_get_host_name(x->client) : NULL;

	if (h)
		snprintf(hostname, sizeof(hostname), "%s", h);
	else if (gethostname(hostname, sizeof(hostname) - 1) < 0 || !*hostname)
		snprintf(hostname, sizeof(hostname), "nvmet");
	mdns_tab_sync(&x->tab, v, n, nqn, hostname);
	changed(x);
}

void mdns_avahi_retry(struct mdns_avahi *x)
{
	if (!x->client) {
		x->backoff = BACKOFF_MIN;
		x->bus_said = false;	/* say again what this try finds */
		client_new(x);
	} else {
		mdns_tab_retry(&x->tab);
	}
	changed(x);
}

void mdns_avahi_snapshot(const struct mdns_avahi *x, struct mdns_snap *out)
{
	mdns_tab_snapshot(&x->tab, client_state_str(x), out);
}

void mdns_avahi_free(struct mdns_avahi *x)
{
	if (!x)
		return;
	x->changed = NULL;
	mdns_tab_free(&x->tab);	/* withdraws what is published */
	if (x->client)
		avahi_fn.client_free(x->client);
	x->poll->timeout_free(x->connect);
	free(x);
}
