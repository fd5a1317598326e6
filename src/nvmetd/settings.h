/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's own settings: /etc/nvmet/nvmetd.conf through libconfig (nvmetd.conf(5)). */
#ifndef NVMETD_SETTINGS_H
#define NVMETD_SETTINGS_H

#include <stdbool.h>

/* The package's prerm leaves this file before an upgrade restarts nvmetd: the stop right after it
 * leaves the target serving. One fixed path, whatever state_file says, so the package and nvmetd
 * always agree. */
#define NVMETD_KEEP_SERVING_FLAG "/run/nvmetd/keep-serving"

/* nvmetd.conf's default path (nvmetd -c; nvmetcfg reads its rpc_conf from it). */
#define NVMETD_SETTINGS "/etc/nvmet/nvmetd.conf"

/* rpc_conf's default: state nvmetd owns, not administrator configuration. */
#define NVMETD_RPC_CONF "/var/lib/nvmetd/rpc.conf"

struct settings {
	char *nvmf_conf;	/* the SPDK-style target config */
	char *state_file;	/* published state for `nvmetcfg status` */
	int log_level;
	bool irq_affinity;	/* pin the SSD's and NIC's IRQs (ReactorMask ∩ NUMA node) */
	bool clear_on_stop;	/* SIGTERM removes what nvmetd applied */
	bool mdns;		/* advertise the listening ports over mDNS/DNS-SD (Avahi) */
	unsigned jobs;		/* configfs operations in flight at most (0: the executor's default) */
	char *rpc_socket;	/* SPDK JSON-RPC socket path; NULL: no socket (the default) */
	char *rpc_conf;		/* the objects RPC calls made (nvmf.conf dialect), loaded with nvmf_conf */
};

/* Returns 0 or -errno (the file's errors are printed, with their line). A missing file: defaults. */
int settings_load(const char *path, struct settings *s);
void settings_free(struct settings *s);

#endif
