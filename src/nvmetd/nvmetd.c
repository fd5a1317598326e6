/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd: keeps the kernel NVMe-oF target matching nvmf.conf while the machine changes under it.
 * Start: apply the config, READY=1. Events (addresses, links, RDMA devices, SSDs) re-run the same
 * apply — it writes nothing when nothing changed. SIGHUP re-reads the config (a broken one is
 * logged and the running state stays). SIGTERM removes the target unless on_stop = "keep".
 * Idle means idle: no timers run unless a port waits on something that sends no event. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "irq.h"
#include "netdev.h"
#include "util.h"

#define DEFAULT_SETTINGS "/etc/nvmet/nvmetd.conf"
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000

static const char *owned_push(char ***v, size_t *n, char *s)
{
	*(char **)array_push(v, n, sizeof(char *)) = s;
	return s;
}

static void ports_clear(struct daemon *d)
{
	for (size_t i = 0; i < d->nports; i++) {
		free(d->ports[i].rdma_dev);
		free(d->ports[i].reason);
	}
	free(d->ports);
	d->ports = NULL;
	d->nports = 0;
}

static struct port_info *port_info(struct daemon *d, unsigned id)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].id == id)
			return &d->ports[i];
	return NULL;
}

static void set_status(struct daemon *d)
{
	size_t nsub = 0, nns = 0, nwait = 0, nports = 0;

	if (d->cfg) {
		nsub = d->cfg->model->nsubsys;
		for (size_t i = 0; i < nsub; i++)
			for (size_t j = 0; j < d->cfg->model->subsys[i].nns; j++)
				nns += d->cfg->model->subsys[i].ns[j].enable;
		nports = d->cfg->model->nports;
	}
	for (size_t i = 0; i < d->nports; i++)
		nwait += d->ports[i].state != PORT_LISTENING;
	sd_notifyf(0, "STATUS=serving %zu subsystem%s, %zu namespace%s, %zu port%s%s%zu%s", nsub, nsub == 1 ? "" : "s",
		   nns, nns == 1 ? "" : "s", nports - nwait, nports - nwait == 1 ? "" : "s",
		   nwait ? "; waiting: " : "", nwait, nwait ? " port(s)" : "");
}

static int on_retry(sd_event_source *s, uint64_t usec, void *ud);

/* Arm the retry timer only while some port waits with its address present (the kernel refused for
 * a reason no event will tell us about, e.g. an RDMA GID not populated yet); back off to 5 s. */
static void arm_retry(struct daemon *d, bool need)
{
	if (!need) {
		d->retry_ms = 0;
		if (d->retry)
			sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
		return;
	}
	d->retry_ms = d->retry_ms ? (d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : d->retry_ms * 2) : RETRY_MIN_MS;
	if (!d->retry)
		sd_event_add_time_relative(d->ev, &d->retry, CLOCK_MONOTONIC, d->retry_ms * 1000ULL, 1000, on_retry, d);
	else {
		sd_event_source_set_time_relative(d->retry, d->retry_ms * 1000ULL);
		sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
	}
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

	if (!d->set.irq_affinity || !d->cfg || d->ctx->fake)
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
		bdf = netdev_pci_bdf("/sys", ai.ifname);
		if (!bdf)
			continue; /* a virtual interface: no IRQs of its own */
		bdfs = xrealloc(bdfs, (n + 1) * sizeof(char *));
		labels = xrealloc(labels, (n + 1) * sizeof(char *));
		bdfs[n] = owned_push(&owned, &nowned, bdf);
		labels[n] = owned_push(&owned, &nowned, xasprintf("NIC %s (port %u)", ai.ifname, p->id));
		n++;
	}
	irq_plan_free(&d->irqs);
	irq_apply("/sys", "/proc", d->cfg->has_reactor_mask ? d->cfg->reactor_mask : NULL, bdfs, labels, n, &d->irqs);
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

