#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmetd's idle memory, measured one way (the README's figures come from here): N subsystems, each
# with one file-backed namespace, on one TCP and one RDMA port; nvmetd started, its first reconcile
# done (the state file written), then IDLE seconds of nothing; then VmRSS (/proc/PID/status), Rss and
# Pss (/proc/PID/smaps_rollup), threads and open descriptors. With --maps, the ten biggest mappings.
#
#   bench/rss.sh [--idle S] [--maps] [N...]        on this host: nvmetd-fake (make check builds it) on
#                                                 a fake configfs; the RDMA port has no device here
#   bench/rss.sh --vm [KERNEL] [--idle S] [N...]  boot the guest (default 6.12) and measure the real
#                                                 nvmetd there, soft-RoCE on the RDMA port
#   bench/rss.sh --guest ...                      what --vm runs inside the guest
# N defaults to 1 100 1000, IDLE to 5. Prints a Markdown table; never fails because of a figure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=host idle=5 maps=0 kernel=6.12
ns=()
while (($#)); do
	case $1 in
	--vm) mode=vm; [[ ${2:-} == 6.* ]] && { kernel=$2; shift; } ;;
	--guest) mode=guest ;;
	--idle) idle=$2; shift ;;
	--maps) maps=1 ;;
	-h | --help) sed -n '3,13p' "$0"; exit 0 ;;
	-*) echo "bench/rss.sh: unknown option $1" >&2; exit 2 ;;
	*) ns+=("$1") ;;
	esac
	shift
done
((${#ns[@]})) || ns=(1 100 1000)

if [[ $mode == vm ]]; then
	"$top/tools/build.sh" "$top/build" >/dev/null
	"$top/tests/vm/vm.sh" setup >/dev/null
	export NVMETCFG=${NVMETCFG:-$top/build/src/nvmetcfg/nvmetcfg} NVMETD=${NVMETD:-$top/build/src/nvmetd/nvmetd}
	a=(--guest --idle "$idle"); ((maps)) && a+=(--maps)
	NVMETD_VM_TIMEOUT=${NVMETD_VM_TIMEOUT:-1800} exec "$top/tests/vm/vm.sh" run "$kernel" "$top/bench/rss.sh" \
		"${a[@]}" "${ns[@]}"
fi

if [[ $mode == guest ]]; then
	. "$top/tests/vm/guest-lib.sh"
	NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
	net_setup rdma
	modprobe -a nvmet nvmet-tcp nvmet-rdma
	"$NVMETCFG" clear >/dev/null
	ip=$TARGET_IP
	where="guest, kernel $(uname -r), $NVMETD"
else
	bin=${NVMETD_FAKE:-$top/build/tests/rpc/nvmetd-fake}
	[[ -x $bin ]] || { echo "bench/rss.sh: $bin is not built (make check builds it)" >&2; exit 2; }
	T=$(mktemp -d /tmp/nvmetd-rss.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	ip=127.0.0.1
	where="host, fake configfs, $bin"
fi
D=$T/img
mkdir -p "$D"

gen_conf() { # N OUT
	local n=$1 i
	{
		echo "[AIO]"
		for ((i = 1; i <= n; i++)); do echo "  AIO $D/ns$i.img AIO$i"; done
		for ((i = 1; i <= n; i++)); do
			printf '\n[Subsystem%d]\n  NQN nqn.2016-06.io.spdk:rss%d\n  SN RSS%d\n  Listen TCP %s:4420\n' "$i" "$i" "$i" "$ip"
			printf '  Listen RDMA %s:4421\n  AllowAnyHost Yes\n  Namespace AIO%d 1\n' "$ip" "$i"
		done
	} >"$2"
}

kb() { awk -v k="$1:" '$1 == k { print $2; exit }' "$2"; }

# The ten biggest mappings by Rss (shared libraries by name, anonymous memory as [anon])
top_maps() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n = NF >= 6 ? $6 : "[anon]"; sub(/.*\//, "", n); next }
	     $1 == "Rss:" { rss[n] += $2 } $1 == "Pss:" { pss[n] += $2 }
	     END { for (n in rss) printf "%d\t%d\t%s\n", rss[n], pss[n], n }' "/proc/$1/smaps" |
		sort -rn | head -n 10 | awk -F'\t' '{ printf "#   %-34s Rss %5d kB  Pss %5d kB\n", $3, $1, $2 }'
}

echo "# nvmetd idle memory: $where; ${idle} s idle after the first reconcile"
echo "| N | VmRSS | Pss | heap (Rss) | threads | fds |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "${ns[@]}"; do
	R=$T/n$n
	mkdir -p "$R/cfs" "$R/sys" "$R/run"
	for ((i = 1; i <= n; i++)); do [[ -e $D/ns$i.img ]] || truncate -s 1M "$D/ns$i.img"; done
	gen_conf "$n" "$R/nvmf.conf"
	printf 'nvmf_conf = "%s";\nstate_file = "%s";\non_stop = "%s";\n' "$R/nvmf.conf" "$R/state.json" \
		"$([[ $mode == guest ]] && echo clear || echo keep)" >"$R/nvmetd.conf"
	if [[ $mode == guest ]]; then
		env -u NOTIFY_SOCKET "$NVMETD" -f -c "$R/nvmetd.conf" >"$R/log" 2>&1 &
	else
		env -u NOTIFY_SOCKET NVMET_CONFIGFS_ROOT="$R/cfs" NVMET_SYSFS_ROOT="$R/sys" NVMET_RUN_DIR="$R/run" \
			NVMET_LOCK_FILE="$R/run/apply.lock" "$bin" -f -c "$R/nvmetd.conf" >"$R/log" 2>&1 &
	fi
	pid=$!
	for ((i = 0; i < 6000; i++)); do [[ -s $R/state.json ]] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if ! kill -0 $pid 2>/dev/null || [[ ! -s $R/state.json ]]; then
		echo "# N=$n: nvmetd did not start:"; tail -n 5 "$R/log" | sed 's/^/#   /'; continue
	fi
	sleep "$idle"
	heap=$(awk '/\[heap\]/ { h = 1; next } /^[0-9a-f]+-/ { h = 0 } h && $1 == "Rss:" { s += $2 } END { print s + 0 }' \
		"/proc/$pid/smaps")
	printf '| %d | %d kB | %d kB | %d kB | %d | %d |\n' "$n" "$(kb VmRSS "/proc/$pid/status")" \
		"$(kb Pss "/proc/$pid/smaps_rollup")" "$heap" "$(ls "/proc/$pid/task" | wc -l)" "$(ls "/proc/$pid/fd" | wc -l)"
	((maps)) && top_maps $pid
	kill $pid
	wait $pid || true
done
