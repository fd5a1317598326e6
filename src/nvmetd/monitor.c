/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "log.h"
#include "monitor.h"
#include "util.h"

static void emit(struct monitor *m, enum mon_event_type type, const char *name)
{
	struct mon_event ev = { .type = type, .name = name };
	m->cb(m->ud, &ev);
}

static int on_nl_msg(struct nl_msg *msg, void *ud)
{
	switch (nlmsg_hdr(msg)->nlmsg_type) {
	case RTM_NEWADDR:
		emit(ud, MON_ADDR_ADDED, NULL);
		break;
	case RTM_DELADDR:
		emit(ud, MON_ADDR_REMOVED, NULL);
		break;
	case RTM_NEWLINK:
		emit(ud, MON_LINK_CHANGED, NULL);
		break;
	default:
		break;
	}
	return NL_OK;
}

static int on_nl(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct monitor *m = ud;
	int r = nl_recvmsgs_default(m->nl);

	/* libnl reports the socket's ENOBUFS (events dropped) as NLE_NOMEM */
	if (r == -NLE_NOMEM) {
		log_warn("netlink: events were lost (receive buffer overrun); checking everything again");
		emit(m, MON_OVERRUN, NULL);
	} else if (r < 0 && r != -NLE_AGAIN) {
		log_warn("netlink: %s", nl_geterror(r));
	}
	return 0;
}

static int on_udev(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct monitor *m = ud;
	struct udev_device *dev;

	for (;;) {
		errno = 0;
		dev = udev_monitor_receive_device(m->umon);
		if (!dev) {
			if (errno == ENOBUFS) {
				log_warn("udev: events were lost (receive buffer overrun); checking everything again");
				emit(m, MON_OVERRUN, NULL);
				continue;
			}
			break;
		}
		const char *action = udev_device_get_action(dev);
		const char *sub = udev_device_get_subsystem(dev);
		const char *name = udev_device_get_sysname(dev);

		log_debug("udev: %s %s %s", action, sub, name);
		if (streq_ptr(sub, "infiniband")) {
			if (streq_ptr(action, "remove"))
				emit(m, MON_RDMA_REMOVED, name);
			else if (streq_ptr(action, "add"))
				emit(m, MON_RDMA_ADDED, name);
		} else if (streq_ptr(sub, "block") && streq_ptr(udev_device_get_devtype(dev), "disk")) {
			if (streq_ptr(action, "add") || streq_ptr(action, "change"))
				emit(m, MON_BLOCK_ADDED, name);
			else if (streq_ptr(action, "remove"))
				emit(m, MON_BLOCK_REMOVED, name);
		}
		udev_device_unref(dev);
	}
	return 0;
}

/* /proc/self/mountinfo polls with EPOLLPRI when the mount table changes (mount, umount, remount);
 * the poll itself acknowledges the change. */
static int on_mounts(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	emit(ud, MON_MOUNTS_CHANGED, NULL);
	return 0;
}

static int add_io(struct monitor *m, sd_event *ev, sd_event_source **src, int fd, uint32_t events,
		  sd_event_io_handler_t fn, const char *desc)
{
	int r = sd_event_add_io(ev, src, fd, events, fn, m);

	if (r < 0)
		return r;
	return sd_event_source_set_description(*src, desc);
}

static int start_netlink(struct monitor *m, sd_event *ev)
{
	int r;

	m->nl = nl_socket_alloc();
	if (!m->nl)
		return -ENOMEM;
	nl_socket_disable_seq_check(m->nl);
	r = nl_socket_modify_cb(m->nl, NL_CB_VALID, NL_CB_CUSTOM, on_nl_msg, m);
	if (r >= 0)
		r = nl_connect(m->nl, NETLINK_ROUTE);
	if (r >= 0)
		r = nl_socket_add_memberships(m->nl, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
	if (r >= 0)
		r = nl_socket_set_nonblocking(m->nl);
	/* room for a burst (a thousand flaps) before the kernel drops events: only what waits is charged */
	if (r >= 0)
		r = nl_socket_set_buffer_size(m->nl, 1 << 20, 0);
	if (r < 0) {
		log_error("netlink: %s", nl_geterror(r));
		return -EIO;
	}
	return add_io(m, ev, &m->nl_src, nl_socket_get_fd(m->nl), EPOLLIN, on_nl, "netlink");
}

static int start_udev(struct monitor *m, sd_event *ev, struct udev *udev)
{
	struct stat st;
	int r;

	/* udevd's events once it has processed them; raw kernel events where no udevd runs */
	m->umon = udev_monitor_new_from_netlink(udev, stat("/run/udev/control", &st) == 0 ? "udev" : "kernel");
	if (!m->umon)
		return errno ? -errno : -ENOMEM;
	r = udev_monitor_filter_add_match_subsystem_devtype(m->umon, "infiniband", NULL);
	if (r >= 0)
		r = udev_monitor_filter_add_match_subsystem_devtype(m->umon, "block", "disk");
	if (r >= 0)
		r = udev_monitor_enable_receiving(m->umon);
	if (r < 0)
		return r;
	return add_io(m, ev, &m->udev_src, udev_monitor_get_fd(m->umon), EPOLLIN, on_udev, "udev");
}

int monitor_start(struct monitor *m, sd_event *ev, struct udev *udev, mon_callback cb, void *ud)
{
	int r;

	*m = (struct monitor){ .mount_fd = -1, .cb = cb, .ud = ud };
	r = start_netlink(m, ev);
	if (r >= 0 && udev)
		r = start_udev(m, ev, udev);
	if (r >= 0) {
		m->mount_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		r = m->mount_fd < 0 ? -errno : add_io(m, ev, &m->mount_src, m->mount_fd, EPOLLPRI, on_mounts, "mounts");
	}
	if (r < 0)
		monitor_stop(m);
	return r;
}

void monitor_stop(struct monitor *m)
{
	m->udev_src = sd_event_source_disable_unref(m->udev_src);
	m->nl_src = sd_event_source_disable_unref(m->nl_src);
	m->mount_src = sd_event_source_disable_unref(m->mount_src);
	if (m->umon)
		udev_monitor_unref(m->umon);
	if (m->nl)
		nl_socket_free(m->nl);
	if (m->mount_fd >= 0)
		close(m->mount_fd);
	m->umon = NULL;
	m->nl = NULL;
	m->mount_fd = -1;
}

void monitor_pause(struct monitor *m, bool pause)
{
	sd_event_source *srcs[] = { m->nl_src, m->udev_src, m->mount_src };

	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
		if (srcs[i])
			(void)sd_event_source_set_enabled(srcs[i], pause ? SD_EVENT_OFF : SD_EVENT_ON);
}
