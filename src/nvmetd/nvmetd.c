/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd: keeps the kernel NVMe-oF target matching nvmf.conf while the machine changes under it.
 * The unit of failure is the object, not the file: each reconcile applies what it can (keep-going),
 * an object the kernel refuses is rolled back alone and tried again when an event could have fixed
 * it or when its back-off timer fires (objstate.c decides). READY=1 comes after the first reconcile
 * whatever failed; STATUS= says what is served and what is not. SIGHUP re-reads the config (a broken
 * one is logged and the running state stays). SIGTERM removes the target unless on_stop = "keep".
 * Idle means idle: the timer is armed only while some object waits for the clock. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "mdns.h"
#include "log.h"
#include "irq.h"
#include "netdev.h"
#include "util.h"

#define DEFAULT_SETTINGS "/etc/nvmet/nvmetd.conf"

static char *owned_push(char ***v, size_t *n, char *s)
{
	*(char **)array_push(v, n, sizeof(char *)) = s;
	return s;
}

static char *dirname_dup(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash != path ? xstrndup(path, slash - path) : xstrdup("/");
}

char *daemon_port_key(const struct nv_port *p)
{
	_cleanup_free_ char *addr = port_address(p);
	return xasprintf("port %s", addr);
}

static uint64_t now_us(struct daemon *d)
{
	uint64_t t = 0;
	(void)sd_event_now(d->ev, CLOCK_MONOTONIC, &t);
	return t;
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static size_t count_kind(const struct daemon *d, enum obj_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < d->objs.n; i++)
		n += d->objs.v[i].kind == k;
	return n;
}

/* STATUS=serving 5 of 6 subsystems, ...; subsystem X: namespace 1: /mnt/ro/c.img: Read-only file system */
static void set_status(struct daemon *d)
{
	size_t nsub = count_kind(d, OBJ_SUBSYS), nns = count_kind(d, OBJ_NS), nport = count_kind(d, OBJ_PORT);
	size_t okns = objtab_count(&d->objs, OBJ_NS, OBJ_OK), okport = objtab_count(&d->objs, OBJ_PORT, OBJ_OK);
	size_t oksub = nsub - objtab_count(&d->objs, OBJ_SUBSYS, OBJ_FAILED);
	size_t problems = 0;
	const struct obj *first = NULL;

	for (size_t i = 0; i < d->objs.n; i++)
		if (d->objs.v[i].state != OBJ_OK) {
			first = first ? first : &d->objs.v[i];
			problems++;
		}
	if (d->target_error) {
		sd_notifyf(0, "STATUS=not serving: %s (retrying)", d->target_error);
		return;
	}
	sd_notifyf(0, "STATUS=serving %zu of %zu subsystem%s, %zu of %zu namespace%s, %zu of %zu port%s%s%s%s%s%s",
		   oksub, nsub, plural(nsub), okns, nns, plural(nns), okport, nport, plural(nport),
		   first ? "; " : "", first ? first->name : "", first ? ": " : "",
		   first ? (first->reason ? first->reason : obj_state_str(first->state)) : "",
		   problems > 1 ? " (and more: nvmetcfg status)" : "");
}

static void on_obj_changed(void *ud, const struct obj *o, enum obj_state from)
{
	(void)ud;
	if (o->state == OBJ_OK)
		log_notice("%s: %s again", o->name, o->kind == OBJ_PORT ? "listening" : "serving");
	else if (o->state == OBJ_WAITING || o->state == OBJ_MISSING)
		log_warn("%s: %s: %s", o->name, obj_state_str(o->state), o->reason ? o->reason : "");
	else
		log_error("%s: %s: %s", o->name, obj_state_str(o->state), o->reason ? o->reason : "");
	(void)from;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud);

/* The timer runs only while something waits for the clock: a failed object's back-off, a port that
 * waits with its address present, or the target itself being unusable. */