/* Bring the kernel to the config; remember which ports wait and why. */
static int reconcile(struct daemon *d, const char *why)
{
	_cleanup_(model_freep) struct nv_model *live = NULL;
	struct apply_result res;
	bool retry = false;
	int r;

	if (!d->cfg)
		return 0;
	log_debug("reconcile: %s", why);
	/* RDMA ports whose device went away and came back: the kernel does not re-listen on its own */
	for (size_t i = 0; i < d->nports; i++) {
		struct port_info *pi = &d->ports[i];
		const struct nv_port *p = model_port(d->cfg->model, pi->id);
		struct addr_info ai;
		struct exec_result er;

		if (pi->state != PORT_DEAD || !p)
			continue;
		if (addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"),
			       attrs_get(&p->attrs, "addr_traddr"), &ai) < 0 || ai.state != ADDR_OK) {
			retry |= ai.state == ADDR_NO_RDMA && *ai.ifname;
			continue;
		}
		ctx_lock(d->ctx);
		r = engine_relink_port(d->ctx, pi->id, &er);
		ctx_unlock(d->ctx);
		if (r < 0)
			log_error("port %u: relinking after its RDMA device returned failed: %s", pi->id, er.errmsg);
		else if (er.nwaiting)
			retry = true;
		else {
			log_notice("port %u: RDMA device %s is back, port listening again", pi->id, ai.rdma_dev);
			pi->state = PORT_LISTENING;
			free(pi->rdma_dev);
			pi->rdma_dev = xstrdup(ai.rdma_dev);
		}
		exec_result_free(&er);
	}

	r = ctx_lock(d->ctx);
	if (r < 0) {
		log_error("cannot take the apply lock: %s", strerror(-r));
		return r;
	}
	r = engine_apply(d->ctx, d->cfg->model, false, log_get_level() >= LOG_INFO, &res);
	ctx_unlock(d->ctx);
	d->last_exit = r;
	d->last_time = time(NULL);
	free(d->last_result);
	if (r == EXIT_FAILED)
		d->last_result = xasprintf("failed: %s", res.exec.errmsg ? res.exec.errmsg : "see the journal");
	else
		d->last_result = xasprintf("%zu change%s applied (%s)", res.exec.writes, res.exec.writes == 1 ? "" : "s", why);
	if (res.exec.writes)
		log_notice("%s: %s", why, d->last_result);

	/* Port states: waiting ones from this apply; others listening unless known dead. */
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		struct port_info *pi = port_info(d, p->id);
		struct waiting_port *w = NULL;

		if (!pi) {
			pi = array_push(&d->ports, &d->nports, sizeof(*pi));
			pi->id = p->id;
		}
		for (size_t k = 0; k < res.exec.nwaiting; k++)
			if (res.exec.waiting[k].id == p->id)
				w = &res.exec.waiting[k];
		if (w) {
			struct addr_info ai;
			pi->state = PORT_WAITING;
			free(pi->reason);
			pi->reason = xstrdup(w->address);
			/* address present but refused: no event will say when it works, so retry */
			if (addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"),
				       attrs_get(&p->attrs, "addr_traddr"), &ai) == 0 && ai.state != ADDR_MISSING)
				retry = true;
		} else if (pi->state != PORT_DEAD) {
			struct addr_info ai;
			if (pi->state == PORT_WAITING)
				log_notice("port %u is listening (%s)", p->id, why);
			pi->state = PORT_LISTENING;
			free(pi->reason);
			pi->reason = NULL;
			if (streq_ptr(attrs_get(&p->attrs, "addr_trtype"), "rdma") &&
			    addr_check("rdma", attrs_get(&p->attrs, "addr_adrfam"), attrs_get(&p->attrs, "addr_traddr"), &ai) == 0 &&
			    ai.state == ADDR_OK) {
				free(pi->rdma_dev);
				pi->rdma_dev = xstrdup(ai.rdma_dev);
			}
		} else {
			retry = true;
		}
	}
	apply_result_free(&res);
	pin_irqs(d);
	arm_retry(d, retry);
	set_status(d);
	state_publish(d);
	return r == EXIT_FAILED ? -EIO : 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *ud)
{
	return reconcile(ud, "retry"), 0;
}

static int on_defer(sd_event_source *s, void *ud)
{
	struct daemon *d = ud;

	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return reconcile(d, "device or address change"), 0;
}

void daemon_schedule(struct daemon *d, const char *why)
{
	log_debug("event: %s", why);
	if (!d->defer)
		sd_event_add_defer(d->ev, &d->defer, on_defer, d);
	sd_event_source_set_enabled(d->defer, SD_EVENT_ONESHOT);
}

void daemon_rdma_removed(struct daemon *d, const char *dev)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].rdma_dev && streq(d->ports[i].rdma_dev, dev)) {
			d->ports[i].state = PORT_DEAD;
			free(d->ports[i].reason);
			d->ports[i].reason = xasprintf("RDMA device %s went away; the port listens again when it returns", dev);
			log_warn("port %u: %s", d->ports[i].id, d->ports[i].reason);
		}
	set_status(d);
	state_publish(d);
}

