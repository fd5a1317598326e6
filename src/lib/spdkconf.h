/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK nvmf.conf -> desired model. Every key is either mapped onto a kernel setting or recorded
 * with the reason it does not apply, so `nvmetcfg check` can explain the whole file. */
#ifndef NVMET_SPDKCONF_H
#define NVMET_SPDKCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "ini.h"
#include "model.h"
#include "report.h"
#include "strmap.h"

enum bdev_kind { BDEV_NVME, BDEV_AIO, BDEV_MALLOC };

/* A block device as SPDK named it ("Nvme0n1", "AIO0", "Malloc0"). */
struct nv_bdev {
	char *name;
	enum bdev_kind kind;
	char *bdf;		/* NVMe: PCI address of the controller */
	uint32_t nsid;		/* NVMe: namespace id */
	unsigned malloc_lun;	/* Malloc: the LUN index N of "MallocN" */
	char *path;		/* AIO: file or block device; resolved device for all kinds */
	unsigned long long size_mb; /* Malloc */
	unsigned block_size;	/* Malloc / AIO (0 = detect) */
	unsigned line;
};

struct nv_nvme_ctrl {
	char *name;		/* "Nvme0" */
	char *bdf;		/* "0000:04:00.0" */
	unsigned line;
};

/* A [HostN] section: a host's DH-HMAC-CHAP credentials and TLS PSK, by key file (never the secret itself). */
struct nv_hostcred {
	char *nqn;
	char *key_file, *ctrl_key_file;	/* DhchapKey, DhchapCtrlKey */
	char *tls_key_file;		/* TlsKey: a configured TLS PSK (interchange form) */
	char *hash, *dhgroup;		/* DhchapHash, DhchapDHGroup (NULL: the kernel's default) */
	unsigned line;
};

/* A [Keyring] Key line: a name for a key file, as SPDK's keyring_file_add_key gives one (nvmetd
 * extension; nvmetd writes them in rpc.conf). The file is checked like a [HostN] key file, as either
 * kind of key; its secret is never kept here. */
struct nv_keyname {
	char *name, *path;
	unsigned line;
};

/* A [TransportN] section: its transport type ("tcp", "rdma") and where it is. */
struct nv_transport {
	char *trtype;
	unsigned line;
};

struct nv_config {
	char *path;
	char *rpc_path;		/* merged with nvmetd's rpc.conf (confmerge.h): its path; else NULL */
	struct nv_transport *transports;	/* [TransportN] sections with a Type */
	size_t ntransports;
	struct nv_hostcred *creds;	/* [HostN] sections */
	size_t ncreds;
	struct nv_keyname *keyring;	/* [Keyring] Key lines */
	size_t nkeyring;
	struct nv_referral *referrals;	/* [Discovery] Referral lines: every port serves them */
	size_t nreferrals;
	struct nv_model *model;	/* desired state; namespaces carry bdev names until resolved */
	struct nv_nvme_ctrl *ctrls;
	size_t nctrls;
	struct nv_bdev *aio;	/* [AIO] entries */
	size_t naio;
	struct strmap aio_index; /* bdev name (any case) -> index in aio */
	unsigned malloc_luns, malloc_size_mb, malloc_block_size;
	unsigned malloc_line;
	bool has_reactor_mask;
	char *reactor_mask;	/* hex string as written, e.g. "0x0F" */
	bool hotplug;
	/* [Cluster]: this configuration serves one identity from several nodes (ocf:nvmetd:nvmet), so
	 * nothing the kernel would pick per node may be left to it; ControllerIDs: this node's range */
	bool cluster;
	unsigned cluster_line;
	unsigned cntlid_min, cntlid_max;	/* 0, 0: not given */
};

/* Parse and interpret; problems and the per-key explanations go to rep.
 * Returns 0, or -EINVAL when rep holds errors. */
int spdkconf_load(const char *path, struct nv_config **out, struct nv_report *rep);
int spdkconf_from_text(const char *path, const char *text, struct nv_config **out, struct nv_report *rep);
/* The same for len bytes read from a file: a NUL byte or an over-long line is an error (file:line). */
int spdkconf_from_buf(const char *path, const char *text, size_t len, struct nv_config **out, struct nv_report *rep);
/* The same for a second file loaded beside base (nvmetd's rpc.conf beside nvmf.conf): its Namespace
 * lines may also name base's bdevs. base is only read. */
int spdkconf_from_text_base(const char *path, const char *text, const struct nv_config *base, struct nv_config **out,
			    struct nv_report *rep);
void spdkconf_free(struct nv_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_config *, spdkconf_free)

/* Look up a bdev name used by a Namespace line. Fills b (borrowed strings, b->path NULL for NVMe
 * until resolved). Returns 0 or -ENOENT. */
int spdkconf_find_bdev(const struct nv_config *c, const char *name, struct nv_bdev *b);

/* The [Keyring] name of key file path (the first that names it), or NULL. */
const struct nv_keyname *spdkconf_key_by_path(const struct nv_config *c, const char *path);
/* The [Keyring] entry called name (SPDK: ":name" is name too), or NULL. */
const struct nv_keyname *spdkconf_key_by_name(const struct nv_config *c, const char *name);
/* name without SPDK's global-keyring prefix ":". */
const char *keyring_bare_name(const char *name);

/* SPDK booleans: Yes/Y/True/No/N/False, case-insensitive. Returns 1, 0 or -EINVAL. */
int spdk_bool(const char *s);

#endif