static void arm_timer(struct daemon *d)
{
	uint64_t when = objtab_next_deadline(&d->objs);
	int r;

	if (d->target_retry && (!when || d->target_retry < when))
		when = d->target_retry;
	if (!when) {
		if (d->timer)
			(void)sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		return;
	}
	if (!d->timer) {
		r = sd_event_add_time(d->ev, &d->timer, CLOCK_MONOTONIC, when, 10 * 1000, on_timer, d);
		if (r >= 0)
			r = sd_event_source_set_description(d->timer, "retry");
	} else {
		r = sd_event_source_set_time(d->timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
	}
	if (r < 0)
		log_error("cannot arm the retry timer: %s", strerror(-r));
}

static void on_sched(struct daemon *d, const char *why);

/* The configured objects, for objstate: keys that survive reloads (ports by address). */
static void describe_config(struct daemon *d)
{
	const struct nv_model *m = d->cfg->model;
	struct obj_desc *v = NULL;
	char **owned = NULL;
	size_t n = 0, nowned = 0;

	for (size_t i = 0; i < m->nhosts; i++) {
		struct obj_desc *o = array_push(&v, &n, sizeof(*o));
		o->kind = OBJ_HOST;
		o->key = o->unit = owned_push(&owned, &nowned, xasprintf("hosts/%s", m->hosts[i].nqn));
		o->name = owned_push(&owned, &nowned, xasprintf("host %s", m->hosts[i].nqn));
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		struct obj_desc *o = array_push(&v, &n, sizeof(*o));
		o->kind = OBJ_SUBSYS;
		o->key = o->unit = owned_push(&owned, &nowned, xasprintf("subsystems/%s", s->nqn));
		o->name = owned_push(&owned, &nowned, xasprintf("subsystem %s", s->nqn));
		for (size_t j = 0; j < s->nns; j++) {
			o = array_push(&v, &n, sizeof(*o));
			o->kind = OBJ_NS;
			o->key = o->unit = owned_push(&owned, &nowned, xasprintf("subsystems/%s/namespaces/%u", s->nqn, s->ns[j].nsid));
			o->name = owned_push(&owned, &nowned, xasprintf("subsystem %s: namespace %u", s->nqn, s->ns[j].nsid));
		}
	}
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		struct obj_desc *o = array_push(&v, &n, sizeof(*o));
		o->kind = OBJ_PORT;
		o->key = o->name = owned_push(&owned, &nowned, daemon_port_key(p)); /* "port tcp ipv4 10.0.0.1 4420" */
		o->unit = p->id ? owned_push(&owned, &nowned, xasprintf("ports/%u", p->id)) : NULL;
		o->rdma = streq_ptr(attrs_get(&p->attrs, "addr_trtype"), "rdma");
	}
	objtab_config(&d->objs, v, n, now_us(d), time(NULL));
	free(v);
	strv_free(owned, nowned);
}

/* ReactorMask's replacement: each SSD's and NIC's IRQs on its NUMA node's CPUs (∩ ReactorMask). */
static void pin_irqs(struct daemon *d)
{
	const char **bdfs = NULL, **labels = NULL;
	char **owned = NULL;
	size_t n = 0, nowned = 0;
	FILE *f;
	char *summary = NULL;
	size_t len = 0;

	if (!d->set.irq_affinity || !d->cfg)
		return;
	for (size_t i = 0; i < d->cfg->nctrls; i++) {
		bdfs = xrealloc(bdfs, (n + 1) * sizeof(char *));
		labels = xrealloc(labels, (n + 1) * sizeof(char *));
		bdfs[n] = d->cfg->ctrls[i].bdf;
		labels[n] = owned_push(&owned, &nowned, xasprintf("SSD %s", d->cfg->ctrls[i].name));
		n++;
	}
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		struct addr_info ai;
		char *bdf;

		if (addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"),
			       attrs_get(&p->attrs, "addr_traddr"), &ai) < 0 || !*ai.ifname)
			continue;
		bdf = netdev_pci_bdf(d->ctx->sysfs, ai.ifname);
		if (!bdf)
			continue; /* a virtual interface: no IRQs of its own */
		bdfs = xrealloc(bdfs, (n + 1) * sizeof(char *));
		labels = xrealloc(labels, (n + 1) * sizeof(char *));
		bdfs[n] = owned_push(&owned, &nowned, bdf);
		labels[n] = owned_push(&owned, &nowned, xasprintf("NIC %s (port %u)", ai.ifname, p->id));
		n++;
	}
	irq_result_free(&d->irqs);
	irq_apply(d->ctx->sysfs, d->ctx->procfs, d->cfg->has_reactor_mask ? d->cfg->reactor_mask : NULL, bdfs, labels, n, &d->irqs);
	f = open_memstream(&summary, &len);
	for (size_t i = 0; i < d->irqs.n; i++) {
		const struct irq_dev *x = &d->irqs.devs[i];
		fprintf(f, "%s %s: NUMA node %d, CPUs %s; IRQs pinned:", x->what, x->bdf, x->node, x->cpus);
		for (unsigned k = 0; k < x->npinned; k++)
			fprintf(f, " %u", x->pinned[k]);
		fprintf(f, "; managed by the kernel:");
		for (unsigned k = 0; k < x->nmanaged; k++)
			fprintf(f, " %u", x->managed[k]);
		fputc('\n', f);
	}
	fclose(f);
	if (!streq_ptr(summary, d->irq_summary)) {
		for (size_t i = 0; i < d->irqs.n; i++)
			if (d->irqs.devs[i].warning)
				log_warn("%s", d->irqs.devs[i].warning);
		for (char *line = summary, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			*nl = '\0';
			log_notice("IRQ affinity: %s", line);
			*nl = '\n';
		}
		if (d->irqs.irqbalance)
			log_warn("irqbalance is running and may move these IRQs again: ban them with --banirq=N in "
				 "IRQBALANCE_ARGS (/etc/default/irqbalance), or stop irqbalance");
		free(d->irq_summary);
		d->irq_summary = summary;
	} else {
		free(summary);
	}
	strv_free(owned, nowned);
	free(bdfs);
	free(labels);
}

