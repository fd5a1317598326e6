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

struct settings {
	char *nvmf_conf;	/* the SPDK-style target config */
	char *state_file;	/* published state for `nvmetcfg status` */
	int log_level;
	bool irq_affinity;	/* pin the SSD's and NIC's IRQs (ReactorMask ∩ NUMA node) */
	bool clear_on_stop;	/* SIGTERM removes what nvmetd applied */
};

enum port_state { PORT_LISTENING, PORT_WAITING, PORT_DEAD };

struct port_info {
	unsigned id;
	enum port_state state;
	char *rdma_dev;		/* RDMA device the port's address was on when it came up */
	char *reason;
};

struct daemon {
	struct settings set;
	char *settings_path;
	struct nv_ctx *ctx;
	struct nv_config *cfg;		/* last good config */
	sd_event *ev;
	sd_event_source *retry;		/* armed only while a port waits on something without an event */
	sd_event_source *defer;		/* coalesces bursts of events into one reconcile */
	unsigned retry_ms;
	struct port_info *ports;
	size_t nports;
	char *last_result;
	time_t last_time;
	int last_exit;
	bool hotplug;
	struct irq_plan irqs;		/* last IRQ affinity applied */
	char *irq_summary;		/* to log only when it changes */
	bool stopping;
};

/* monitor.c: netlink (links, addresses) and udev (RDMA devices, block devices) event sources */
int monitor_start(struct daemon *d);
void monitor_stop(struct daemon *d);

/* nvmetd.c */
void daemon_schedule(struct daemon *d, const char *why);
void daemon_rdma_removed(struct daemon *d, const char *dev);
void daemon_devices_changed(struct daemon *d, bool added, const char *why);

/* state.c: the published state file */
int state_publish(struct daemon *d);

/* settings.c: /etc/nvmet/nvmetd.conf through libconfig */
int settings_load(const char *path, struct settings *s);
void settings_free(struct settings *s);

#endif
