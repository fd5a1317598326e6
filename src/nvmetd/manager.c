/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit of failure is the object, not the file: each reconcile applies what it can (keep-going),
 * an object the kernel refuses is rolled back alone and tried again when an event could have fixed
 * it or when its back-off timer fires (objstate.c decides). READY=1 comes after the first reconcile
 * whatever failed; STATUS= says what is served and what is not. SIGHUP re-reads the config (a broken
 * one is logged and the running state stays). SIGTERM removes the target unless on_stop = "keep".
 * Idle means idle: the timer is armed only while some object waits for the clock, and bursts of
 * events coalesce: what the monitor reports waits for a quiet period (SETTLE_QUIET_USEC without a new
 * event, SETTLE_MAX_USEC at most) and then costs one reconcile or one port-health pass, however many
 * events came (a flapping link, an RDMA device removed and added a hundred times, a netlink overrun
 * reported by every read); the daemon's own requests run once after the events pending now (deferred
 * sources). */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "advertise.h"
#include "confmerge.h"
#include "engine.h"
#include "events.h"
#include "irqpin.h"
#include "log.h"
#include "lvstart.h"
#include "manager.h"
#include "mdns.h"
#include "porthealth.h"
#include "reconcile.h"
#include "rpc-commit.h"
#include "rpc-lvol.h"
#include "rpc-server.h"
#include "state.h"
#include "util.h"

#define SETTLE_QUIET_USEC (100 * 1000ULL)
#define SETTLE_MAX_USEC (1000 * 1000ULL)

static void schedule(struct daemon *d, const char *why);

uint64_t daemon_now(const struct daemon *d)
{
	uint64_t t = 0;

	if (d->busy)
		return d->busy_now;	/* possibly on the RPC change's thread: never the loop's clock */
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

static size_t ports_serving(const struct daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nports; i++)
		n += d->ports[i].health == PORT_SERVING;
	return n;
}

/* STATUS=serving 5 of 6 subsystems, ...; subsystem X: namespace 1: /mnt/ro/c.img: Read-only file system */
static void set_status(struct daemon *d)
{
	size_t nsub = count_kind(d, OBJ_SUBSYS), nns = count_kind(d, OBJ_NS), nport = count_kind(d, OBJ_PORT);
	size_t okns = objtab_count(&d->objs, OBJ_NS, OBJ_OK), okport = ports_serving(d);
	size_t oksub = nsub - objtab_count(&d->objs, OBJ_SUBSYS, OBJ_FAILED);
	size_t problems = 0;
	const struct obj *first = NULL;

	if (d->target_error) {
		sd_notifyf(0, "STATUS=not serving: %s (retrying)", d->target_error);
		return;
	}
	for (size_t i = 0; i < d->objs.n; i++)
		if (d->objs.v[i].state != OBJ_OK) {
			first = first ? first : &d->objs.v[i];
			problems++;
		}
	sd_notifyf(0, "STATUS=serving %zu of %zu subsystem%s, %zu of %zu namespace%s, %zu of %zu port%s%s%s%s%s%s",
		   oksub, nsub, plural(nsub), okns, nns, plural(nns), okport, nport, plural(nport),
		   first ? "; " : "", first ? first->name : "", first ? ": " : "",
		   first ? (first->reason ? first->reason : obj_state_str(first->state)) : "",
		   problems > 1 ? " (and more: nvmetcfg status)" : "");
}

