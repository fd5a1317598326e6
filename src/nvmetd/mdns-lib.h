/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libavahi-client and libavahi-common, opened when mDNS starts (src/lib/dl.h) instead of linked: with
 * mdns = false (the default) nvmetd maps neither, nor libdbus-1 under them. mdns.c and mdns-avahi.c
 * call Avahi through avahi_fn only. */
#ifndef NVMETD_MDNS_LIB_H
#define NVMETD_MDNS_LIB_H

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/timeval.h>

/* The Debian package that has them, for messages. */
#define AVAHI_CLIENT_PKG "libavahi-client3"

struct avahi_fn {
	/* libavahi-common */
	__typeof__(avahi_strerror) *strerror;
	__typeof__(avahi_string_list_new) *string_list_new;
	__typeof__(avahi_string_list_free) *string_list_free;
	__typeof__(avahi_address_parse) *address_parse;
	__typeof__(avahi_elapse_time) *elapse_time;
	__typeof__(avahi_simple_poll_new) *simple_poll_new;
	__typeof__(avahi_simple_poll_get) *simple_poll_get;
	__typeof__(avahi_simple_poll_loop) *simple_poll_loop;
	__typeof__(avahi_simple_poll_quit) *simple_poll_quit;
	__typeof__(avahi_simple_poll_free) *simple_poll_free;
	/* libavahi-client */
	__typeof__(avahi_client_new) *client_new;
	__typeof__(avahi_client_free) *client_free;
	__typeof__(avahi_client_errno) *client_errno;
	__typeof__(avahi_client_get_host_name) *client_get_host_name;
	__typeof__(avahi_entry_group_new) *entry_group_new;
	__typeof__(avahi_entry_group_free) *entry_group_free;
	__typeof__(avahi_entry_group_reset) *entry_group_reset;
	__typeof__(avahi_entry_group_commit) *entry_group_commit;
	__typeof__(avahi_entry_group_get_client) *entry_group_get_client;
	__typeof__(avahi_entry_group_add_service_strlst) *entry_group_add_service_strlst;
	__typeof__(avahi_entry_group_update_service_txt_strlst) *entry_group_update_service_txt_strlst;
	__typeof__(avahi_entry_group_add_address) *entry_group_add_address;
};

/* Filled by mdns_lib_load(); valid once it returned 0. */
extern struct avahi_fn avahi_fn;

/* The sonames opened (tests point them at one that does not exist). */
extern const char *mdns_lib_client_soname, *mdns_lib_common_soname;

/* Open both libraries and fill avahi_fn, once: they stay open (a stopped Avahi thread may still be
 * running in them). Returns 0 or -ENOPKG (not installed, or too old); a later call tries again. */
int mdns_lib_load(void);

#endif