/* Look every namespace's device up again: the same SSD (PCI address, NSID) under whatever name the
 * kernel gives it now, a file that appeared; a missing one stays disabled until it returns. */
static void resolve_again(struct daemon *d)
{
	struct nv_report rep = { 0 };

	d->resolve_due = false;
	for (size_t i = 0; i < d->cfg->model->nsubsys; i++)
		for (size_t j = 0; j < d->cfg->model->subsys[i].nns; j++) {
			struct nv_ns *ns = &d->cfg->model->subsys[i].ns[j];
			ns->enable = true;
			attrs_del(&ns->attrs, "device_path");
		}
	resolve_namespaces(d->ctx, d->cfg, RESOLVE_F_TOLERANT | RESOLVE_F_CREATE, &rep);
	for (size_t i = 0; i < rep.n; i++)
		log_debug("%s", rep.d[i].msg);
	report_free(&rep);
}

/* What the filesystem under path looks like: its device and whether that mount is read-only. For a
 * path that does not exist yet, its nearest existing directory's. A mount, umount or remount that
 * concerns the path changes this; one elsewhere does not. */
static char *path_fingerprint(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct statvfs vfs;
	struct stat st;

	for (;;) {
		if (stat(p, &st) == 0 && statvfs(p, &vfs) == 0)
			return xasprintf("%lu:%lu:%d", (unsigned long)st.st_dev, (unsigned long)vfs.f_fsid,
					 !!(vfs.f_flag & ST_RDONLY));
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			return xstrdup("/");
		*slash = '\0';
	}
}

/* The backing file or device a namespace names, when it is a path (AIO); NULL for an SSD not found. */
static const char *ns_path(const struct daemon *d, const struct nv_ns *ns)
{
	const char *dp = attrs_get(&ns->attrs, "device_path");
	struct nv_bdev b;

	if (dp && *dp)
		return dp;
	if (ns->bdev && config_find_bdev(d->cfg, ns->bdev, &b) == 0 && b.kind == BDEV_AIO)
		return b.path;
	return NULL;
}

static bool held_unit(const char *unit, const char **held, size_t nheld)
{
	for (size_t i = 0; i < nheld; i++)
		if (path_under(unit, held[i]))
			return true;
	return false;
}

static const struct exec_failure *failure_of(const struct exec_result *er, const char *unit)
{
	for (size_t i = 0; i < er->nfailed; i++)
		if (streq(er->failed[i].unit, unit))
			return &er->failed[i];
	return NULL;
}

/* "subsystem X: namespace 1: /f: Read-only file system — hint" -> what follows the object's name */
static const char *failure_reason(const struct exec_failure *f, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(f->msg, name, n) && !strncmp(f->msg + n, ": ", 2) ? f->msg + n + 2 : f->msg;
}

