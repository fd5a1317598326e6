/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The target model: plain data mirroring nvmet's configfs tree. The same structure holds the
 * desired state (from nvmf.conf) and the live state (read from configfs). Attributes are kept
 * as configfs file name -> value strings, so diffing and writing stay generic. */
#ifndef NVMET_MODEL_H
#define NVMET_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include <stdint.h>

struct nv_attr {
	char *name;	/* configfs file name, e.g. "attr_serial" */
	char *value;
	bool optional;	/* desired only: skip where the kernel lacks the file */
	char *why;	/* desired only: config key it came from, for messages */
};

struct nv_attrs {
	struct nv_attr *v;
	size_t n;
};

struct nv_ns {
	uint32_t nsid;
	struct nv_attrs attrs;	/* device_path, device_uuid, device_nguid */
	bool enable;
	char *bdev;		/* SPDK bdev name it came from (desired) */
	char *missing;		/* desired, not enabled: why its device is missing (nvmetd, --keep-going) */
	unsigned line;
};

struct nv_subsys {
	char *nqn;
	struct nv_attrs attrs;	/* attr_* */
	char **hosts;		/* allowed_hosts */
	size_t nhosts;
	struct nv_ns *ns;
	size_t nns;
	unsigned line;
	unsigned char src;	/* desired: which file defines it (NV_SRC_*, confmerge.h) */
};

/* A discovery referral on a port (ports/N/referrals/NAME): hosts that ask this port's discovery
 * controller are also pointed at another discovery service. */
struct nv_referral {
	char *name;		/* configfs directory name; referral_name() for those nvmf.conf makes */
	struct nv_attrs attrs;	/* addr_trtype, addr_adrfam, addr_traddr, addr_trsvcid */
	bool enable;
	unsigned line;
};

struct nv_port {
	unsigned id;		/* 0 in desired state until matched/assigned */
	struct nv_attrs attrs;	/* addr_*, param_* */
	char **subsys;		/* linked subsystem NQNs */
	size_t nsubsys;
	struct nv_referral *refs;	/* sorted by name */
	size_t nrefs;
	/* ANA group 1's state on this port (ana_groups/1/ana_state): desired, from the Listen line
	 * ("optimized" unless it says otherwise); live, as read */
	char *ana_state;
	/* desired only, set per apply: the port is drained (nvmetcfg drain) or cannot serve (nvmetd):
	 * its group is made inaccessible whatever ana_state says */
	bool drained, ana_down;
	/* desired only, set per apply: the node's role is unpromoted (nvmetcfg role): the state its group is
	 * held at, at least ("inaccessible" or "non-optimized"; a static string), else NULL */
	const char *standby;
	unsigned ana_line;	/* desired: the Listen line that set ana_state explicitly */
	unsigned line;
	unsigned char src;	/* desired: which files' Listen lines make it (NV_SRC_* bits, confmerge.h) */
};

struct nv_host {
	char *nqn;
	struct nv_attrs attrs;
	/* desired only: the configured TLS PSK (interchange form NVMeTLSkey-1:..., a secret never
	 * printed) from [HostN] TlsKey, and the file that holds it (what messages name) */
	char *tls_psk, *tls_file;
};

struct nv_model {
	struct nv_host *hosts;
	size_t nhosts;
	struct nv_subsys *subsys;
	size_t nsubsys;
	struct nv_port *ports;
	size_t nports;
	/* the root's discovery_nqn: desired, NULL when nvmf.conf does not set it (left as it is); live,
	 * NULL when the kernel has no such attribute (before 6.x's unique discovery NQN) */
	char *discovery_nqn;
	unsigned discovery_line;
	bool sorted;	/* set by model_sort: lookups below use binary search */
	/* desired only, set per apply: the role (enum nv_role, role.h) and standby state it was given */
	int role;
	const char *standby;
};

void model_free(struct nv_model *m);
/* Free what m holds, not m itself (a model on the stack). */
void model_free_contents(struct nv_model *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_model *, model_free)

/* DH-HMAC-CHAP secrets (a host's dhchap_key, dhchap_ctrl_key; or a path ending in one): their values
 * never appear in any output. */
bool attr_is_secret(const char *name_or_path);

const char *attrs_get(const struct nv_attrs *a, const char *name);
struct nv_attr *attrs_find(struct nv_attrs *a, const char *name);
/* Set (add or replace) an attribute. */
struct nv_attr *attrs_set(struct nv_attrs *a, const char *name, const char *value);
void attrs_free(struct nv_attrs *a);
void attrs_del(struct nv_attrs *a, const char *name);

struct nv_host *model_host(const struct nv_model *m, const char *nqn);
struct nv_subsys *model_subsys(const struct nv_model *m, const char *nqn);
/* Remove subsystem nqn and its links from ports (nothing when there is none; order kept). */
void model_drop_subsys(struct nv_model *m, const char *nqn);
struct nv_ns *subsys_ns(const struct nv_subsys *s, uint32_t nsid);
struct nv_port *model_port(const struct nv_model *m, unsigned id);
/* A subsystem's hosts or a port's subsystems in model m: binary search once m is sorted. */
bool model_list_has(const struct nv_model *m, char *const *v, size_t n, const char *s);
/* Whether subsystem nqn is linked to any of m's ports (a host can reach it through one). */
bool model_subsys_linked(const struct nv_model *m, const char *nqn);

/* Whether a port requires TLS 1.3 (addr_tsas tls1.3; desired: Listen ... tls). */
bool port_tls(const struct nv_port *p);

/* The identity of a port as the kernel sees it: "trtype adrfam traddr trsvcid". */
char *port_address(const struct nv_port *p);

/* The ANA state a desired port is brought to: the most restrictive of its own (the Listen line's), the
 * role's standby state, and inaccessible while drained or down. */
const char *port_ana_target(const struct nv_port *p);
/* Why a port's ANA group gets state want (port_ana_target's answer), for messages. */
const char *port_ana_why(const struct nv_port *p, const char *want);
/* How restrictive an ANA state is: optimized 0 < non-optimized 1 < inaccessible 2 < persistent-loss 3
 * (anything else: 2). */
int ana_rank(const char *state);
/* A kernel ANA state name for s ("non-optimized", also SPDK's "non_optimized"; any case); NULL if none.
 * "change" is transitional and not accepted. */
const char *ana_state_name(const char *s);

/* The directory name nvmf.conf's referrals get: "tcp-192.168.30.200-4420". Allocated. */
char *referral_name(const char *trtype, const char *traddr, const char *trsvcid);
struct nv_referral *port_referral(const struct nv_port *p, const char *name);
/* Give port p a copy of each of refs it lacks (by name); the model is no longer sorted. */
void port_add_referrals(struct nv_port *p, const struct nv_referral *refs, size_t n);
void referral_free_contents(struct nv_referral *r);

/* Sort everything by key (nqn, nsid, port id) so printing and diffing are deterministic and lookups
 * logarithmic; drops repeated names from host and subsystem lists. Adding objects afterwards must
 * clear m->sorted. */
void model_sort(struct nv_model *m);

#endif
