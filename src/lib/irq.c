/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "irq.h"
#include "log.h"
#include "util.h"

#define MAX_CPUS 4096

/* "0-3,8,10-11" -> bitmap */
static int parse_cpulist(const char *s, bool *set)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return -EINVAL;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (a < 0 || b >= MAX_CPUS || b < a)
			return -EINVAL;
		for (long i = a; i <= b; i++)
			set[i] = true;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
		else
			break;
	}
	return 0;
}

static int parse_mask(const char *s, bool *set)
{
	unsigned long long m;

	if (parse_u64(s, &m) < 0)
		return -EINVAL;
	for (int i = 0; i < 64; i++)
		set[i] = (m >> i) & 1;
	return 0;
}

static char *format_cpulist(const bool *set)
{
	char *out = xstrdup("");

	for (int i = 0; i < MAX_CPUS; i++) {
		int j = i;
		char *n;

		if (!set[i])
			continue;
		while (j + 1 < MAX_CPUS && set[j + 1])
			j++;
		n = j > i ? xasprintf("%s%s%d-%d", out, *out ? "," : "", i, j) : xasprintf("%s%s%d", out, *out ? "," : "", i);
		free(out);
		out = n;
		i = j;
	}
	return out;
}

bool irq_irqbalance_running(const char *procfs)
{
	_cleanup_strv_ char **names = NULL;
	int n = list_dir(procfs, &names);
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s/comm", procfs, names[i]);
		_cleanup_free_ char *comm = NULL;
		if (names[i][0] >= '1' && names[i][0] <= '9' && read_attr(p, &comm) == 0)
			found = streq(comm, "irqbalance");
	}
	return found;
}

static void pin_device(const char *sysfs, const char *procfs, const bool *mask, bool have_mask, struct irq_dev *dev)
{
	_cleanup_free_ char *devdir = xasprintf("%s/bus/pci/devices/%s", sysfs, dev->bdf);
	_cleanup_free_ char *nodep = path_join(devdir, "numa_node");
	_cleanup_free_ char *nodev = NULL, *cpulist = NULL, *msi = path_join(devdir, "msi_irqs");
	bool node_cpus[MAX_CPUS] = { 0 }, use[MAX_CPUS] = { 0 };
	bool any = false;
	char **irqs = NULL;
	int n;

	dev->node = -1;
	if (read_attr(nodep, &nodev) == 0)
		dev->node = atoi(nodev);
	if (dev->node >= 0) {
		_cleanup_free_ char *p = xasprintf("%s/devices/system/node/node%d/cpulist", sysfs, dev->node);
		if (read_attr(p, &cpulist) == 0)
			parse_cpulist(cpulist, node_cpus);
	} else {
		_cleanup_free_ char *p = xasprintf("%s/devices/system/cpu/online", sysfs);
		if (read_attr(p, &cpulist) == 0)
			parse_cpulist(cpulist, node_cpus);
	}
	for (int i = 0; i < MAX_CPUS; i++) {
		use[i] = node_cpus[i] && (!have_mask || mask[i]);
		any |= use[i];
	}
	if (!any) {
		_cleanup_free_ char *m = format_cpulist(mask);
		dev->warning = xasprintf("ReactorMask covers CPUs %s, none of which is on NUMA node %d where %s sits "
					 "(its CPUs: %s); using node %d's CPUs — fix ReactorMask to avoid cross-node traffic",
					 m, dev->node, dev->what, cpulist ? cpulist : "?", dev->node);
		memcpy(use, node_cpus, sizeof(use));
	}
	dev->cpus = format_cpulist(use);
	n = list_dir(msi, &irqs);
	if (n <= 0) {
		_cleanup_free_ char *ip = path_join(devdir, "irq");
		_cleanup_free_ char *iv = NULL;
		strv_free(irqs, n > 0 ? n : 0);
		irqs = NULL;
		n = 0;
		if (read_attr(ip, &iv) == 0 && atoi(iv) > 0) {
			irqs = xcalloc(1, sizeof(char *));
			irqs[0] = xstrdup(iv);
			n = 1;
		}
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/irq/%s/smp_affinity_list", procfs, irqs[i]);
		unsigned irq = strtoul(irqs[i], NULL, 10);
		int r;

		/* written even when it already reads right: a kernel-managed IRQ only shows itself by
		 * refusing the write */
		r = write_attr(p, dev->cpus);
		if (r == -EIO || r == -EINVAL || r == -EPERM) {
			/* kernel-managed (e.g. NVMe I/O queue vectors): their affinity is the kernel's */
			dev->managed = xrealloc(dev->managed, (dev->nmanaged + 1) * sizeof(unsigned));
			dev->managed[dev->nmanaged++] = irq;
		} else if (r == 0) {
			dev->pinned = xrealloc(dev->pinned, (dev->npinned + 1) * sizeof(unsigned));
			dev->pinned[dev->npinned++] = irq;
		} else {
			log_debug("irq %u: %s", irq, strerror(-r));
		}
	}
	strv_free(irqs, n);
}

int irq_apply(const char *sysfs, const char *procfs, const char *mask, const char *const *bdfs,
	      const char *const *labels, size_t n, struct irq_result *out)
{
	bool m[MAX_CPUS] = { 0 };

	memset(out, 0, sizeof(*out));
	if (mask && parse_mask(mask, m) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct irq_dev *d;
		bool dup = false;

		for (size_t k = 0; k < out->n; k++)
			dup |= streq(out->devs[k].bdf, bdfs[i]);
		if (dup)
			continue;
		d = array_push(&out->devs, &out->n, sizeof(*d));
		d->bdf = xstrdup(bdfs[i]);
		d->what = xstrdup(labels[i]);
		pin_device(sysfs, procfs, m, mask != NULL, d);
	}
	return 0;
}

void irq_result_free(struct irq_result *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->devs[i].bdf);
		free(p->devs[i].what);
		free(p->devs[i].cpus);
		free(p->devs[i].warning);
		free(p->devs[i].pinned);
		free(p->devs[i].managed);
	}
	free(p->devs);
	memset(p, 0, sizeof(*p));
}