/* The RDMA device a port's address is on now, if the kernel shows one (observed, not remembered). */
static char *port_rdma_dev(const struct nv_port *p, bool *present)
{
	struct addr_info ai;

	*present = false;
	if (addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"),
		       attrs_get(&p->attrs, "addr_traddr"), &ai) < 0)
		return NULL;
	*present = ai.state != ADDR_MISSING;
	return ai.state == ADDR_OK && *ai.rdma_dev ? xstrdup(ai.rdma_dev) : NULL;
}

/* A port that was serving and cannot any more — its RDMA device or its address is gone — gets its ANA
 * group made inaccessible, so hosts that reach the subsystem through another port use that one; it
 * gets its state back when it serves again. (A port still waiting for its first listen is not: no
 * host is connected through it.) */
static bool port_down(const struct daemon *d, const struct nv_port *p, bool relinked)
{
	_cleanup_free_ char *key = daemon_port_key(p);
	const struct obj *o = objtab_find(&d->objs, key);
	const char *addr = attrs_get(&p->attrs, "addr_traddr");
	struct addr_info ai;

	if (!o || relinked)
		return false;
	if (o->state == OBJ_DEAD)
		return true;
	if (o->state != OBJ_OK || !addr || streq(addr, "0.0.0.0") || streq(addr, "::"))
		return false;
	return addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"), addr, &ai) == 0 &&
	       ai.state == ADDR_MISSING;
}

/* Whether some port's health changed since its ANA state was last applied. */
static bool ana_health_changed(const struct daemon *d)
{
	for (size_t i = 0; d->cfg && i < d->cfg->model->nports; i++)
		if (port_down(d, &d->cfg->model->ports[i], false) != d->cfg->model->ports[i].ana_down)
			return true;
	return false;
}

/* RDMA ports whose device went away and came back: the kernel does not listen again by itself. */
static void relink_dead_ports(struct daemon *d, bool *relinked)
{
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		_cleanup_free_ char *key = daemon_port_key(p), *dev = NULL;
		struct obj *o;
		struct exec_result er;
		bool present;
		int r;

		o = objtab_find(&d->objs, key);
		if (!o || o->state != OBJ_DEAD || !p->id || !(dev = port_rdma_dev(p, &present)))
			continue;
		r = engine_relink_port(d->ctx, p->id, &er);
		if (r < 0)
			log_error("%s: relinking after its RDMA device returned failed: %s", o->name,
				  er.errmsg ? er.errmsg : strerror(-r));
		else if (!er.nwaiting) {
			log_notice("%s: RDMA device %s is back", o->name, dev);
			relinked[i] = true;
		}
		exec_result_free(&er);
	}
}

