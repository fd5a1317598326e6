/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts: IRQ affinity (CPU lists, ReactorMask ∩ the device's NUMA node) against a fake
 * sysfs/procfs, RoCE GIDs in sysfs, the string map, array growth, the nvmf.conf writer's quoting and what the kernel
 * target cannot export as a usable disk; what libblkid finds on a file (opened and closed again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "confwriter.h"
#include "ctx.h"
#include "devprobe.h"
#include "exportable.h"
#include "faketree.h"
#include "ini.h"
#include "irq.h"
#include "netdev.h"
#include "report.h"
#include "strmap.h"
#include "util.h"

static char *root;

static void put(const char *rel, const char *content)
{
	_cleanup_free_ char *p = path_join(root, rel);
	_cleanup_free_ char *dir = xstrdup(p);
	char *slash = strrchr(dir, '/');

	*slash = '\0';
	_cleanup_free_ char *cmd = xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	faketree_put(p, content);
}

static char *get(const char *rel)
{
	_cleanup_free_ char *p = path_join(root, rel);
	char *v = NULL;
	return read_attr(p, &v) == 0 ? v : NULL;
}

/* One SSD on NUMA node 1 (CPUs 2-3 and 6) with three MSI vectors; node 0 has CPUs 0-1. */
static int setup(void **state)
{
	char tmpl[] = "/tmp/nvmet-pure.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	root = xstrdup(tmpl);
	put("sys/bus/pci/devices/0000:04:00.0/numa_node", "1\n");
	put("sys/bus/pci/devices/0000:04:00.0/msi_irqs/30", "msi\n");
	put("sys/bus/pci/devices/0000:04:00.0/msi_irqs/31", "msi\n");
	put("sys/bus/pci/devices/0000:05:00.0/numa_node", "-1\n");
	put("sys/bus/pci/devices/0000:05:00.0/irq", "40\n");
	put("sys/devices/system/node/node0/cpulist", "0-1\n");
	put("sys/devices/system/node/node1/cpulist", "2-3,6\n");
	put("sys/devices/system/cpu/online", "0-3,6\n");
	put("proc/irq/30/smp_affinity_list", "0-6\n");
	put("proc/irq/31/smp_affinity_list", "0-6\n");
	put("proc/irq/40/smp_affinity_list", "0-6\n");
	put("proc/1/comm", "systemd\n");
	return 0;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", root);
	(void)state;
	assert_int_equal(system(cmd), 0);
	free(root);
	return 0;
}

static void run_irq(const char *mask, struct irq_result *plan)
{
	_cleanup_free_ char *sys = path_join(root, "sys"), *proc = path_join(root, "proc");
	const char *bdfs[] = { "0000:04:00.0", "0000:05:00.0", "0000:04:00.0" };
	const char *labels[] = { "SSD Nvme0", "NIC eth1 (port 1)", "SSD again" };

	assert_int_equal(irq_apply(sys, proc, mask, bdfs, labels, 3, plan), 0);
}

static void test_irq_mask_and_node(void **state)
{
	struct irq_result plan;
	char *v;

	(void)state;
	/* ReactorMask 0x4C = CPUs 2,3,6: all on node 1 */
	run_irq("0x4C", &plan);
	assert_int_equal(plan.n, 2);	/* the repeated SSD once */
	assert_string_equal(plan.devs[0].cpus, "2-3,6");
	assert_int_equal(plan.devs[0].node, 1);
	assert_int_equal(plan.devs[0].npinned, 2);
	assert_null(plan.devs[0].warning);
	assert_string_equal(v = get("proc/irq/30/smp_affinity_list"), "2-3,6");
	free(v);
	/* the device without NUMA information (legacy irq file): online CPUs ∩ mask */
	assert_int_equal(plan.devs[1].node, -1);
	assert_string_equal(plan.devs[1].cpus, "2-3,6");
	assert_int_equal(plan.devs[1].npinned, 1);
	assert_int_equal(plan.devs[1].pinned[0], 40);
	{
		_cleanup_free_ char *proc = path_join(root, "proc");
		assert_false(irq_irqbalance_running(proc));
	}
	irq_result_free(&plan);

	/* 0x9 = CPUs 0 and 3: only CPU 3 is on node 1 */
	run_irq("0x9", &plan);
	assert_string_equal(plan.devs[0].cpus, "3");
	assert_string_equal(plan.devs[1].cpus, "0,3");
	irq_result_free(&plan);

	/* 0x3 = CPUs 0-1, none on node 1: the node's CPUs, with a warning naming both */
	run_irq("0x3", &plan);
	assert_string_equal(plan.devs[0].cpus, "2-3,6");
	assert_non_null(plan.devs[0].warning);
	assert_non_null(strstr(plan.devs[0].warning, "CPUs 0-1"));
	assert_non_null(strstr(plan.devs[0].warning, "2-3,6"));
	irq_result_free(&plan);

	/* no ReactorMask: the node's CPUs; irqbalance is noticed */
	put("proc/4242/comm", "irqbalance\n");
	run_irq(NULL, &plan);
	assert_string_equal(plan.devs[0].cpus, "2-3,6");
	assert_string_equal(plan.devs[1].cpus, "0-3,6");
	{
		_cleanup_free_ char *proc = path_join(root, "proc");
		assert_true(irq_irqbalance_running(proc));
	}
	irq_result_free(&plan);

	/* a mask that is not a number */
	{
		_cleanup_free_ char *sys = path_join(root, "sys"), *proc = path_join(root, "proc");
		const char *bdfs[] = { "0000:04:00.0" }, *labels[] = { "SSD" };
		assert_int_equal(irq_apply(sys, proc, "zz", bdfs, labels, 1, &plan), -EINVAL);
		irq_result_free(&plan);
	}
}

static void test_strmap(void **state)
{
	struct strmap m = { 0 }, ci = { .nocase = true };
	size_t v = 0;

	(void)state;
	for (size_t i = 0; i < 20000; i++) {
		_cleanup_free_ char *k = xasprintf("nqn.2016-06.io.spdk:cnode%zu", i);
		assert_true(strmap_add(&m, k, i, NULL));
	}
	assert_int_equal(m.n, 20000);
	for (size_t i = 0; i < 20000; i += 997) {
		_cleanup_free_ char *k = xasprintf("nqn.2016-06.io.spdk:cnode%zu", i);
		assert_true(strmap_get(&m, k, &v));
		assert_int_equal(v, i);
	}
	assert_false(strmap_add(&m, "nqn.2016-06.io.spdk:cnode7", 1, &v));
	assert_int_equal(v, 7);	/* the old value stays */
	assert_false(strmap_get(&m, "nqn.2016-06.io.spdk:CNODE7", &v));
	assert_false(strmap_get(&m, "", &v));
	strmap_free(&m);

	assert_true(strmap_add(&ci, "Nvme0n1", 3, NULL));
	assert_true(strmap_get(&ci, "NVME0N1", &v));
	assert_int_equal(v, 3);
	assert_false(strmap_add(&ci, "nvme0n1", 4, NULL));
	strmap_free(&ci);
	assert_false(strmap_get(&ci, "x", &v));	/* an empty (freed) map */
}

static void test_array_push(void **state)
{
	struct big { char pad[37]; size_t i; } *v = NULL;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < 100000; i++) {
		struct big *b = array_push(&v, &n, sizeof(*b));
		for (size_t k = 0; k < sizeof(b->pad); k++)
			assert_int_equal(b->pad[k], 0);	/* new elements come zeroed */
		b->i = i;
	}
	assert_int_equal(n, 100000);
	for (size_t i = 0; i < n; i += 4999)
		assert_int_equal(v[i].i, i);
	free(v);
}

static void test_writer_quoting(void **state)
{
	struct conf_writer w;
	_cleanup_free_ char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

	(void)state;
	assert_true(conf_value_ok("plain"));
	assert_true(conf_value_ok("with spaces"));
	assert_true(conf_value_ok(""));
	assert_false(conf_value_ok("a\"b"));
	assert_false(conf_value_ok("a\nb"));
	assert_false(conf_value_ok("tab\there"));
	assert_non_null(strstr(conf_value_problem("a\"b"), "double quote"));

	assert_int_equal(cw_open(&w), 0);
	cw_section(&w, "Subsystem1");
	cw_kv(&w, "MN", "Model With Spaces");
	cw_kv(&w, "SN", "hash#inside");
	cw_kv(&w, "Empty", "");
	cw_kv(&w, "Trailing", "ends\\");
	cw_kv(&w, "Plain", "nqn.2016-06.io.spdk:cnode1");
	cw_comment(&w, "control\x01" "chars\nstay on one line");
	cw_comment(&w, "not imported: bdev_aio_cr\\\\ ");
	cw_kv(&w, "After", "comment");
	assert_int_equal(cw_close(&w, &out, &err), 0);
	/* a comment ending in a backslash would join the next line: it is closed, and the line after
	 * it still reads back */
	assert_non_null(strstr(out, "# not imported: bdev_aio_cr\\\\  (sic)\n  After comment\n"));
	{
		struct ini_file *f = NULL;
		struct nv_report rep = { 0 };
		assert_int_equal(ini_parse("w.conf", out, &f, &rep), 0);
		assert_int_equal(f->n, 1);
		assert_string_equal(f->s[0].e[f->s[0].n - 1].key, "After");
		ini_free(f);
		report_free(&rep);
	}
	assert_non_null(strstr(out, "[Subsystem1]\n"));
	assert_non_null(strstr(out, "  MN \"Model With Spaces\"\n"));
	assert_non_null(strstr(out, "  SN \"hash#inside\"\n"));
	assert_non_null(strstr(out, "  Empty \"\"\n"));
	assert_non_null(strstr(out, "  Trailing \"ends\\\"\n"));
	assert_non_null(strstr(out, "  Plain nqn.2016-06.io.spdk:cnode1\n"));
	assert_non_null(strstr(out, "# control?chars?stay on one line\n"));

	/* a value the dialect cannot carry: nothing is written, the value is named */
	assert_int_equal(cw_open(&w), 0);
	cw_kv(&w, "MN", "say \"hi\"");
	assert_int_equal(cw_close(&w, &out2, &err2), -EINVAL);
	assert_null(out2);
	assert_non_null(strstr(err2, "double quote"));

	/* transports and listen addresses */
	assert_string_equal(conf_trtype("rdma"), "RDMA");
	assert_string_equal(conf_trtype("TCP"), "TCP");
	assert_null(conf_trtype("fc"));
	{
		_cleanup_free_ char *a = conf_listen_addr("ipv4", "10.0.0.1", "4420");
		_cleanup_free_ char *b = conf_listen_addr("ipv6", "fe80::1", "4420");
		assert_string_equal(a, "10.0.0.1:4420");
		assert_string_equal(b, "[fe80::1]:4420");
	}
}

static long overlay_fs(const char *path) { return 0x794c7630; }

/* What nvmet would enable but hosts could not use: an empty or sub-block file, a file on overlayfs, a
 * block device with no media (its sysfs size 0). Whatever cannot be examined is left to the kernel. */
static void test_export_check(void **state)
{
	_cleanup_free_ char *sys = path_join(root, "sys"), *f = path_join(root, "f.img");
	_cleanup_free_ char *bdev = path_join(root, "loop9"), *why = NULL;
	struct sys_ops on_overlay = sys_none;
	struct nv_ctx c = { .sysfs = sys, .sys = &sys_none };

	(void)state;
	faketree_put(f, "");
	assert_int_equal(export_check(&c, f, &why), -EINVAL);
	assert_non_null(strstr(why, "is 0 bytes, less than one"));
	assert_non_null(strstr(why, "truncate -s"));
	free(why), why = NULL;
	faketree_put(f, "tiny");
	assert_int_equal(export_check(&c, f, &why), -EINVAL);
	free(why), why = NULL;
	faketree_disk(f);
	assert_int_equal(export_check(&c, f, &why), 0);
	assert_null(why);
	on_overlay.fs_type = overlay_fs;
	c.sys = &on_overlay;
	assert_int_equal(export_check(&c, f, &why), -EINVAL);
	assert_non_null(strstr(why, "is on overlayfs"));
	free(why), why = NULL;
	c.sys = &sys_none;
	assert_int_equal(export_check(&c, "/nonexistent/x.img", &why), 0);
	assert_int_equal(export_check(&c, "/dev/null", &why), 0);
	if (geteuid() != 0 || mknod(bdev, S_IFBLK | 0600, makedev(7, 99)) < 0)
		return; /* block device nodes need root */
	assert_int_equal(export_check(&c, bdev, &why), 0);	/* no sysfs entry: not examined */
	put("sys/dev/block/7:99/size", "0\n");
	assert_int_equal(export_check(&c, bdev, &why), -EINVAL);
	assert_non_null(strstr(why, "has no media (0 bytes)"));
	free(why), why = NULL;
	put("sys/dev/block/7:99/size", "131072\n");
	assert_int_equal(export_check(&c, bdev, &why), 0);
}

/* A GID entry as sysfs shows it: gid_attrs/ndevs/IDX and types/IDX (absent: an empty entry). */
static void gid(const char *dev, unsigned port, unsigned idx, const char *ndev, const char *type)
{
	_cleanup_free_ char *n = xasprintf("sys/class/infiniband/%s/ports/%u/gid_attrs/ndevs/%u", dev, port, idx);
	_cleanup_free_ char *t = xasprintf("sys/class/infiniband/%s/ports/%u/gid_attrs/types/%u", dev, port, idx);
	_cleanup_free_ char *nl = xasprintf("%s\n", ndev), *tl = xasprintf("%s\n", type);

	put(n, nl);
	put(t, tl);
}

/* The device with a RoCE v2 GID on the interface wins; v1 only is told apart; other interfaces and
 * empty entries do not count; no infiniband class at all is no device. Laid out as the kernel does:
 * a port's default GIDs first (one per type), an address's GIDs only on the netdev or above it. */
static void test_roce_gids_sysfs(void **state)
{
	_cleanup_free_ char *sys = path_join(root, "sys");
	char dev[64] = "";

	(void)state;
	assert_int_equal(netdev_roce_gids_at(sys, "veth-t", dev, sizeof(dev)), 0);
	gid("mlx4_0", 1, 0, "veth-t", "IB/RoCE v1");
	gid("mlx4_0", 1, 1, "veth-t", "IB/RoCE v1");
	assert_int_equal(netdev_roce_gids_at(sys, "veth-t", dev, sizeof(dev)), 1);
	assert_string_equal(dev, "mlx4_0");
	gid("rxe_t", 1, 0, "veth-t", "IB/RoCE v1");
	gid("rxe_t", 1, 1, "veth-t", "RoCE v2");
	assert_int_equal(netdev_roce_gids_at(sys, "veth-t", dev, sizeof(dev)), 2);
	assert_string_equal(dev, "rxe_t");
	assert_int_equal(netdev_roce_gids_at(sys, "eth2", dev, sizeof(dev)), 0);
	/* a VLAN above eth9: its GIDs are read past holes left by removed addresses */
	gid("rxe_h", 1, 0, "eth9", "IB/RoCE v1");
	gid("rxe_h", 1, 1, "eth9", "RoCE v2");
	put("sys/class/infiniband/rxe_h/ports/1/gid_attrs/ndevs/2/x", "");	/* unreadable: empty */
	put("sys/class/infiniband/rxe_h/ports/1/gid_attrs/ndevs/3/x", "");
	gid("rxe_h", 1, 4, "vlan9", "RoCE v2");
	assert_int_equal(netdev_roce_gids_at(sys, "vlan9", dev, sizeof(dev)), 0);	/* not above eth9 */
	put("sys/class/net/vlan9/lower_eth9/x", "");
	assert_int_equal(netdev_roce_gids_at(sys, "vlan9", dev, sizeof(dev)), 2);
	assert_string_equal(dev, "rxe_h");
	/* both default entries empty: the port has no GID; the rest of its table is not read */
	put("sys/class/infiniband/rxe_n/ports/1/gid_attrs/ndevs/0/x", "");
	put("sys/class/infiniband/rxe_n/ports/1/gid_attrs/ndevs/1/x", "");
	gid("rxe_n", 1, 2, "eth7", "RoCE v2");
	assert_int_equal(netdev_roce_gids_at(sys, "eth7", dev, sizeof(dev)), 0);
	/* an InfiniBand port's GIDs have no netdev to match */
	put("sys/class/infiniband/ib0/ports/1/link_layer", "InfiniBand\n");
	gid("ib0", 1, 0, "eth6", "RoCE v2");
	assert_int_equal(netdev_roce_gids_at(sys, "eth6", dev, sizeof(dev)), 0);
	put("sys/class/infiniband/ib0/ports/1/link_layer", "Ethernet\n");
	assert_int_equal(netdev_roce_gids_at(sys, "eth6", dev, sizeof(dev)), 2);
}

/* Whether a mapping of this process names s (line by line: /proc reads stop short of a page). */
static bool mapped(const char *s)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	assert_non_null(f);
	while (!found && getline(&line, &cap, f) > 0)
		found = strstr(line, s) != NULL;
	free(line);
	fclose(f);
	return found;
}

