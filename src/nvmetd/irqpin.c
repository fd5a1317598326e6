/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "ctx.h"
#include "irqpin.h"
#include "log.h"
#include "netdev.h"
#include "util.h"

struct devlist {
	const char **bdfs;
	const char **labels;
	size_t n;
	char **owned;
	size_t nowned;
};

static void add_dev(struct devlist *l, const char *bdf, char *label)
{
	l->bdfs = xrealloc(l->bdfs, (l->n + 1) * sizeof(char *));
	l->labels = xrealloc(l->labels, (l->n + 1) * sizeof(char *));
	l->bdfs[l->n] = bdf;
	l->labels[l->n++] = label;
	*(char **)array_push(&l->owned, &l->nowned, sizeof(char *)) = label;
}

/* The SSDs the config names and the NICs its ports' addresses are on (virtual ones have no IRQs). */
static void collect(struct daemon *d, struct devlist *l)
{
	for (size_t i = 0; i < d->cfg->nctrls; i++)
		add_dev(l, d->cfg->ctrls[i].bdf, xasprintf("SSD %s", d->cfg->ctrls[i].name));
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		struct addr_info ai;
		char *bdf;

		if (addr_check(attrs_get(&p->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_adrfam"),
			       attrs_get(&p->attrs, "addr_traddr"), &ai) < 0 || !*ai.ifname)
			continue;
		bdf = netdev_pci_bdf(d->ctx->sysfs, ai.ifname);
		if (!bdf)
			continue;
		*(char **)array_push(&l->owned, &l->nowned, sizeof(char *)) = bdf;
		add_dev(l, bdf, xasprintf("NIC %s (port %u)", ai.ifname, p->id));
	}
}

/* One line per device: "SSD x 0000:..: NUMA node 1, CPUs 1; IRQs pinned: 1 2; managed by the kernel: 3" */
static char *summarize(const struct irq_result *r)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct irq_dev *x = &r->devs[i];
		fprintf(f, "%s %s: NUMA node %d, CPUs %s; IRQs pinned:", x->what, x->bdf, x->node, x->cpus);
		for (unsigned k = 0; k < x->npinned; k++)
			fprintf(f, " %u", x->pinned[k]);
		fprintf(f, "; managed by the kernel:");
		for (unsigned k = 0; k < x->nmanaged; k++)
			fprintf(f, " %u", x->managed[k]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void log_summary(const struct irq_result *r, const char *summary, const char *procfs)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->devs[i].warning)
			log_warn("%s", r->devs[i].warning);
	log_lines(LOG_NOTICE, "IRQ affinity: ", summary);
	if (r->n && irq_irqbalance_running(procfs))
		log_warn("irqbalance is running and may move these IRQs again: ban them with --banirq=N in "
			 "IRQBALANCE_ARGS (/etc/default/irqbalance), or stop irqbalance");
}

void irqpin_apply(struct daemon *d)
{
	struct devlist l = { 0 };
	char *summary;
	int r;

	if (!d->set.irq_affinity || !d->cfg)
		return;
	collect(d, &l);
	irq_result_free(&d->irqs);
	r = irq_apply(d->ctx->sysfs, d->ctx->procfs, d->cfg->has_reactor_mask ? d->cfg->reactor_mask : NULL, l.bdfs,
		      l.labels, l.n, &d->irqs);
	if (r < 0 && !streq_ptr(d->irq_summary, "failed")) {
		log_error("IRQ affinity: %s", strerror(-r));
		free(d->irq_summary);
		d->irq_summary = xstrdup("failed");
	}
	summary = r < 0 ? NULL : summarize(&d->irqs);
	if (summary && !streq_ptr(summary, d->irq_summary)) {
		log_summary(&d->irqs, summary, d->ctx->procfs);
		free(d->irq_summary);
		d->irq_summary = summary;
	} else {
		free(summary);
	}
	strv_free(l.owned, l.nowned);
	free(l.bdfs);
	free(l.labels);
}