/* Load (or reload) nvmf.conf. A broken file keeps the running config. */
static int load_config(struct daemon *d)
{
	struct nv_report rep = { 0 };
	struct nv_config *cfg = NULL;
	int r;

	r = engine_load(d->ctx, d->set.nvmf_conf, RESOLVE_TOLERANT, &cfg, &rep);
	report_print_problems(&rep, stderr);
	report_free(&rep);
	if (r < 0) {
		log_error("%s has errors%s", d->set.nvmf_conf, d->cfg ? "; keeping the running configuration" : "");
		return r;
	}
	d->hotplug = cfg->hotplug;
	config_free(d->cfg);
	d->cfg = cfg;
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	sd_notify(0, "RELOADING=1");
	log_notice("reloading %s", d->set.nvmf_conf);
	if (load_config(d) == 0)
		reconcile(d, "reload");
	sd_notify(0, "READY=1");
	set_status(d);
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	d->stopping = true;
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static bool any_namespace_missing(const struct daemon *d)
{
	for (size_t i = 0; d->cfg && i < d->cfg->model->nsubsys; i++)
		for (size_t j = 0; j < d->cfg->model->subsys[i].nns; j++)
			if (!d->cfg->model->subsys[i].ns[j].enable)
				return true;
	return false;
}

/* When block devices come and go, resolve the namespaces again: the same SSD (PCI address, NSID)
 * under whatever name the kernel gives it now; a missing one is disabled until it returns.
 * A device that appears is always looked at while some namespace still waits for its device (at
 * boot the nvme driver may probe the SSD after nvmetd started); removals and renames are followed
 * only with HotplugEnable Yes. */
void daemon_devices_changed(struct daemon *d, bool added, const char *why)
{
	struct nv_report rep = { 0 };

	if (!d->cfg || !(d->hotplug || (added && any_namespace_missing(d))))
		return;
	for (size_t i = 0; i < d->cfg->model->nsubsys; i++)
		for (size_t j = 0; j < d->cfg->model->subsys[i].nns; j++) {
			struct nv_ns *ns = &d->cfg->model->subsys[i].ns[j];
			ns->enable = true;
			attrs_del(&ns->attrs, "device_path");
		}
	resolve_namespaces(d->ctx, d->cfg, RESOLVE_F_TOLERANT | RESOLVE_F_CREATE, &rep);
	for (size_t i = 0; i < rep.n; i++)
		log_warn("%s", rep.d[i].msg);
	report_free(&rep);
	daemon_schedule(d, why);
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
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	r = sd_event_default(&d.ev);
	if (r < 0) {
		log_error("sd_event: %s", strerror(-r));
		return 1;
	}
	sd_event_add_signal(d.ev, NULL, SIGHUP, on_sighup, &d);
	sd_event_add_signal(d.ev, NULL, SIGTERM, on_sigterm, &d);
	sd_event_add_signal(d.ev, NULL, SIGINT, on_sigterm, &d);
	sd_event_set_watchdog(d.ev, true);

	if (load_config(&d) < 0) {
		sd_notifyf(0, "STATUS=%s has errors", d.set.nvmf_conf);
		return 2;
	}
	/* watch first, then apply: nothing that happens in between is missed */
	r = monitor_start(&d);
	if (r < 0) {
		log_error("cannot watch devices and addresses: %s", strerror(-r));
		return 1;
	}
	reconcile(&d, "start");
	if (d.last_exit == EXIT_FAILED) {
		sd_notifyf(0, "STATUS=%s", d.last_result);
		log_error("cannot apply %s: %s", d.set.nvmf_conf, d.last_result);
		return 1;
	}
	sd_notify(0, "READY=1");
	set_status(&d);
	log_notice("started: %s", d.last_result);

	r = sd_event_loop(d.ev);

	monitor_stop(&d);
	if (d.set.clear_on_stop) {
		struct apply_result res;
		ctx_lock(d.ctx);
		int x = engine_apply(d.ctx, NULL, false, false, &res);
		ctx_unlock(d.ctx);
		log_notice("stopped: target removed (%zu changes)%s", res.exec.writes, x ? " with errors" : "");
		apply_result_free(&res);
	} else {
		log_notice("stopped: target left serving (on_stop = \"keep\")");
	}
	unlink(d.set.state_file);
	sd_event_source_unref(d.retry);
	sd_event_source_unref(d.defer);
	sd_event_unref(d.ev);
	config_free(d.cfg);
	ports_clear(&d);
	irq_plan_free(&d.irqs);
	free(d.irq_summary);
	free(d.last_result);
	ctx_free(d.ctx);
	settings_free(&d.set);
	return r < 0 ? 1 : 0;
}