/* What the reconcile found, object by object, for objstate. */
static void report_outcomes(struct daemon *d, const struct apply_result *res, const char **held, size_t nheld,
			    const bool *relinked)
{
	const struct nv_model *m = d->cfg->model;
	const struct exec_result *er = &res->exec;
	struct obj_outcome *v = NULL;
	char **owned = NULL;
	size_t n = 0, nowned = 0;

	for (size_t i = 0; i < m->nhosts; i++) {
		char *unit = owned_push(&owned, &nowned, xasprintf("hosts/%s", m->hosts[i].nqn));
		const struct exec_failure *f = failure_of(er, unit);
		struct obj_outcome *o;
		if (!f && held_unit(unit, held, nheld))
			continue;
		o = array_push(&v, &n, sizeof(*o));
		o->key = unit;
		o->state = f ? OBJ_FAILED : OBJ_OK;
		o->reason = f ? f->msg : NULL;
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		char *unit = owned_push(&owned, &nowned, xasprintf("subsystems/%s", s->nqn));
		const struct exec_failure *f = failure_of(er, unit);
		struct obj_outcome *o;

		if (f || !held_unit(unit, held, nheld)) {
			o = array_push(&v, &n, sizeof(*o));
			o->key = unit;
			o->state = f ? OBJ_FAILED : OBJ_OK;
			o->reason = f ? failure_reason(f, owned_push(&owned, &nowned, xasprintf("subsystem %s", s->nqn))) : NULL;
		}
		for (size_t j = 0; j < s->nns; j++) {
			const struct nv_ns *ns = &s->ns[j];
			char *nunit = owned_push(&owned, &nowned, xasprintf("%s/namespaces/%u", unit, ns->nsid));
			const struct exec_failure *nf = failure_of(er, nunit);

			/* a missing device is known without the kernel; otherwise only what was tried counts */
			if (ns->enable && (f || (!nf && held_unit(nunit, held, nheld))))
				continue;
			o = array_push(&v, &n, sizeof(*o));
			o->key = nunit;
			if (!ns->enable || nf) {
				o->path = ns_path(d, ns);
				o->fingerprint = o->path ? owned_push(&owned, &nowned, path_fingerprint(o->path)) : NULL;
			}
			if (!ns->enable) {
				o->state = OBJ_MISSING;
				o->reason = ns->missing ? ns->missing : "its device is missing";
			} else if (nf) {
				o->state = OBJ_FAILED;
				o->reason = failure_reason(nf, owned_push(&owned, &nowned, xasprintf("subsystem %s: namespace %u",
												   s->nqn, ns->nsid)));
			} else {
				o->state = OBJ_OK;
			}
		}
	}
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		char *key = owned_push(&owned, &nowned, daemon_port_key(p));
		char *unit = owned_push(&owned, &nowned, xasprintf("ports/%u", p->id));
		const struct exec_failure *f = failure_of(er, unit);
		const struct waiting_port *w = NULL;
		const struct obj *cur = objtab_find(&d->objs, key);
		struct obj_outcome *o = array_push(&v, &n, sizeof(*o));
		bool present = false;
		char *dev = owned_push(&owned, &nowned, port_rdma_dev(p, &present));

		for (size_t k = 0; k < er->nwaiting; k++)
			if (er->waiting[k].id == p->id)
				w = &er->waiting[k];
		o->key = key;
		o->unit = unit;
		if (f) {
			o->state = OBJ_FAILED;
			o->reason = failure_reason(f, owned_push(&owned, &nowned, xasprintf("port %u", p->id)));
		} else if (w) {
			o->state = OBJ_WAITING;
			o->reason = w->reason;
			o->addr_present = present;
		} else if (cur && cur->state == OBJ_DEAD && !relinked[i]) {
			o->state = OBJ_DEAD;
			o->reason = cur->reason;
			o->addr_present = present;
		} else {
			o->state = OBJ_OK;
			o->rdma_dev = dev;
		}
	}
	objtab_applied(&d->objs, v, n, now_us(d), time(NULL));
	free(v);
	strv_free(owned, nowned);
}

/* Bring the kernel to the config as far as it goes; record what serves and what does not. */
static int reconcile(struct daemon *d, const char *why)
{
	struct apply_result res = { 0 };
	const char **held = NULL;
	_cleanup_free_ bool *relinked = NULL;
	size_t nheld;
	int r;

	if (!d->cfg)
		return 0;
	log_debug("reconcile: %s", why);
	relinked = xcalloc(d->cfg->model->nports + 1, sizeof(bool));
	r = ctx_lock(d->ctx);
	if (r >= 0 && d->resolve_due)
		resolve_again(d); /* under the lock: it may make RAM disks, as an apply does */
	if (r < 0) {
		free(d->target_error);
		d->target_error = xasprintf("cannot take the apply lock: %s", strerror(-r));
		r = -EAGAIN;
	} else {
		relink_dead_ports(d, relinked);
		for (size_t i = 0; i < d->cfg->model->nports; i++) {
			struct nv_port *p = &d->cfg->model->ports[i];
			bool down = port_down(d, p, relinked[i]);
			if (down != p->ana_down) {
				_cleanup_free_ char *addr = port_address(p);
				if (down)
					log_warn("port %u (%s) cannot serve: ANA group inaccessible, so hosts use their other "
						 "paths", p->id, addr);
				else
					log_notice("port %u (%s) serves again: ANA group %s", p->id, addr, p->ana_state);
			}
			p->ana_down = down;
		}
		nheld = objtab_held(&d->objs, now_us(d), &held);
		r = engine_apply(d->ctx, d->cfg->model,
				 &(struct apply_opts){ .verbose = log_get_level() >= LOG_INFO, .keep_going = true,
						       .held = (char *const *)held, .nheld = nheld }, &res);
		ctx_unlock(d->ctx);
		free(d->target_error);
		d->target_error = r < 0 ? xasprintf("the kernel target cannot be used (%s)",
						    res.exec.errmsg ? res.exec.errmsg : strerror(-r)) : NULL;
	}
	d->last_err = r;
	d->last_time = time(NULL);
	free(d->last_result);
	if (r < 0) {
		/* nvmet missing, configfs not mountable: nothing is served; try again later, never exit */
		d->target_attempts++;
		d->target_retry = now_us(d) + OBJ_RETRY_MIN_US * (1ULL << (d->target_attempts < 9 ? d->target_attempts - 1 : 8));
		d->last_result = xasprintf("failed: %s", d->target_error);
		log_error("%s: %s", why, d->target_error);
	} else {
		d->target_attempts = 0;
		d->target_retry = 0;
		/* ports get their IDs in the plan: a new config learns them here */
		report_outcomes(d, &res, held, nheld, relinked);
		d->last_result = xasprintf("%zu change%s applied (%s)%s", res.exec.writes, plural(res.exec.writes), why,
					   res.exec.nfailed ? "; some objects failed, see status" : "");
		if (res.exec.writes)
			log_notice("%s: %s", why, d->last_result);
	}
	free(held);
	apply_result_free(&res);
	pin_irqs(d);
	advertise(d);
	/* a port that came up (or went down) in this reconcile: its ANA state follows in the next */
	if (r >= 0 && ana_health_changed(d))
		on_sched(d, "port health changed");
	arm_timer(d);
	set_status(d);
	state_publish(d);
	return r < 0 ? -EIO : 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct daemon *d = ud;
	struct obj_event ev = { .type = OEV_TIMER };
	bool target = d->target_retry && d->target_retry <= usec;

	if (objtab_event(&d->objs, &ev, usec, time(NULL)) || target) {
		/* a namespace whose file or device was missing: look again */
		for (size_t i = 0; i < d->objs.n; i++)
			d->resolve_due |= d->objs.v[i].kind == OBJ_NS && d->objs.v[i].due &&
					  d->objs.v[i].state == OBJ_MISSING;
		reconcile(d, "retry");
	} else {
		arm_timer(d);
	}
	return 0;
}

