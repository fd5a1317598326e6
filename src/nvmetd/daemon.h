/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's shared state: one sd-event loop, no threads. */
#ifndef NVMETD_DAEMON_H
#define NVMETD_DAEMON_H

#include <stdbool.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "engine.h"
#include "irq.h"
#include "nvmet.h"
#include "monitor.h"
#include "objstate.h"

struct settings {
	char *nvmf_conf;	/* the SPDK-style target config */
	char *state_file;	/* published state for `nvmetcfg status` */
	int log_level;
	bool irq_affinity;	/* pin the SSD's and NIC's IRQs (ReactorMask ∩ NUMA node) */
	bool clear_on_stop;	/* SIGTERM removes what nvmetd applied */
	bool mdns;		/* advertise the listening ports over mDNS/DNS-SD (Avahi) */
	unsigned jobs;		/* configfs operations in flight at most (0: the executor's default) */
};

struct daemon {
	struct settings set;
	char *settings_path;
	struct nv_ctx *ctx;
	struct nv_config *cfg;		/* last good config */
	sd_event *ev;
	sd_event_source *timer;		/* armed only while some object waits for the clock */
	sd_event_source *defer;		/* coalesces bursts of events into one reconcile */
	struct monitor mon;
	struct objtab objs;		/* every configured object: serving, or why not */
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
	bool stopping;
	struct mdns *mdns;		/* mDNS advertisement (mdns = true), else NULL */
};

/* nvmetd.c: a port's identity in objstate, across reloads (its id may change): "port <address>" */
char *daemon_port_key(const struct nv_port *p);

/* advertise.c: tell the mDNS module which ports listen now */
void advertise(struct daemon *d);

/* state.c: the published state file */
int state_publish(struct daemon *d);

/* settings.c: /etc/nvmet/nvmetd.conf through libconfig */
int settings_load(const char *path, struct settings *s);
void settings_free(struct settings *s);

#endif
