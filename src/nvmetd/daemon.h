/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's state: one sd-event loop. One thread of its own, only while an RPC change is applied
 * (rpc-commit.c): the daemon is then busy, and the loop touches nothing that thread does (what would
 * waits: see held) but the RPC socket, whose read-only methods read rpc_cfg. The manager (manager.c) owns it and
 * drives the modules that read and update it: reconcile.c (the kernel brought to the config),
 * events.c (what the monitor saw), porthealth.c (can each port serve), advertise.c (mDNS),
 * state.c (the state file), irqpin.c (IRQ affinity). None of them calls back into the manager. */
#ifndef NVMETD_DAEMON_H
#define NVMETD_DAEMON_H

#include <stdbool.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "irq.h"
#include "monitor.h"
#include "objstate.h"
#include "rpc-methods.h"
#include "settings.h"
#include "spdkconf.h"

struct mdns;
struct rpc_server;
struct rpc_jobs;
struct lvstart;
struct lvjob_thread;

/* What waited while the daemon was busy (held), done when the RPC change is applied. */
enum {
	HELD_RECONCILE = 1 << 0,	/* a reconcile was asked for (events, role, timer) */
	HELD_HEALTH = 1 << 1,		/* a port-health pass */
	HELD_RELOAD = 1 << 2,		/* SIGHUP */
	HELD_EXIT = 1 << 3,		/* SIGTERM, SIGINT */
	HELD_PUBLISH = 1 << 4,		/* the state file (mDNS changed) */
};
struct port_view;
struct net_ops;

struct daemon {
	struct settings set;
	const char *settings_path;
	struct nv_ctx *ctx;
	struct nv_config *cfg;		/* last good config: nvmf.conf and rpc.conf merged */
	struct nv_config *file_cfg;	/* ...nvmf.conf's part alone (what RPC may not change) */
	char *file_text;		/* nvmf.conf's text as loaded, rpc.conf's (NULL: none) */
	char *rpc_text;
	sd_event *ev;
	sd_event_source *timer;		/* armed only while some object waits for the clock */
	sd_event_source *defer;		/* coalesces bursts of events into one reconcile */
	const char *sched_why;		/* ...and why it was asked for (a static string) */
	sd_event_source *settle;	/* the monitor's events: one pass per quiet period (manager.c) */
	uint64_t settle_first;		/* when the burst's first event came (CLOCK_MONOTONIC µs), 0: none */
	unsigned settle_what;		/* what the burst asked for (EV_* of events.h) */
	const char *settle_why;
	uint64_t settle_quiet, settle_max; /* quiet period, longest wait (µs); 0: the defaults (a test seam) */
	unsigned reconciles, health_passes, relinks; /* counted since start (tests count them: storms coalesce) */
	struct monitor mon;
	struct objtab objs;		/* every configured object: serving, or why not */
	struct port_view *ports;	/* cfg->model->ports[i]'s health (porthealth.h) */
	size_t nports;
	const struct net_ops *net;	/* how addresses and RDMA devices are observed (a seam) */
	bool resolve_due;		/* look the namespaces' devices up again before the next reconcile */
	char *target_error;		/* the kernel target itself is unusable (nvmet missing, configfs) */
	unsigned target_attempts;
	uint64_t target_retry;		/* when to try again (CLOCK_MONOTONIC µs), 0 = not waiting */
	char *last_result;
	time_t last_time;
	int last_err;			/* the last reconcile's engine_apply: 0 or -errno */
	bool hotplug;
	struct irq_result irqs;		/* last IRQ affinity applied */
	char *irq_summary;		/* to log only when it changes */
	char *last_warnings;		/* the last reconcile's warnings, to log only when they change */
	struct mdns *mdns;		/* mDNS advertisement (mdns = true), else NULL */
	struct rpc_server *rpc;		/* the SPDK JSON-RPC socket (rpc_socket), else NULL */
	struct rpc_env rpc_env;		/* what its methods read: rpc_cfg, the sysfs root */
	struct nv_config *rpc_cfg;	/* what the read-only methods answer from: cfg, or while busy the
					 * configuration before the change being applied (untouched by it) */
	struct lvstart *lvstart;	/* the exported lvols' activation at start-up, while it runs */
	struct rpc_jobs *jobs;		/* the changes waiting and the one being applied (rpc-commit.c) */
	struct lvjob_thread *lvjobs;	/* the LVM jobs running (rpc-lvol.h) */
	bool busy;			/* an RPC change is being applied on its thread */
	unsigned held;			/* HELD_*: what waits for it */
	uint64_t busy_now;		/* the clock (daemon_now) while busy: the thread never reads the loop's */
};

/* The loop's clock (CLOCK_MONOTONIC, µs). */
uint64_t daemon_now(const struct daemon *d);

#endif