/* Nothing on a zeroed file; a swap signature (the header's version 1 and last page, the magic at the
 * end of the first 4 KiB page) named; a missing file an error; libblkid not left mapped. */
static void test_devprobe(void **state)
{
	_cleanup_free_ char *img = path_join(root, "disk.img"), *what = NULL;
	const uint32_t hdr[2] = { 1, 15 };
	FILE *f;

	(void)state;
	assert_true(mapped("libcmocka"));	/* the check sees libraries */
	f = fopen(img, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 65536), 0);
	fclose(f);
	assert_int_equal(devprobe_in_use(img, &what), 0);
	assert_null(what);
	assert_false(mapped("libblkid"));
	f = fopen(img, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, 1024, SEEK_SET), 0);
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, f), 1);
	assert_int_equal(fseek(f, 4096 - 10, SEEK_SET), 0);
	assert_int_equal(fwrite("SWAPSPACE2", 10, 1, f), 1);
	fclose(f);
	assert_int_equal(devprobe_in_use(img, &what), 1);
	assert_non_null(strstr(what, "swap"));
	free(TAKE_PTR(what));
	assert_int_equal(devprobe_in_use("/nonexistent/disk", &what), -ENOENT);
	assert_null(what);
	assert_false(mapped("libblkid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_irq_mask_and_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roce_gids_sysfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devprobe, setup, teardown),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_array_push),
		cmocka_unit_test(test_writer_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
