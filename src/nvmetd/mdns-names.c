/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "mdns-names.h"
#include "util.h"

/* How many bytes of s fit in max without splitting a UTF-8 character. */
static int fit(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;	/* s[n] continues a character: it starts before the cut */
	}
	return (int)n;
}

char *mdns_host_label(const char *hostname, const char *traddr)
{
	_cleanup_free_ char *h = xasprintf("%s-%s", hostname, traddr);

	for (char *c = h; *c; c++)
		if (*c == '.' || *c == ':' || *c == '%')
			*c = '-';
	return xstrndup(h, (size_t)fit(h, MDNS_LABEL_MAX));
}

char *mdns_alt_host(const char *label, unsigned attempt)
{
	char suffix[16] = "";

	if (attempt > 1)
		snprintf(suffix, sizeof(suffix), "-alt%u", attempt);
	return xasprintf("%.*s%s.local", fit(label, MDNS_LABEL_MAX - strlen(suffix)), label, suffix);
}

char *mdns_alt_service(const char *base, unsigned attempt)
{
	char suffix[16] = "";

	if (attempt > 1)
		snprintf(suffix, sizeof(suffix), " #%u", attempt);
	return xasprintf("%.*s%s", fit(base, MDNS_LABEL_MAX - strlen(suffix)), base, suffix);
}
