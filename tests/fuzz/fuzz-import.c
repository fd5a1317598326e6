/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer targets for the two importers (built twice: -DIMPORT_SPDK for SPDK's JSON). Whatever
 * they accept is printed through the writer and must load as nvmf.conf tokens without a syntax
 * error: an import never injects lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "ini.h"
#include "nvmet.h"
#include "print.h"
#include "util.h"

/* Only the tokenizer's verdict matters here (an imported NQN may still be invalid for check). */
static void must_tokenize(const char *conf)
{
	struct ini_file *f = NULL;
	struct nv_report rep = { 0 };

	if (ini_parse("imported.conf", conf, &f, &rep) < 0) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "imported.conf:%u: %s\n", rep.d[i].line, rep.d[i].msg);
		fprintf(stderr, "--- imported:\n%s", conf);
		abort();
	}
	ini_free(f);
	report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nv_ctx ctx;
	char *text = xmalloc(size + 1), *conf = NULL, *err = NULL;

	memcpy(text, data, size);
	text[size] = '\0';
#ifdef IMPORT_SPDK
	if (import_spdk_json(text, &conf, &err) == 0)
		must_tokenize(conf);
#else
	struct nv_model *m = NULL;
	if (import_nvmetcli(text, &m, &err) == 0 && print_conf(&ctx, m, NULL, &conf) == 0)
		must_tokenize(conf);
	model_free(m);
#endif
	free(conf);
	free(err);
	free(text);
	return 0;
}
