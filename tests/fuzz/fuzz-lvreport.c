/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for what nvmetd reads from LVM (lvreport_parse, lvreport_pvs: lvm's JSON reports)
 * and the tag-encoded SPDK names (lvname_decode): any bytes give a list or an error, never a crash; a
 * decoded name encodes back to what was decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvname.h"
#include "lvstore.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *err = NULL, **pvs = NULL, *dec;
	struct lv_list l;
	size_t n = 0;

	if (lvreport_parse(text, &l, &err) == 0) {
		for (size_t i = 0; i < l.nv; i++) {
			char *alias = lv_alias(&l, &l.v[i]);
			if (lv_find_vol(&l, alias) == NULL || lv_find_vol(&l, l.v[i].uuid) == NULL)
				abort();
			free(alias);
		}
		for (size_t i = 0; i < l.ns; i++)
			(void)lv_free_bytes(&l.s[i]);
	}
	lv_list_free(&l);
	free(err);
	(void)lvreport_pvs(text, "lvs0", &pvs, &n);
	strv_free(pvs, n);
	dec = lvname_decode(text);
	if (dec) {
		char *enc = lvname_encode(dec);
		char *again = lvname_decode(enc);
		if (!again || strcmp(again, dec))
			abort();
		free(again);
		free(enc);
		free(dec);
	}
	free(text);
	return 0;
}
