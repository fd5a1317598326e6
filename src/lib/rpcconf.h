/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc.conf: the objects SPDK JSON-RPC calls made, as nvmetd keeps them (/var/lib/nvmetd/rpc.conf). It is
 * an nvmf.conf in the same dialect, written only through the one writer (confwriter.h) and read back
 * by spdkconf like nvmf.conf; this is its editable form: what the methods add and remove, in SPDK's
 * terms, and nothing the dialect cannot say. Pure: no I/O. */
#ifndef NVMET_RPCCONF_H
#define NVMET_RPCCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rc_transport {
	char *trtype;			/* "TCP" or "RDMA" */
	long long queue_depth;		/* MaxQueueDepth; -1: not set */
	long long max_queues;		/* MaxQueuesPerSession; -1: not set */
	long long in_capsule;		/* InCapsuleDataSize; -1: not set */
};

/* An [Nvme] controller (arg: its PCI address) or an [AIO] entry (arg: its path). */
struct rc_bdev {
	char *name, *arg;
	unsigned block_size;		/* AIO: 0 = the device's own */
};

struct rc_ns {
	char *bdev;
	uint32_t nsid;
	char *uuid;			/* NULL: none */
};

struct rc_listen {
	char *trtype;			/* "TCP" or "RDMA" */
	char *addr;			/* "10.0.0.1:4420", "[fe80::1]:4420" */
	char *ana;			/* the address's ANA state, kernel spelling ("non-optimized"); NULL: not said */
	bool tls;			/* TCP only: TLS 1.3 required (secure_channel) */
};

/* A [Discovery] Referral line: nvmf_discovery_add_referral's discovery service. */
struct rc_referral {
	char *trtype, *addr;		/* as rc_listen's */
};

struct rc_subsys {
	char *nqn, *sn, *mn;		/* sn, mn: NULL when not set */
	bool any_host;
	unsigned cntlid_min, cntlid_max;	/* ControllerIDs; 0, 0: the kernel's default range */
	char **hosts;
	size_t nhosts;
	struct rc_ns *ns;
	size_t nns;
	struct rc_listen *ls;
	size_t nls;
};

/* A [Keyring] Key line: keyring_file_add_key's name for a key file. */
struct rc_key {
	char *name, *path;
};

/* A [HostN] section: the key files nvmf_subsystem_add_host's dhchap_key, dhchap_ctrlr_key and psk
 * named (DhchapKey, DhchapCtrlKey, TlsKey; NULL: not given). One per host: the kernel keeps a host's
 * keys for every subsystem. Rendered only while a subsystem of rc lists the host. */
struct rc_cred {
	char *nqn, *key, *ctrl, *psk;
};

struct rpcconf {
	struct rc_transport *tr;
	size_t ntr;
	struct rc_bdev *nvme, *aio;
	size_t nnvme, naio;
	unsigned malloc_n;		/* Malloc0..malloc_n-1, all of malloc_mb MiB and malloc_bs bytes a block */
	unsigned long long malloc_mb;
	unsigned malloc_bs;
	struct rc_subsys *ss;
	size_t nss;
	struct rc_key *keys;
	size_t nkeys;
	struct rc_cred *creds;
	size_t ncreds;
	struct rc_referral *refs;
	size_t nrefs;
};

/* rpc.conf's text (NULL or "": empty) -> rc. Only what render writes is accepted: anything else is
 * -EINVAL with *err saying where ("line 7: ..."). */
int rpcconf_parse(const char *text, struct rpcconf *rc, char **err);
/* rc -> rpc.conf's text through the one writer: 0, or -EINVAL with *err naming the value the dialect
 * cannot carry. */
int rpcconf_render(const struct rpcconf *rc, char **text, char **err);
void rpcconf_free(struct rpcconf *rc);

struct rc_subsys *rpcconf_subsys(const struct rpcconf *rc, const char *nqn);
/* The [Nvme] or [AIO] entry called name (any case, as nvmf.conf compares), or NULL. */
struct rc_bdev *rpcconf_bdev(struct rc_bdev *v, size_t n, const char *name);
/* The keyring entry called name (":name" is name too), or NULL. */
struct rc_key *rpcconf_key(const struct rpcconf *rc, const char *name);
/* Host nqn's [HostN], or NULL. */
struct rc_cred *rpcconf_cred(const struct rpcconf *rc, const char *nqn);
/* Whether a subsystem of rc lists host nqn. */
bool rpcconf_host_used(const struct rpcconf *rc, const char *nqn);
/* Remove element i of an array of n elements of size sz (order kept). */
void rpcconf_remove(void *v, size_t *n, size_t sz, size_t i);
void rpcconf_subsys_free(struct rc_subsys *s);
void rpcconf_listen_free(struct rc_listen *l);
void rpcconf_cred_free(struct rc_cred *c);

#endif