/* objstate's observer: one line per change a person would want to know of. */
static void on_obj_changed(void *ud, const struct obj *o, enum obj_state from)
{
	(void)ud;
	(void)from;
	if (o->state == OBJ_OK)
		log_notice("%s: %s again", o->name, o->kind == OBJ_PORT ? "listening" : "serving");
	else if (o->state == OBJ_WAITING || o->state == OBJ_MISSING)
		log_warn("%s: %s: %s", o->name, obj_state_str(o->state), o->reason ? o->reason : "");
	else
		log_error("%s: %s: %s%s", o->name, obj_state_str(o->state), o->reason ? o->reason : "",
			  o->retry == RETRY_CONFIG ? " (not retried until the configuration changes)" :
			  o->retry == RETRY_MOUNT ? " (tried again when its filesystem changes)" : "");
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

/* Port health, then everything that reads it: ANA (through a reconcile), mDNS, status. */
static void health_pass(struct daemon *d)
{
	d->health_passes++;
	port_health_refresh(d, NULL);
	advertise(d);
	/* only ANA states to write: the ports' own files, not a whole reconcile (a flapping link) */
	if (d->cfg && !d->target_error && port_health_ana_changed(d) && reconcile_ana(d) < 0)
		schedule(d, "port health changed");
	set_status(d);
	(void)state_publish(d);
}

int manager_reconcile(struct daemon *d, const char *why, struct rec_watch *w)
{
	int r = reconcile_watch(d, why, w);

	d->reconciles++;
	if (r >= 0)
		irqpin_apply(d);
	arm_timer(d);
	health_pass(d);
	return r;
}

static void run_reconcile(struct daemon *d, const char *why)
{
	(void)manager_reconcile(d, why, NULL);
	/* an apply's transient memory (live tree, plan, the pool threads' arenas) goes back to the
	 * system: nvmetd idles at its configuration's size, not at its biggest apply's */
	malloc_trim(0);
}

/* What is due: only dead RDMA ports to relink (a device storm) costs their own links, then the health
 * pass their ANA states; anything else a whole reconcile. */
static void converge(struct daemon *d, const char *why)
{
	if (reconcile_relink(d) == 0) {
		d->relinks++;
		irqpin_apply(d);
		arm_timer(d);
		health_pass(d);
	} else {
		run_reconcile(d, why);
	}
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct daemon *d = ud;
	struct obj_event ev = { .type = OEV_TIMER };
	bool target = d->target_retry && d->target_retry <= usec;

	(void)s;
	if (d->busy) {
		d->held |= HELD_RECONCILE;	/* the timer is armed again when the change is applied */
		return 0;
	}
	if (objtab_event(&d->objs, &ev, usec, time(NULL)) || target) {
		/* a namespace whose file or device was missing: look again */
		for (size_t i = 0; i < d->objs.n; i++)
			d->resolve_due |= d->objs.v[i].kind == OBJ_NS && d->objs.v[i].due &&
					  d->objs.v[i].state == OBJ_MISSING;
		converge(d, "retry");
	} else {
		arm_timer(d);
	}
	return 0;
}

static int on_defer(sd_event_source *s, void *ud)
{
	struct daemon *d = ud;

	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	if (d->busy) {
		d->held |= HELD_RECONCILE;	/* sched_why is kept for it */
		return 0;
	}
	run_reconcile(d, d->sched_why ? d->sched_why : "event");
	d->sched_why = NULL;
	return 0;
}

/* A deferred source runs once after the events pending now: a burst costs one pass. */
static int enable_defer(struct daemon *d, sd_event_source **src, sd_event_handler_t fn, const char *name)
{
	int r = 0;

	if (!*src) {
		r = sd_event_add_defer(d->ev, src, fn, d);
		if (r >= 0)
			r = sd_event_source_set_description(*src, name);
	}
	return r < 0 ? r : sd_event_source_set_enabled(*src, SD_EVENT_ONESHOT);
}

static void schedule(struct daemon *d, const char *why)
{
	int r;

	log_debug("event: %s", why);
	d->sched_why = d->sched_why ? d->sched_why : why;
	r = enable_defer(d, &d->defer, on_defer, "reconcile");
	if (r < 0) {
		log_error("cannot schedule a reconcile: %s; doing it now", strerror(-r));
		run_reconcile(d, why);
	}
}

/* The burst is over: one reconcile (which ends with a port-health pass), or the health pass alone. */
static void settle_now(struct daemon *d)
{
	unsigned what = d->settle_what;
	const char *why = d->settle_why;

	d->settle_what = 0;
	d->settle_why = NULL;
	d->settle_first = 0;
	if (what & EV_RECONCILE) {
		converge(d, why ? why : "event");
	} else if (what) {
		arm_timer(d);	/* a flapping RDMA device's port waits for the clock (objstate.h) */
		health_pass(d);
	}
}

static int on_settle(sd_event_source *s, uint64_t usec, void *ud)
{
	struct daemon *d = ud;

	(void)s;
	(void)usec;
	if (d->busy) {	/* an RPC change is being applied: what settled waits for its end */
		if (d->settle_what & EV_RECONCILE) {
			d->held |= HELD_RECONCILE;
			d->sched_why = d->sched_why ? d->sched_why : d->settle_why;
		}
		d->held |= HELD_HEALTH;	/* manager_busy() ends with a health pass */
		d->settle_what = 0;
		d->settle_why = NULL;
		d->settle_first = 0;
		return 0;
	}
	settle_now(d);
	return 0;
}

/* Each event pushes the pass SETTLE_QUIET_USEC later, never past SETTLE_MAX_USEC after the first. */
static int settle_arm(struct daemon *d)
{
	struct timespec ts;
	uint64_t now, when;
	uint64_t quiet = d->settle_quiet ? d->settle_quiet : SETTLE_QUIET_USEC;
	uint64_t max = d->settle_max ? d->settle_max : SETTLE_MAX_USEC;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
	if (!d->settle_first)
		d->settle_first = now;
	when = now + quiet < d->settle_first + max ? now + quiet : d->settle_first + max;
	if (!d->settle) {
		r = sd_event_add_time(d->ev, &d->settle, CLOCK_MONOTONIC, when, 1000, on_settle, d);
		return r < 0 ? r : sd_event_source_set_description(d->settle, "settle");
	}
	r = sd_event_source_set_time(d->settle, when);
	return r < 0 ? r : sd_event_source_set_enabled(d->settle, SD_EVENT_ONESHOT);
}

static void on_event(void *ud, const struct mon_event *me)
{
	struct daemon *d = ud;
	const char *why = NULL;
	unsigned act = daemon_event(d, me, &why);
	int r;

	if (!act)
		return;
	log_debug("event: %s", why);
	if ((act & EV_RECONCILE) && !d->settle_why)
		d->settle_why = why;
	d->settle_what |= act;
	r = settle_arm(d);
	if (r < 0) {
		log_error("cannot wait for the events to settle: %s; acting now", strerror(-r));
		settle_now(d);
	}
}

static void on_mdns_changed(void *ud)
{
	struct daemon *d = ud;

	if (d->busy)
		d->held |= HELD_PUBLISH;
	else
		(void)state_publish(d);
}

/* Make cfg the running configuration (the caller reconciles); returns the one it replaces. */
struct nv_config *manager_install(struct daemon *d, struct nv_config *cfg)
{
	struct nv_config *old = d->cfg;

	d->hotplug = cfg->hotplug;
	d->cfg = cfg;
	d->resolve_due = true;
	port_views_free(d);
	reconcile_describe(d);
	return old;
}

void manager_busy(struct daemon *d, bool busy)
{
	unsigned held = d->held;

	if (busy) {
		d->busy_now = daemon_now(d);
		d->busy = true;
		monitor_pause(&d->mon, true);
		return;
	}
	d->busy = false;
	d->held = 0;
	monitor_pause(&d->mon, false);
	if (!d->target_error)
		irqpin_apply(d);
	arm_timer(d);	/* and a timer that fired meanwhile fires again */
	health_pass(d);
	if (held & HELD_EXIT) {
		(void)sd_notify(0, "STOPPING=1");
		(void)sd_event_exit(d->ev, 0);
		return;
	}
	if (held & HELD_RELOAD)
		(void)kill(getpid(), SIGHUP);	/* through signalfd, as sent */
	if (held & HELD_RECONCILE)
		schedule(d, d->sched_why ? d->sched_why : "events while an RPC change was applied");
}

/* A file's text: 0, -ENOENT for a missing rpc.conf (none yet), or -errno with the error in rep. */
static int read_text(const char *path, bool optional, char **text, struct nv_report *rep)
{
	size_t len = 0;
	int r = read_input(path, INPUT_MAX, text, &len);

	if (r == -ENOENT && optional)
		return r;
	if (r == 0 && memchr(*text, '\0', len))
		r = -EINVAL;
	if (r < 0)
		report_add(rep, NV_ERROR, path, 0, NULL, "cannot read %s: %s", path, r == -EINVAL ? "NUL byte in the file" :
			   read_input_strerror(r));
	return r;
}

/* Load (or reload) nvmf.conf and rpc.conf. A broken file keeps the running config. */
static int load_config(struct daemon *d)
{
	struct nv_report rep = { 0 };
	_cleanup_free_ char *text = NULL, *rpc = NULL;
	struct nv_config *cfg = NULL, *file = NULL;
	int r = read_text(d->set.nvmf_conf, false, &text, &rep);

	if (r >= 0 && (r = read_text(d->set.rpc_conf, true, &rpc, &rep)) == -ENOENT)
		r = 0;
	/* devices are looked up by the reconcile, under the apply lock */
	if (r >= 0)
		r = conf_load_both(d->set.nvmf_conf, text, d->set.rpc_conf, rpc, &cfg, &rep);
	report_print_problems(&rep, stderr);
	report_free(&rep);
	if (r >= 0)
		r = spdkconf_from_text(d->set.nvmf_conf, text, &file, &rep); /* read once already: no news */
	report_free(&rep);
	if (r < 0) {
		spdkconf_free(cfg);
		log_error("%s or %s has errors%s", d->set.nvmf_conf, d->set.rpc_conf,
			  d->cfg ? "; keeping the running configuration" : "");
		return r;
	}
	spdkconf_free(manager_install(d, cfg));
	d->rpc_cfg = d->cfg;
	spdkconf_free(d->file_cfg);
	d->file_cfg = file;
	free(d->file_text);
	d->file_text = TAKE_PTR(text);
	free(d->rpc_text);
	d->rpc_text = TAKE_PTR(rpc);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	(void)s;
	(void)si;
	if (d->busy) {
		d->held |= HELD_RELOAD;
		return 0;
	}
	(void)sd_notify(0, "RELOADING=1");
	log_notice("reloading %s and %s", d->set.nvmf_conf, d->set.rpc_conf);
	mdns_retry(d->mdns);	/* without Avahi's library or the system D-Bus: try again now */
	if (load_config(d) == 0)
		run_reconcile(d, "reload");
	(void)sd_notify(0, "READY=1");
	set_status(d);
	return 0;
}

/* SIGUSR1: operational state changed (nvmetcfg role): reconcile with the running configuration, the
 * files are not read again (that is SIGHUP's). */
static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	(void)s;
	(void)si;
	if (d->busy) {
		d->held |= HELD_RECONCILE;
		return 0;
	}
	log_info("role or drains changed: reconciling");
	run_reconcile(d, "role");
	set_status(d);
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;

	(void)si;
	if (d->busy) {
		d->held |= HELD_EXIT;	/* the change being applied finishes first (bounded by the kernel) */
		return 0;
	}
	(void)sd_notify(0, "STOPPING=1");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Signals arrive through signalfd (blocked here, before any thread exists: pool threads inherit the
 * mask); WatchdogSec= in the unit kills a loop that hangs (in the parser, in the kernel). */
static int setup_loop(struct daemon *d)
{
	sigset_t ss;
	int r;

	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	r = sd_event_default(&d->ev);
	if (r >= 0)
		r = sd_event_add_signal(d->ev, NULL, SIGHUP, on_sighup, d);
	if (r >= 0)
		r = sd_event_add_signal(d->ev, NULL, SIGTERM, on_sigterm, d);
	if (r >= 0)
		r = sd_event_add_signal(d->ev, NULL, SIGINT, on_sigterm, d);
	if (r >= 0)
		r = sd_event_add_signal(d->ev, NULL, SIGUSR1, on_sigusr1, d);
	if (r >= 0)
		r = sd_event_set_watchdog(d->ev, true);
	return r;
}

/* The JSON-RPC socket, after the first reconcile (framework_wait_init is true at once). Without it
 * nvmetd still serves the target. */
static void start_rpc(struct daemon *d)
{
	int r;

	if (!d->set.rpc_socket)
		return;
	d->rpc_env = (struct rpc_env){ .cfg = &d->rpc_cfg, .sysfs = d->ctx->sysfs, .daemon = d };
	r = rpc_server_start(d->ev, d->set.rpc_socket, rpc_call, &d->rpc_env, &d->rpc);
	if (r == -EADDRINUSE)
		log_error("RPC Unix domain socket path %s in use (%s.lock is held: an SPDK application or another "
			  "nvmetd serves it); JSON-RPC is off", d->set.rpc_socket, d->set.rpc_socket);
	else if (r == -EEXIST)
		log_error("rpc_socket %s: something that is not a socket is there; JSON-RPC is off", d->set.rpc_socket);
	else if (r < 0)
		log_error("rpc_socket %s: %s; JSON-RPC is off", d->set.rpc_socket, strerror(-r));
	else
		log_notice("serving SPDK JSON-RPC on %s", d->set.rpc_socket);
}

/* The exported lvols' activation is over: their namespaces are looked up again (the block-device events
 * may have done it already). */
static void on_lvols_activated(struct daemon *d)
{
	d->resolve_due = true;
	schedule(d, "exported lvols activated");
}

int manager_start(struct daemon *d)
{
	int r = d->ctx ? 0 : ctx_new(&d->ctx);	/* a test may bring its own */
	struct udev *udev = NULL;

	if (r < 0) {
		log_error("cannot initialise: %s", strerror(-r));
		return 1;
	}
	d->ctx->jobs = d->set.jobs;
	d->net = d->net ? d->net : &net_real;
	d->objs.changed = on_obj_changed;
	d->objs.ud = d;
	r = setup_loop(d);
	if (r < 0) {
		log_error("sd_event: %s", strerror(-r));
		return 1;
	}
	/* the one case with nothing to serve; exit status 2 is not restarted (RestartPreventExitStatus) */
	if (load_config(d) < 0) {
		sd_notifyf(0, "STATUS=%s or %s has errors: nothing to serve; fix it and start nvmetd again", d->set.nvmf_conf,
			   d->set.rpc_conf);
		return 2;
	}
	/* a keep-serving flag from an upgrade that never restarted us would keep the target at the next
	 * stop: it is only for the stop right after it is written */
	(void)unlink(NVMETD_KEEP_SERVING_FLAG);
	/* watch first, then apply: nothing that happens in between is missed */
	if (d->ctx->lookup_devices && (r = ctx_udev(d->ctx, &udev)) < 0) {
		log_error("cannot use udev: %s", strerror(-r));
		return 1;
	}
	r = monitor_start(&d->mon, d->ev, udev, on_event, d);
	if (r < 0) {
		log_error("cannot watch devices, addresses and mounts: %s", strerror(-r));
		return 1;
	}
	if (d->set.mdns && (r = mdns_start(d->ev, on_mdns_changed, d, &d->mdns)) < 0)
		log_error("mDNS: cannot start: %s; nothing is advertised", strerror(-r));
	r = lvstart_begin(d, on_lvols_activated);	/* the exported lvols' devices, off the loop */
	if (r < 0)
		log_error("cannot activate the exported lvols: %s; their namespaces wait for their devices", strerror(-r));
	run_reconcile(d, "start");
	start_rpc(d);
	/* ready whatever failed: what can serve does, the rest is retried (see status) */
	(void)sd_notify(0, "READY=1");
	set_status(d);
	log_notice("started: %s", d->last_result);
	return 0;
}

int manager_run(struct daemon *d)
{
	return sd_event_loop(d->ev);
}

void manager_stop(struct daemon *d)
{
	struct apply_result res = { 0 };
	int r;

	monitor_stop(&d->mon);
	rpc_server_stop(d->rpc);
	d->rpc = NULL;
	lvstart_wait(d);	/* an lvm call in flight: at most its timeout */
	/* withdraw the advertisement before the ports go */
	mdns_stop(d->mdns);
	d->mdns = NULL;
	/* a package upgrade restarts nvmetd: its prerm leaves the flag, and the target keeps serving
	 * (connected hosts stay connected); the new nvmetd takes it over with a re-apply that writes
	 * nothing */
	if (unlink(NVMETD_KEEP_SERVING_FLAG) == 0) {
		log_notice("stopped: target left serving for the restart after an upgrade (%s)", NVMETD_KEEP_SERVING_FLAG);
	} else if (!d->set.clear_on_stop) {
		log_notice("stopped: target left serving (on_stop = \"keep\")");
	} else if ((r = ctx_lock(d->ctx)) < 0) {
		log_error("stopped: target left serving: cannot take the apply lock: %s", strerror(-r));
	} else {
		r = engine_apply(d->ctx, NULL, &(struct apply_opts){ 0 }, &res);
		ctx_unlock(d->ctx);
		if (r < 0)
			log_error("stopped: removing the target failed: %s", res.errmsg ? res.errmsg : strerror(-r));
		else
			log_notice("stopped: target removed (%zu changes)", res.exec.writes);
		apply_result_free(&res);
	}
	(void)unlink(d->set.state_file);
}

void manager_free(struct daemon *d)
{
	rpc_lvol_free(d);	/* first: the queue's LVM job, if any, is one of them */
	rpc_commit_free(d);
	lvstart_wait(d);
	rpc_server_stop(d->rpc);
	sd_event_source_disable_unref(d->timer);
	sd_event_source_disable_unref(d->defer);
	sd_event_source_disable_unref(d->settle);
	sd_event_unref(d->ev);
	spdkconf_free(d->cfg);
	spdkconf_free(d->file_cfg);
	free(d->file_text);
	free(d->rpc_text);
	objtab_free(&d->objs);
	port_views_free(d);
	irq_result_free(&d->irqs);
	free(d->irq_summary);
	free(d->last_warnings);
	free(d->last_result);
	free(d->target_error);
	ctx_free(d->ctx);
	settings_free(&d->set);
}
