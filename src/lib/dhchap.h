/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DH-HMAC-CHAP secrets (NVMe in-band authentication): the key files nvmf.conf names, and the
 * DHHC-1 representation nvme-cli and the kernel use. A key file is checked on its open descriptor
 * (no symbolic link, a regular file, its owner and mode); its parent directories are not (unlike
 * ssh's StrictModes). A secret is never part of a message: what names it is its file. */
#ifndef NVMET_DHCHAP_H
#define NVMET_DHCHAP_H

#include <stdbool.h>

/* "DHHC-1:XX:<base64 of key and its CRC-32>:" with XX 00..03 and a 32, 48 or 64 byte key.
 * Returns NULL when valid, else why not (naming no part of the secret). */
const char *dhchap_secret_problem(const char *secret);

/* Read a key file: a regular file (not a symbolic link) owned by root (or the caller), not
 * accessible by group or others, holding one DHHC-1 secret line and nothing else (trailing
 * whitespace aside; no NUL byte; read to its end, at most 255 bytes). Returns 0 with *secret (caller frees, and should wipe) or -errno
 * with *why ("mode 0644: readable by others — chmod 600 /etc/nvmet/keys/h.key"). */
int dhchap_read_key_file(const char *path, char **secret, char **why);

/* TLS pre-shared keys (NVMe/TCP TLS 1.3): a configured PSK in the interchange form nvme gen-tls-key
 * prints, "NVMeTLSkey-1:HH:<base64 of key and its CRC-32>:" with HH 01 (SHA-256, 32 byte key), 02
 * (SHA-384, 48 bytes) or 00 (no transformation, either). NULL when valid, else why not. */
const char *tls_psk_problem(const char *psk);

enum key_kind { KEY_DHCHAP, KEY_TLS };
/* dhchap_read_key_file for either kind of key file (the same file checks, the kind's line). */
int key_file_read(const char *path, enum key_kind kind, char **secret, char **why);

/* Hash and group names the kernel accepts. */
bool dhchap_hash_valid(const char *name);
bool dhchap_dhgroup_valid(const char *name);

/* Free a secret after overwriting it. */
void secret_free(char *s);

#endif