static int on_defer(sd_event_source *s, void *ud)
{
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return reconcile(ud, "device, address or mount change"), 0;
}

static void on_sched(struct daemon *d, const char *why)
{
	int r = 0;

	log_debug("event: %s", why);
	if (!d->defer) {
		r = sd_event_add_defer(d->ev, &d->defer, on_defer, d);
		if (r >= 0)
			r = sd_event_source_set_description(d->defer, "reconcile");
	}
	if (r >= 0)
		r = sd_event_source_set_enabled(d->defer, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_error("cannot schedule a reconcile: %s; doing it now", strerror(-r));
		reconcile(d, why);
	}
}

static bool any_namespace_missing(const struct daemon *d)
{
	return objtab_count(&d->objs, OBJ_NS, OBJ_MISSING) > 0;
}

/* One entry point for every event the monitor sees. */
static void on_event(void *ud, const struct mon_event *me)
{
	struct daemon *d = ud;
	struct obj_event ev = { 0 };
	uint64_t now = now_us(d);

	if (!d->cfg)
		return;
	switch (me->type) {
	case MON_ADDR_REMOVED:
		/* nothing waits for an address to go; a port advertised on it is withdrawn, and a port that
		 * served on it is made ANA-inaccessible */
		advertise(d);
		if (d->mdns)
			state_publish(d);
		if (ana_health_changed(d))
			on_sched(d, "port health changed");
		return;
	case MON_ADDR_ADDED:
	case MON_LINK_CHANGED:
		ev.type = OEV_NET_CHANGED;
		break;
	case MON_RDMA_ADDED:
		ev.type = OEV_RDMA_ADDED;
		break;
	case MON_RDMA_REMOVED:
		/* observe first: a listening RDMA port whose device is not known yet may be on another one */
		for (size_t i = 0; i < d->cfg->model->nports; i++) {
			const struct nv_port *p = &d->cfg->model->ports[i];
			_cleanup_free_ char *key = daemon_port_key(p), *dev = NULL;
			struct obj *o = objtab_find(&d->objs, key);
			bool present;
			if (o && o->rdma && o->state == OBJ_OK && !o->rdma_dev && (dev = port_rdma_dev(p, &present)) &&
			    !streq(dev, me->name))
				o->rdma_dev = TAKE_PTR(dev);
		}
		ev.type = OEV_RDMA_REMOVED;
		ev.dev = me->name;
		break;
	case MON_BLOCK_ADDED:
	case MON_BLOCK_REMOVED:
		/* removals and renames are followed with HotplugEnable Yes; an SSD that appears is always
		 * looked at while a namespace waits for its device (the nvme driver may probe it late) */
		if (d->hotplug || (me->type == MON_BLOCK_ADDED && any_namespace_missing(d))) {
			d->resolve_due = true;
			on_sched(d, me->type == MON_BLOCK_ADDED ? "block device appeared" : "block device went away");
		}
		ev.type = OEV_DEVICES_CHANGED;
		break;
	case MON_MOUNTS_CHANGED: {
		/* only a namespace whose filesystem changed (remounted rw, mounted over) is tried again:
		 * mounts elsewhere (containers, network namespaces) do not make the kernel log its failure */
		bool any = false;
		for (size_t i = 0; i < d->objs.n; i++) {
			struct obj *o = &d->objs.v[i];
			_cleanup_free_ char *fp = NULL;
			if (o->kind != OBJ_NS || o->state == OBJ_OK || !o->path || !o->fingerprint)
				continue;
			fp = path_fingerprint(o->path);
			if (!streq(fp, o->fingerprint) && objtab_mark_due(&d->objs, o->key)) {
				log_info("%s: the filesystem under %s changed; trying again", o->name, o->path);
				any = true;
			}
		}
		if (any) {
			d->resolve_due = true;
			on_sched(d, "mount table change");
		}
		return;
	}
	case MON_OVERRUN:
		d->resolve_due = true;
		ev.type = OEV_OVERRUN;
		break;
	}
	if (objtab_event(&d->objs, &ev, now, time(NULL))) {
		if (ev.type == OEV_DEVICES_CHANGED)
			d->resolve_due = true;
		on_sched(d, "event");
	}
	if (me->type == MON_RDMA_REMOVED || me->type == MON_LINK_CHANGED || me->type == MON_ADDR_ADDED ||
	    me->type == MON_OVERRUN)
		advertise(d);
	if (ana_health_changed(d))
		on_sched(d, "port health changed");
	if (me->type == MON_RDMA_REMOVED) {
		set_status(d);
		state_publish(d);
	}
}

