/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NUMA-local IRQ affinity in place of SPDK's reactor pinning: the IRQs of each SSD and NIC go to
 * ReactorMask ∩ the CPUs of the device's NUMA node. */
#ifndef NVMET_IRQ_H
#define NVMET_IRQ_H

#include <stdbool.h>
#include <stddef.h>

struct irq_dev {
	char *bdf;		/* PCI address */
	char *what;		/* "SSD Nvme0", "NIC eth1 (port 1)" */
	int node;		/* -1: no NUMA information */
	char *cpus;		/* the CPU list applied, e.g. "2-3" */
	char *warning;		/* e.g. the mask is entirely on another node */
	unsigned *pinned, npinned;	/* IRQs whose affinity was written */
	unsigned *managed, nmanaged;	/* IRQs the kernel manages (NVMe I/O queues): reported only */
};

struct irq_result {
	struct irq_dev *devs;
	size_t n;
};

/* mask: the config's ReactorMask (NULL = the node's CPUs). devs: PCI addresses with labels.
 * sysfs/procfs roots are the real ones unless given. Returns 0 or -errno. */
int irq_apply(const char *sysfs, const char *procfs, const char *mask, const char *const *bdfs,
	      const char *const *labels, size_t n, struct irq_result *out);
void irq_result_free(struct irq_result *p);
/* Whether irqbalance runs (and may move pinned IRQs again): a walk of procfs, asked only when what was
 * pinned is reported, not on every pass. */
bool irq_irqbalance_running(const char *procfs);

#endif
