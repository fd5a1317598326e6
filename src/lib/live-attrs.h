/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configfs attribute files nvmetcfg reads to know the live state (live.c). The benchmark's
 * floor program reads the same list, so its "read" costs exactly these files. */
#ifndef NVMET_LIVE_ATTRS_H
#define NVMET_LIVE_ATTRS_H

static const char *const subsys_attrs[] = {
	"attr_allow_any_host", "attr_serial", "attr_model", "attr_qid_max", "attr_version",
	"attr_cntlid_min", "attr_cntlid_max", "attr_firmware", "attr_ieee_oui", "attr_pi_enable",
};
/* "enable" is read too, separately */
static const char *const ns_attrs[] = { "device_path", "device_uuid", "device_nguid", "ana_grpid", "buffered_io" };
static const char *const port_attrs[] = {
	"addr_trtype", "addr_adrfam", "addr_traddr", "addr_trsvcid", "addr_treq", "addr_tsas",
	"param_inline_data_size", "param_max_queue_size", "param_pi_enable",
};
/* a referral's address ("enable" is read too, separately) */
static const char *const referral_attrs[] = { "addr_trtype", "addr_adrfam", "addr_traddr", "addr_trsvcid" };
static const char *const host_attrs[] = { "dhchap_hash", "dhchap_dhgroup" };
/* Secrets: read (nvmetcfg compares them to the key files, and save matches them to files), never
 * printed: every printer and message masks attributes attr_is_secret() names. */
static const char *const host_secret_attrs[] = { "dhchap_key", "dhchap_ctrl_key" };

#endif
