/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: nvmf.conf bytes -> parse -> plan against an empty target -> print -> parse ->
 * print. Whatever parses plans without crashing; whatever the writer prints loads again and prints
 * the same text (AIO backing files taken as their paths, without looking at the filesystem). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvmet.h"
#include "plan.h"
#include "print.h"
#include "util.h"

/* A device_path for every namespace, as resolve would give (without udev or stat): an AIO
 * namespace's file, a stand-in path for an SSD or RAM disk (printed back as an AIO file). */
static void paths(struct nv_config *c)
{
	for (size_t i = 0; i < c->model->nsubsys; i++)
		for (size_t j = 0; j < c->model->subsys[i].nns; j++) {
			struct nv_ns *ns = &c->model->subsys[i].ns[j];
			struct nv_bdev b;
			char *p;
			if (!ns->bdev || spdkconf_find_bdev(c, ns->bdev, &b) < 0)
				continue;
			p = b.kind == BDEV_AIO ? xstrdup(b.path) :
			    b.kind == BDEV_NVME ? xasprintf("/dev/disk/by-path/pci-%s-nvme-%u", b.bdf, b.nsid) :
						  xasprintf("/dev/fuzz-malloc-%u", b.malloc_lun);
			attrs_set(&ns->attrs, "device_path", p);
			free(p);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nv_ctx ctx;	/* no udev, no configfs: nothing outside the process is touched */
	struct nv_model empty = { .sorted = true };
	struct nv_config *c = NULL, *c2 = NULL;
	struct nv_report rep = { 0 };
	char *text = xmalloc(size + 1), *one = NULL, *two = NULL;
	struct plan p;

	memcpy(text, data, size);
	text[size] = '\0';
	if (spdkconf_from_buf("fuzz.conf", text, size, &c, &rep) == 0) {
		paths(c);
		plan_build(c->model, &empty, NULL, &p, NULL);
		plan_free(&p);
		if (print_conf(&ctx, c->model, c, &one) == 0) {
			report_free(&rep);
			if (spdkconf_from_text("printed.conf", one, &c2, &rep) < 0) {
				for (size_t i = 0; i < rep.n; i++)
					fprintf(stderr, "printed.conf:%u: %s\n", rep.d[i].line, rep.d[i].msg);
				fprintf(stderr, "--- printed:\n%s", one);
				abort(); /* the writer wrote something that does not load */
			}
			paths(c2);
			if (print_conf(&ctx, c2->model, c2, &two) < 0 || strcmp(one, two)) {
				fprintf(stderr, "--- first:\n%s--- second:\n%s", one, two ? two : "(refused)\n");
				abort(); /* print -> parse -> print changed it */
			}
		}
	}
	free(one);
	free(two);
	spdkconf_free(c);
	spdkconf_free(c2);
	report_free(&rep);
	free(text);
	return 0;
}
