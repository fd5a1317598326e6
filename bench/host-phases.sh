#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where a cold `nvmetcfg apply` spends its time outside configfs, on the host (no kernel nvmet): the
# benchmark's configuration (N subsystems, one file namespace each, one TCP port) applied by
# nvmetcfg-fake (built by `make check`) to an empty fake configfs, with NVMET_TIMING=1 (per-phase
# wall and CPU times). The fake's own configfs calls (files made on mkdir, checks on write) cost far
# more than the kernel's, so "execute" is not comparable with a guest; the other phases are ours.
# Several builds are run alternating, round by round; the medians of each phase's CPU milliseconds
# are printed, and with --ir the instructions each build executes (valgrind callgrind; deterministic)
# in all, and in the fake's calls, which are left out of "ours".
#
#   bench/host-phases.sh [--rounds R] [--ir] [--ns "1 100 1000"] BUILDDIR...
set -euo pipefail
rounds=7 ir=0 ns="1 100 1000"
while (($#)); do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--ir) ir=1 ;;
	--ns) ns=$2; shift ;;
	-h | --help) sed -n '3,12p' "$0"; exit 0 ;;
	*) break ;;
	esac
	shift
done
(($#)) || { echo "usage: $0 [--rounds R] [--ir] [--ns LIST] BUILDDIR..." >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NVMET_SYSFS_ROOT=$T/sys NVMETD_STATE=$T/state.json NVMETD_CONF=$T/none.conf NVMET_TIMING=1
unset NOTIFY_SOCKET

gen() { # N OUT: bench/guest-bench.sh's configuration
	local n=$1 i
	{
		echo "[AIO]"
		for ((i = 1; i <= n; i++)); do echo "  AIO $T/disk/ns$i.img AIO$i"; done
		for ((i = 1; i <= n; i++)); do
			printf '\n[Subsystem%d]\n  NQN nqn.2016-06.io.spdk:bench%d\n  SN BENCH%d\n  Listen TCP 10.0.0.1:4420\n  AllowAnyHost Yes\n  Namespace AIO%d 1\n' \
				"$i" "$i" "$i" "$i"
		done
	} >"$2"
}
mkdir -p "$T/disk"
cold() { # BUILD CONF [wrapper...]: apply on an empty fake configfs; stderr's timing lines on stdout
	local b=$1 conf=$2
	shift 2
	rm -rf "$T/root"
	mkdir -p "$T/root/cfs" "$T/root/run"
	NVMET_CONFIGFS_ROOT=$T/root/cfs NVMET_RUN_DIR=$T/root/run NVMET_LOCK_FILE=$T/root/run/apply.lock \
		"$@" "$b/tests/cli/nvmetcfg-fake" apply "$conf" 2>&1 >/dev/null
}
for n in $ns; do
	for ((i = 1; i <= n; i++)); do [[ -e $T/disk/ns$i.img ]] || truncate -s 1M "$T/disk/ns$i.img"; done
	gen "$n" "$T/b$n.conf"
	for ((r = 0; r < rounds; r++)); do
		for b in "$@"; do
			cold "$b" "$T/b$n.conf" | sed -n "s|^timing: \([^:0-9]*\)[: ].*cpu \([0-9.]*\) ms.*|$n\t$b\t\1\t\2|p" >>"$T/tsv"
		done
	done
	if ((ir)); then
		for b in "$@"; do
			cold "$b" "$T/b$n.conf" valgrind --tool=callgrind --callgrind-out-file="$T/cg" >/dev/null 2>&1
			callgrind_annotate --inclusive=yes "$T/cg" 2>/dev/null | awk -v n="$n" -v b="$b" '
				/PROGRAM TOTALS/ { gsub(",", "", $1); tot = $1 }
				/faketree.c:f_(mkdir|rmdir|write|symlink|unlink) / && !/=>/ { gsub(",", "", $1); fake += $1 }
				END { printf "%s\t%s\tinstructions (all; without the fake)\t%.1f M; %.1f M\n", n, b, tot / 1e6, (tot - fake) / 1e6 }' \
				>>"$T/ir"
		done
	fi
done
python3 - "$T/tsv" "$rounds" <<'EOP'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    n, b, phase, ms = line.rstrip("\n").split("\t")
    rows.setdefault((int(n), b, phase), []).append(float(ms))
print(f"| N | build | phase | CPU ms (median of {sys.argv[2]}) |")
print("|---:|---|---|---:|")
for (n, b, phase), v in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
    print(f"| {n} | {b} | {phase} | {statistics.median(v):.2f} |")
EOP
if ((ir)); then
	echo
	awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$T/ir"
fi
