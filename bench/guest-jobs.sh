#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: guest-jobs.sh N JOBS...   (inside the guest; bench/run.sh --jobs-sweep boots it)
# The sweep behind the executor's default pool size: with N subsystems (one file-backed namespace
# each, one TCP port), for each JOBS, the time of `clear` and of moving every namespace to another
# file, for nvmet-floor -j JOBS (the same calls on JOBS threads; moving = replacing each namespace,
# as nvmetcfg does with more than one job) and nvmetcfg --jobs JOBS. Prints "#jobs" lines for run.sh; JOBS 1 is the sequential floor.
. "$(dirname "$0")/../tests/vm/guest-lib.sh"
FLOOR=${NVMET_FLOOR:-$(dirname "$NVMETCFG")/../../bench/nvmet-floor}
n=$1
shift
D=/var/tmp/bench
PREFIX=nqn.2016-06.io.spdk:bench
info "kernel $(uname -r), $(nproc) CPUs; N = $n; jobs $*"
net_setup
modprobe -a nvmet nvmet-tcp
"$NVMETCFG" clear >/dev/null || { nok "nvmetcfg clear (mounts configfs)"; finish; }
mkdir -p $D
rm -f $D/*
for ((i = 1; i <= n; i++)); do truncate -s 1M $D/ns$i.img $D/ns$i.alt; done
gen() { # gen EXT OUT
	{
		echo "[AIO]"
		for ((i = 1; i <= n; i++)); do echo "  AIO $D/ns$i.$1 AIO$i"; done
		for ((i = 1; i <= n; i++)); do
			printf '[Subsystem%d]\n  NQN %s%d\n  SN BENCH%d\n  Listen TCP %s:4420\n  AllowAnyHost Yes\n  Namespace AIO%d 1\n' \
				"$i" "$PREFIX" "$i" "$i" "$TARGET_IP" "$i"
		done
	} >"$2"
}
gen img $T/img.conf
gen alt $T/alt.conf
ms() { local t0=${EPOCHREALTIME/./}; "$@" >/dev/null 2>>$T/err || echo "# FAILED: $*"; echo $(((${EPOCHREALTIME/./} - t0) / 1000)); }
build() { "$FLOOR" $CFS build "$n" $D $TARGET_IP 4420; }
for j in "$@"; do
	build
	fc=$(ms "$FLOOR" -j "$j" $CFS clear)
	"$NVMETCFG" apply $T/img.conf >/dev/null
	tc=$(ms "$NVMETCFG" --jobs "$j" clear)
	check "jobs $j: clear leaves nothing" test -z "$(ls $CFS/subsystems)"
	build
	fm=$(ms "$FLOOR" -j "$j" $CFS replace-all $D alt)
	"$FLOOR" $CFS change-all $D img
	tm=$(ms "$NVMETCFG" --jobs "$j" apply $T/alt.conf)
	check "jobs $j: every namespace moved" test "$(cat $CFS/subsystems/${PREFIX}1/namespaces/1/device_path)" = $D/ns1.alt
	"$FLOOR" $CFS clear
	info "jobs $j: clear floor $fc ms, nvmetcfg $tc ms; change every namespace floor $fm ms, nvmetcfg $tm ms"
	echo -e "#jobs\t$n\t$j\t$fc\t$tc\t$fm\t$tm"
done
finish
