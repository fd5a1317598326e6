/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dl.h"
#include "mdns-lib.h"
#include "util.h"

struct avahi_fn avahi_fn;
const char *mdns_lib_client_soname = "libavahi-client.so.3";
const char *mdns_lib_common_soname = "libavahi-common.so.3";

static void *common_handle, *client_handle;

#define SYM(fn, member) DL_SYM(struct avahi_fn, fn, member)

int mdns_lib_load(void)
{
	static const struct dl_sym common[] = {
		SYM(avahi_strerror, strerror),
		SYM(avahi_string_list_new, string_list_new),
		SYM(avahi_string_list_free, string_list_free),
		SYM(avahi_address_parse, address_parse),
		SYM(avahi_elapse_time, elapse_time),
		SYM(avahi_simple_poll_new, simple_poll_new),
		SYM(avahi_simple_poll_get, simple_poll_get),
		SYM(avahi_simple_poll_loop, simple_poll_loop),
		SYM(avahi_simple_poll_quit, simple_poll_quit),
		SYM(avahi_simple_poll_free, simple_poll_free),
	};
	static const struct dl_sym client[] = {
		SYM(avahi_client_new, client_new),
		SYM(avahi_client_free, client_free),
		SYM(avahi_client_errno, client_errno),
		SYM(avahi_client_get_host_name, client_get_host_name),
		SYM(avahi_entry_group_new, entry_group_new),
		SYM(avahi_entry_group_free, entry_group_free),
		SYM(avahi_entry_group_reset, entry_group_reset),
		SYM(avahi_entry_group_commit, entry_group_commit),
		SYM(avahi_entry_group_get_client, entry_group_get_client),
		SYM(avahi_entry_group_add_service_strlst, entry_group_add_service_strlst),
		SYM(avahi_entry_group_update_service_txt_strlst, entry_group_update_service_txt_strlst),
		SYM(avahi_entry_group_add_address, entry_group_add_address),
	};
	/* libavahi-client3 depends on libavahi-common3: installing it brings both */
	int r = dl_load(&common_handle, mdns_lib_common_soname, "libavahi-common3", &avahi_fn, common,
			ARRAY_SIZE(common));

	if (r == 0)
		r = dl_load(&client_handle, mdns_lib_client_soname, AVAHI_CLIENT_PKG, &avahi_fn, client,
			    ARRAY_SIZE(client));
	if (r < 0)
		dl_unload(&common_handle);	/* nothing of Avahi's stays mapped */
	return r;
}
