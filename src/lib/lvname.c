/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvname.h */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "lvname.h"
#include "util.h"

static bool plain(int c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '+' || c == '.' || c == '-');
}

static bool chars_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > LV_NAME_MAX || name[0] == '-' || streq(name, ".") || streq(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!plain((unsigned char)name[i]))
			return false;
	return true;
}

bool lvname_lv_ok(const char *name)
{
	static const char *const prefixes[] = { "snapshot", "pvmove" };
	static const char *const parts[] = { "_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mimage",
					     "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata",
					     "_vorigin", "_iorig", "_imeta", "_idata" };

	if (!chars_ok(name) || streq(name, LV_POOL))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		if (strstr(name, parts[i]))
			return false;
	return true;
}

bool lvname_vg_ok(const char *name)
{
	return chars_ok(name);
}

char *lvname_encode(const char *name)
{
	size_t n = strlen(name);
	char *out = xmalloc(n * 3 + 1), *p = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (plain(c))
			*p++ = (char)c;
		else
			p += sprintf(p, "&%02X", c);
	}
	*p = 0;
	return out;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *lvname_decode(const char *enc)
{
	size_t n = strlen(enc);
	_cleanup_free_ char *out = xmalloc(n + 1);
	char *p = out;

	for (size_t i = 0; i < n; i++) {
		if (enc[i] != '&') {
			if (!plain((unsigned char)enc[i]))
				return NULL;
			*p++ = enc[i];
			continue;
		}
		if (i + 2 >= n || hexval(enc[i + 1]) < 0 || hexval(enc[i + 2]) < 0)
			return NULL;
		*p++ = (char)(hexval(enc[i + 1]) * 16 + hexval(enc[i + 2]));
		i += 2;
	}
	*p = 0;
	if (strlen(out) != (size_t)(p - out))	/* an encoded NUL */
		return NULL;
	return TAKE_PTR(out);
}

char *lvname_uuid(void)
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t k = getrandom(b + got, sizeof(b) - got, 0);
		if (k > 0)
			got += (size_t)k;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
			 b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool lvname_is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool lvname_aio_is_lvol(const char *name, const char *path, char **vglv)
{
	const char *vg, *slash;
	_cleanup_free_ char *vgname = NULL;

	if (!name || !path || !lvname_is_uuid(name) || strncmp(path, "/dev/", 5))
		return false;
	vg = path + 5;
	slash = strchr(vg, '/');
	if (!slash || strchr(slash + 1, '/') || !chars_ok(slash + 1))
		return false;
	vgname = xstrndup(vg, (size_t)(slash - vg));
	if (!lvname_vg_ok(vgname) || streq(vgname, "mapper") || streq(vgname, "disk"))
		return false;
	if (vglv)
		*vglv = xstrdup(vg);
	return true;
}
