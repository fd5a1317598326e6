/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event sources: rtnetlink (libnl) for links and addresses, udev for RDMA devices and block devices.
 * Each event only schedules a reconcile; nothing here polls. */
#include <errno.h>
#include <libudev.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

static struct nl_sock *nl;
static struct udev_monitor *umon;
static sd_event_source *nl_src, *udev_src;

static bool anything_waiting(struct daemon *d)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].state != PORT_LISTENING)
			return true;
	return false;
}

static int on_nl_msg(struct nl_msg *msg, void *ud)
{
	struct daemon *d = ud;
	struct nlmsghdr *h = nlmsg_hdr(msg);

	switch (h->nlmsg_type) {
	case RTM_NEWADDR:
		if (anything_waiting(d))
			daemon_schedule(d, "address added");
		break;
	case RTM_NEWLINK:
		if (anything_waiting(d))
			daemon_schedule(d, "link changed");
		break;
	default:
		break;
	}
	return NL_OK;
}

static int on_nl(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	int r = nl_recvmsgs_default(nl);

	if (r < 0 && r != -NLE_AGAIN)
		log_debug("netlink: %s", nl_geterror(r));
	return 0;
}

static int on_udev(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct daemon *d = ud;
	struct udev_device *dev;

	while ((dev = udev_monitor_receive_device(umon))) {
		const char *action = udev_device_get_action(dev);
		const char *sub = udev_device_get_subsystem(dev);
		const char *name = udev_device_get_sysname(dev);

		log_debug("udev: %s %s %s", action, sub, name);
		if (streq_ptr(sub, "infiniband")) {
			if (streq_ptr(action, "remove"))
				daemon_rdma_removed(d, name);
			else if (streq_ptr(action, "add") && anything_waiting(d))
				daemon_schedule(d, "RDMA device added");
		} else if (streq_ptr(sub, "block") && streq_ptr(udev_device_get_devtype(dev), "disk") &&
			   (streq_ptr(action, "add") || streq_ptr(action, "remove"))) {
			_cleanup_free_ char *why = xasprintf("block device %s %s", name,
							     streq(action, "add") ? "appeared" : "went away");
			daemon_devices_changed(d, streq(action, "add"), why);
		}
		udev_device_unref(dev);
	}
	return 0;
}

int monitor_start(struct daemon *d)
{
	struct stat st;
	int r;

	nl = nl_socket_alloc();
	if (!nl)
		return -ENOMEM;
	nl_socket_disable_seq_check(nl);
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, on_nl_msg, d);
	r = nl_connect(nl, NETLINK_ROUTE);
	if (r < 0) {
		log_error("netlink: %s", nl_geterror(r));
		return -EIO;
	}
	nl_socket_add_memberships(nl, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
	nl_socket_set_nonblocking(nl);
	r = sd_event_add_io(d->ev, &nl_src, nl_socket_get_fd(nl), EPOLLIN, on_nl, d);
	if (r < 0)
		return r;

	if (!d->ctx->udev)
		return 0; /* fake roots (tests): no devices to watch */
	/* udevd's events once it has processed them; raw kernel events where no udevd runs */
	umon = udev_monitor_new_from_netlink(d->ctx->udev, stat("/run/udev/control", &st) == 0 ? "udev" : "kernel");
	if (!umon)
		return -errno ? -errno : -ENOMEM;
	udev_monitor_filter_add_match_subsystem_devtype(umon, "infiniband", NULL);
	udev_monitor_filter_add_match_subsystem_devtype(umon, "block", "disk");
	r = udev_monitor_enable_receiving(umon);
	if (r < 0)
		return r;
	return sd_event_add_io(d->ev, &udev_src, udev_monitor_get_fd(umon), EPOLLIN, on_udev, d);
}

void monitor_stop(struct daemon *d)
{
	(void)d;
	udev_src = sd_event_source_unref(udev_src);
	nl_src = sd_event_source_unref(nl_src);
	if (umon)
		udev_monitor_unref(umon);
	if (nl)
		nl_socket_free(nl);
	umon = NULL;
	nl = NULL;
}
