/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVMe/TCP TLS 1.3 pre-shared keys in the kernel's .nvme keyring, where the target's tlshd finds them
 * by the PSK identity a host sends. nvmetd puts there, for every (host with a TlsKey, subsystem it may
 * reach over a TLS port) pair and for the discovery NQN, the retained PSK under the identity nvme-cli
 * gives it ("NVMe1R0H <hostnqn> <subnqn> <digest>", nvme check-tls-key --identity=1), derived by
 * libnvme (>= 1.13, opened on first use) from the configured key. The keyring is the only record:
 * the keys nvmetd owns are those whose description names a subsystem (or discovery NQN) it serves;
 * nothing about them is stored elsewhere, and no message names more than host, subsystem and file. */
#ifndef NVMET_TLSKEYS_H
#define NVMET_TLSKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct nv_ctx;
struct nv_model;

/* One "psk" key in .nvme. */
struct tls_keyent {
	long serial;
	char *desc;	/* its description: the TLS PSK identity */
};

/* The keyring, as a test seam (ctx->keys). Every call returns 0 (or a serial) or -errno. */
struct key_ops {
	/* Why keys cannot be derived here (no TLS-capable libnvme), or NULL. */
	const char *(*problem)(void);
	/* The psk keys in .nvme; -ENOKEY: there is no .nvme keyring (nvme-keyring not loaded). */
	int (*list)(void *ud, struct tls_keyent **v, size_t *n);
	/* The identity libnvme derives for (host, subsys) from a configured PSK (interchange form);
	 * -ENOPKG without a TLS-capable libnvme. */
	int (*identity)(void *ud, const char *host, const char *subsys, const char *psk, char **identity);
	/* Derive the retained PSK and insert it into .nvme, from the root network namespace: the
	 * key's serial (> 0) or -errno. */
	long (*insert)(void *ud, const char *host, const char *subsys, const char *psk);
	/* Take a key out of .nvme. */
	int (*remove)(void *ud, long serial);
	void *ud;
};
/* The kernel's keyring and libnvme. */
extern const struct key_ops keys_real;
/* A keyring kept in a file (one "serial description" line per key) with a stand-in derivation:
 * nvmetcfg and nvmetd under test roots (ud: the file's path). */
extern const struct key_ops keys_file;

void tls_keyents_free(struct tls_keyent *v, size_t n);

/* What a TLS-capable libnvme is missing for, or NULL when it is there (libnvme.so.1 with
 * nvme_generate_tls_key_identity and nvme_insert_tls_key_versioned: Debian 13's 1.13, not 12's 1.3). */
const char *tls_libnvme_problem(void);

/* The keyring operations one apply makes. */
struct tls_keyop {
	bool insert;	/* else remove */
	char *host, *subsys;
	char *file;	/* insert: the key file (for messages) */
	const char *psk;	/* insert: borrowed from the desired model */
	char *identity;	/* the description (remove: as read) */
	long serial;	/* remove: the key; insert: set once inserted */
	bool done;
};
struct tls_plan {
	struct tls_keyop *v;
	size_t n;
};

/* The keys desired needs and the owned keys it does not (live: the configfs tree now, whose
 * subsystems and hosts nvmetd owns too). No .nvme keyring yet counts as an empty one. 0, or -errno
 * with *why (allocated). */
int tls_plan_build(struct nv_ctx *c, const struct nv_model *desired, const struct nv_model *live,
		   struct tls_plan *tp, char **why);
/* Insert the new keys (verbose: say each on stdout). 0, or -errno with *why (those inserted taken
 * out again); with keep_going a key that cannot be inserted is a warning and the rest go on. */
int tls_plan_insert(struct nv_ctx *c, struct tls_plan *tp, bool verbose, bool keep_going, char **why,
		    char ***warnings, size_t *nwarnings);
/* Undo tls_plan_insert (the configfs plan failed). */
void tls_plan_undo(struct nv_ctx *c, struct tls_plan *tp);
/* Take out the keys no longer needed; failures become warnings. */
void tls_plan_remove(struct nv_ctx *c, struct tls_plan *tp, bool verbose, char ***warnings, size_t *nwarnings);
/* How many keyring changes the plan makes. */
size_t tls_plan_changes(const struct tls_plan *tp);
void tls_plan_print(const struct tls_plan *tp, FILE *f);
void tls_plan_free(struct tls_plan *tp);

/* Whether desired has a TLS port. */
bool model_wants_tls(const struct nv_model *m);
#define TLSHD_MISSING "TLS ports need tlshd (ktls-utils) in this network namespace to do the handshakes, and none " \
	"runs here: hosts' connections fail — start it after the .nvme keyring exists (systemctl restart tlshd, or " \
	"tlshd in this namespace)"
/* Whether a tlshd process runs in this process's network namespace (procfs: the context's). */
bool tlshd_running(const struct nv_ctx *c);

#endif