static void on_mdns_changed(void *ud)
{
	state_publish(ud);
}

/* Load (or reload) nvmf.conf. A broken file keeps the running config. */
static int load_config(struct daemon *d)
{
	struct nv_report rep = { 0 };
	struct nv_config *cfg = NULL;
	int r;

	/* devices are looked up by the reconcile, under the apply lock */
	r = engine_load(d->ctx, d->set.nvmf_conf, RESOLVE_NONE, &cfg, &rep);
	report_print_problems(&rep, stderr);
	report_free(&rep);
	if (r < 0) {
		log_error("%s has errors%s", d->set.nvmf_conf, d->cfg ? "; keeping the running configuration" : "");
		return r;
	}
	d->hotplug = cfg->hotplug;
	config_free(d->cfg);
	d->cfg = cfg;
	d->resolve_due = true;
	describe_config(d);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	(void)sd_notify(0, "RELOADING=1");
	log_notice("reloading %s", d->set.nvmf_conf);
	mdns_retry(d->mdns);	/* without the system D-Bus: try again now */
	if (load_config(d) == 0)
		reconcile(d, "reload");
	(void)sd_notify(0, "READY=1");
	set_status(d);
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	d->stopping = true;
	(void)sd_notify(0, "STOPPING=1");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: nvmetd [OPTIONS]\n\n"
		   "Keeps the kernel NVMe-oF target matching an SPDK-style nvmf.conf.\n\n"
		   "  -c, --config FILE   nvmetd settings (default " DEFAULT_SETTINGS ")\n"
		   "  -f, --foreground    do not detach (systemd runs it like this)\n"
		   "  -v, --verbose       log every event and operation\n"
		   "  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct daemon d = { .settings_path = DEFAULT_SETTINGS };
	bool foreground = false, verbose = false;
	sigset_t ss;
	int opt, r;

	log_init("nvmetd");
	setvbuf(stdout, NULL, _IOLBF, 0); /* -v / log_level info: each operation reaches the journal as it happens */
	while ((opt = getopt_long(argc, argv, "c:fvh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.settings_path = optarg; break;
		case 'f': foreground = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (settings_load(d.settings_path, &d.set) < 0)
		return 2;
	log_set_level(verbose ? LOG_DEBUG : d.set.log_level);
	if (!foreground && !getenv("NOTIFY_SOCKET") && daemon(0, 1) < 0) {
		log_error("cannot detach: %s", strerror(errno));
		return 1;
	}
	r = ctx_new(&d.ctx);
	if (r < 0) {
		log_error("cannot initialise: %s", strerror(-r));
		return 1;
	}
	d.ctx->jobs = d.set.jobs;
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	d.objs.changed = on_obj_changed;
	d.objs.ud = &d;
	r = sd_event_default(&d.ev);
	if (r >= 0)
		r = sd_event_add_signal(d.ev, NULL, SIGHUP, on_sighup, &d);
	if (r >= 0)
		r = sd_event_add_signal(d.ev, NULL, SIGTERM, on_sigterm, &d);
	if (r >= 0)
		r = sd_event_add_signal(d.ev, NULL, SIGINT, on_sigterm, &d);
	/* WatchdogSec= in the unit: a loop that hangs (in the parser, in the kernel) is killed and restarted */
	if (r >= 0)
		r = sd_event_set_watchdog(d.ev, true);
	if (r < 0) {
		log_error("sd_event: %s", strerror(-r));
		return 1;
	}

	/* the one case with nothing to serve; exit status 2 is not restarted (RestartPreventExitStatus) */
	if (load_config(&d) < 0) {
		sd_notifyf(0, "STATUS=%s has errors: nothing to serve; fix it and start nvmetd again", d.set.nvmf_conf);
		return 2;
	}
	{
		/* a keep-serving flag from an upgrade that never restarted us would keep the target at the
		 * next stop: it is only for the stop right after it is written */
		_cleanup_free_ char *dir = dirname_dup(d.set.state_file), *flag = path_join(dir, "keep-serving");
		(void)unlink(flag);
	}
	/* watch first, then apply: nothing that happens in between is missed */
	r = monitor_start(&d.mon, d.ev, d.ctx->udev, on_event, &d);
	if (r < 0) {
		log_error("cannot watch devices, addresses and mounts: %s", strerror(-r));
		return 1;
	}
	if (d.set.mdns)
		mdns_start(d.ev, on_mdns_changed, &d, &d.mdns);
	reconcile(&d, "start");
	/* ready whatever failed: what can serve does, the rest is retried (see status) */
	(void)sd_notify(0, "READY=1");
	set_status(&d);
	log_notice("started: %s", d.last_result);

	r = sd_event_loop(d.ev);

	monitor_stop(&d.mon);
	/* withdraw the advertisement before the ports go */
	mdns_stop(d.mdns);
	d.mdns = NULL;
	/* a package upgrade restarts nvmetd: its prerm leaves this flag, and the target keeps serving
	 * (connected hosts stay connected); the new nvmetd takes it over with a re-apply that writes
	 * nothing */
	_cleanup_free_ char *state_dir = dirname_dup(d.set.state_file), *keep_flag = path_join(state_dir, "keep-serving");
	bool keep_once = unlink(keep_flag) == 0;
	if (d.set.clear_on_stop && keep_once) {
		log_notice("stopped: target left serving for the restart after an upgrade (%s)", keep_flag);
	} else if (d.set.clear_on_stop) {
		struct apply_result res;
		ctx_lock(d.ctx);
		int x = engine_apply(d.ctx, NULL, &(struct apply_opts){ 0 }, &res);
		ctx_unlock(d.ctx);
		log_notice("stopped: target removed (%zu changes)%s", res.exec.writes, x ? " with errors" : "");
		apply_result_free(&res);
	} else {
		log_notice("stopped: target left serving (on_stop = \"keep\")");
	}
	unlink(d.set.state_file);
	sd_event_source_disable_unref(d.timer);
	sd_event_source_disable_unref(d.defer);
	sd_event_unref(d.ev);
	config_free(d.cfg);
	objtab_free(&d.objs);
	irq_result_free(&d.irqs);
	free(d.irq_summary);
	free(d.last_result);
	free(d.target_error);
	ctx_free(d.ctx);
	settings_free(&d.set);
	return r < 0 ? 1 : 0;
}
