/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "dhchap.h"
#include "util.h"

static uint32_t crc32_le(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding; returns the decoded length or -1. */
static long b64decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = s[i + k] == '=' && i + 4 == n && k >= 2 ? 0 : b64val(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t take = s[i + 2] == '=' ? 1 : s[i + 3] == '=' ? 2 : 3;
		if (s[i + 2] == '=' && s[i + 3] != '=')
			return -1;
		if (o + take > cap)
			return -1;
		for (size_t k = 0; k < take; k++)
			out[o++] = w >> (16 - 8 * k);
	}
	return (long)o;
}

const char *dhchap_secret_problem(const char *s)
{
	unsigned char buf[80];
	const char *b64, *end;
	long n;

	if (strncmp(s, "DHHC-1:", 7))
		return "does not start with DHHC-1: (make one with nvme gen-dhchap-key)";
	if (!(s[7] == '0' && s[8] >= '0' && s[8] <= '3') || s[9] != ':')
		return "has no transformation 00, 01, 02 or 03 after DHHC-1:";
	b64 = s + 10;
	end = strchr(b64, ':');
	if (!end || end[1])
		return "does not end with ':' after the base64 key";
	n = b64decode(b64, end - b64, buf, sizeof(buf));
	if (n != 36 && n != 52 && n != 68)
		return "does not hold a 32, 48 or 64 byte key in base64";
	uint32_t crc = buf[n - 4] | buf[n - 3] << 8 | buf[n - 2] << 16 | (uint32_t)buf[n - 1] << 24;
	if (crc32_le(buf, n - 4) != crc) {
		memset(buf, 0, sizeof(buf));
		return "has a CRC-32 that does not match its key (truncated or mistyped?)";
	}
	memset(buf, 0, sizeof(buf));
	return NULL;
}

/* Read all of fd into buf (at most cap - 1 bytes, NUL-terminated): the length, -EFBIG when the file
 * holds more, or -errno. A read may return less than asked before the end of the file. */
static ssize_t read_bounded(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == cap)
			return -EFBIG;	/* one byte more than a NUL-terminated buffer takes */
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

const char *tls_psk_problem(const char *s)
{
	unsigned char buf[80];
	const char *b64, *end;
	long n;

	if (strncmp(s, "NVMeTLSkey-1:", 13))
		return "does not start with NVMeTLSkey-1: (make one with nvme gen-tls-key)";
	if (!(s[13] == '0' && s[14] >= '0' && s[14] <= '2') || s[15] != ':')
		return "has no hash 00, 01 or 02 after NVMeTLSkey-1:";
	b64 = s + 16;
	end = strchr(b64, ':');
	if (!end || end[1])
		return "does not end with ':' after the base64 key";
	n = b64decode(b64, end - b64, buf, sizeof(buf));
	if (!(n == 36 && s[14] != '2') && !(n == 52 && s[14] != '1'))
		return "does not hold a 32 byte (hash 01) or 48 byte (hash 02) key in base64";
	uint32_t crc = buf[n - 4] | buf[n - 3] << 8 | buf[n - 2] << 16 | (uint32_t)buf[n - 1] << 24;
	bool ok = crc32_le(buf, n - 4) == crc;
	explicit_bzero(buf, sizeof(buf));
	return ok ? NULL : "has a CRC-32 that does not match its key (truncated or mistyped?)";
}

int dhchap_read_key_file(const char *path, char **secret, char **why)
{
	return key_file_read(path, KEY_DHCHAP, secret, why);
}

int key_file_read(const char *path, enum key_kind kind, char **secret, char **why)
{
	const char *line = kind == KEY_TLS ? "NVMeTLSkey-1 PSK line" : "DHHC-1 secret line";
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	char buf[256];
	struct stat st;
	const char *problem;
	ssize_t n;
	int e;

	*secret = NULL;
	*why = NULL;
	if (fd < 0) {
		e = errno;
		*why = xstrdup(e == ELOOP ? "is a symbolic link (name the file itself)" : strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		*why = xstrdup(strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode))
		return *why = xstrdup("is not a regular file"), -EINVAL;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return *why = xasprintf("is owned by uid %u, not root — chown root %s", (unsigned)st.st_uid, path), -EPERM;
	if (st.st_mode & 077)
		return *why = xasprintf("has mode %04o: group or others may read it — chmod 600 %s",
					(unsigned)(st.st_mode & 07777), path), -EPERM;
	n = read_bounded(fd, buf, sizeof(buf));
	if (n == -EFBIG) {
		explicit_bzero(buf, sizeof(buf));
		return *why = xasprintf("is larger than %zu bytes: must hold exactly one %s", sizeof(buf) - 1, line),
	       -EINVAL;
	}
	if (n < 0)
		return *why = xstrdup(strerror((int)-n)), (int)n;
	if (memchr(buf, '\0', (size_t)n)) {
		/* the secret's parser would stop at the NUL and never see what follows it */
		explicit_bzero(buf, sizeof(buf));
		return *why = xasprintf("holds a NUL byte: must hold exactly one %s", line), -EINVAL;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0 || strchr(buf, '\n')) {
		explicit_bzero(buf, sizeof(buf));
		return *why = xasprintf("must hold exactly one %s", line), -EINVAL;
	}
	problem = kind == KEY_TLS ? tls_psk_problem(buf) : dhchap_secret_problem(buf);
	if (problem) {
		explicit_bzero(buf, sizeof(buf));
		return *why = xasprintf("its %s %s", kind == KEY_TLS ? "PSK" : "secret", problem), -EINVAL;
	}
	*secret = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

bool dhchap_hash_valid(const char *name)
{
	return streq(name, "hmac(sha256)") || streq(name, "hmac(sha384)") || streq(name, "hmac(sha512)");
}

bool dhchap_dhgroup_valid(const char *name)
{
	static const char *const g[] = { "null", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192" };
	for (size_t i = 0; i < ARRAY_SIZE(g); i++)
		if (streq(name, g[i]))
			return true;
	return false;
}

void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
