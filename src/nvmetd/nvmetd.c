/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd: keeps the kernel NVMe-oF target matching nvmf.conf while the machine changes under it.
 * This file is the program: options and settings; manager.c is the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"

#ifdef NVMETD_FAKE_KERNEL
struct nv_ctx *fake_kernel_ctx(void);
#endif

#define DEFAULT_SETTINGS NVMETD_SETTINGS

static void usage(FILE *f)
{
	fprintf(f, "usage: nvmetd [OPTIONS]\n\n"
		   "Keeps the kernel NVMe-oF target matching an SPDK-style nvmf.conf.\n\n"
		   "  -c, --config FILE   nvmetd settings (default " DEFAULT_SETTINGS ")\n"
		   "  -f, --foreground    do not detach (systemd runs it like this)\n"
		   "  -v, --verbose       log every event and operation\n"
		   "  -h, --help          this text\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct daemon *d, bool *foreground, bool *verbose)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:fvh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': d->settings_path = optarg; break;
		case 'f': *foreground = true; break;
		case 'v': *verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct daemon d = { .settings_path = DEFAULT_SETTINGS };
	bool foreground = false, verbose = false;
	int r;

	log_init("nvmetd");
	setvbuf(stdout, NULL, _IOLBF, 0); /* -v / log_level info: each operation reaches the journal as it happens */
	r = parse_args(argc, argv, &d, &foreground, &verbose);
	if (r >= 0)
		return r;
	if (settings_load(d.settings_path, &d.set) < 0)
		return 2;
	log_set_level(verbose ? LOG_DEBUG : d.set.log_level);
	if (!foreground && !getenv("NOTIFY_SOCKET") && daemon(0, 1) < 0) {
		log_error("cannot detach: %s", strerror(errno));
		return 1;
	}
#ifdef NVMETD_FAKE_KERNEL
	d.ctx = fake_kernel_ctx(); /* tests/rpc/nvmetd-fake: configfs that acts as the kernel's (host tests) */
#endif
	r = manager_start(&d);
	if (r == 0) {
		r = manager_run(&d) < 0 ? 1 : 0;
		manager_stop(&d);
	}
	manager_free(&d);
	return r;
}
