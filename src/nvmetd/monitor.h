/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What nvmetd listens to: rtnetlink (addresses, links), udev (RDMA devices, block devices) and the
 * mount table. Each source only reports a typed event through one callback; nothing here polls or
 * knows what the daemon does with it. */
#ifndef NVMETD_MONITOR_H
#define NVMETD_MONITOR_H

#include <stdbool.h>
#include <systemd/sd-event.h>

struct udev;

enum mon_event_type {
	MON_ADDR_ADDED,		/* an IPv4/IPv6 address was added */
	MON_ADDR_REMOVED,	/* an IPv4/IPv6 address was removed */
	MON_LINK_CHANGED,	/* a network link appeared or changed (carrier, up/down) */
	MON_RDMA_ADDED,		/* name: the RDMA device */
	MON_RDMA_REMOVED,	/* name: the RDMA device */
	MON_BLOCK_ADDED,	/* name: the block device (sysname) */
	MON_BLOCK_REMOVED,
	MON_MOUNTS_CHANGED,	/* something was mounted, unmounted or remounted */
	MON_OVERRUN,		/* the kernel dropped events (ENOBUFS): anything may have changed */
};

struct mon_event {
	enum mon_event_type type;
	const char *name;
};

typedef void (*mon_callback)(void *ud, const struct mon_event *ev);

struct monitor {
	struct nl_sock *nl;
	struct udev_monitor *umon;
	int mount_fd;
	sd_event_source *nl_src, *udev_src, *mount_src;
	mon_callback cb;
	void *ud;
};

/* udev may be NULL (fake roots in tests): no device events then. Returns 0 or -errno; on failure
 * whatever was set up is released. */
int monitor_start(struct monitor *m, sd_event *ev, struct udev *udev, mon_callback cb, void *ud);
void monitor_stop(struct monitor *m);
/* Stop (pause) or resume reporting: events wait in the kernel's sockets meanwhile (an overflow is
 * MON_OVERRUN once resumed). */
void monitor_pause(struct monitor *m, bool pause);

#endif
