#!/bin/bash
# Host side of the two-node rig: two 6.12 guests under real systemd (nodeA, nodeB), one disk image
# shared by both (the namespace), a point-to-point link between them (qemu dgram sockets on
# 127.0.0.1: connectionless, so a restarted guest is back on the same wire), and a rendezvous
# directory both mount. Node B drives the scenarios (ha-node.sh, ha-scenarios.sh) and asks, with
# files, for node A's qemu to be killed (-9: a crash, not a shutdown) or booted again.
# Usage: t-ha-host.sh KERNEL [inaccessible|non-optimized]: the unpromoted node's ANA state (the agent's
# standby_state; the shared disk allows non-optimized, which keeps I/O flowing through a switchover)
# Each guest gets one vCPU (NVMETD_HA_SMP, default 1): two guests' vCPU threads then fit the host's two
# cores, and the whole rig took 350 s against 517-611 s with two vCPUs each.
set -u
here=$(cd "$(dirname "$0")" && pwd)
k=${1:-6.12} standby=${2:-inaccessible}
build=${NVMETD_BUILD:-$here/../../build}
W=$(mktemp -d /var/tmp/nvmetd-ha.XXXXXX)
stage=$build/ha-stage   # inside the project tree: the guests see it at /nvtest-src
cleanup() {
	local f
	for f in "$W"/*.qpid; do [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null; done
	rm -rf "$W" "$stage"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
mkdir -p "$W/ha"
truncate -s 256M "$W/shared.img"

rm -rf "$stage"
if make -C "$build" install DESTDIR="$stage" >"$W/install.log" 2>&1; then ok "make install DESTDIR=…"; else nok "make install"; cat "$W/install.log"; fi

boot() { # node boot-number: vm.sh in the background, its qemu's pid in $W/node.qpid
	local node=$1 n=$2 id port peer
	id=$([[ $node == nodeA ]] && echo 1 || echo 2)
	port=$((47000 + id)); peer=$((47000 + 3 - id))
	local extra="-drive file=$W/shared.img,if=none,id=sh,format=raw,cache=writeback,file.locking=off
		-device virtio-blk-pci,drive=sh,serial=NVTEST-HA-SHARED,share-rw=on,bus=pcie.0
		-netdev dgram,id=hb,local.type=inet,local.host=127.0.0.1,local.port=$port,remote.type=inet,remote.host=127.0.0.1,remote.port=$peer
		-device virtio-net-pci,netdev=hb,mac=52:54:00:a0:00:0$id,bus=pcie.0
		-fsdev local,id=fsha,path=$W/ha,security_model=none -device virtio-9p-pci,fsdev=fsha,mount_tag=ha,bus=pcie.0"
	NVMETD_VM_INIT=systemd NVMETD_VM_SMP=${NVMETD_HA_SMP:-1} NVMETD_VM_TIMEOUT=${NVMETD_HA_TIMEOUT:-1800} \
		NVMETD_VM_PIDFILE=$W/$node.qpid NVMETD_VM_QEMU_EXTRA="$extra" \
		"$here/vm.sh" run "$k" "$here/ha-node.sh" "$node" "$stage" "$n" "$standby" "$([[ -n ${NVMETD_HA_KEEP:-} ]] && echo yes || echo no)" >"$W/$node.$n.out" 2>&1 &
	echo $! >"$W/$node.vm"
}

boot nodeA 1
boot nodeB 1
bpid=$(cat "$W/nodeB.vm")
# serve node B's requests until its guest ends
nA=1
while kill -0 "$bpid" 2>/dev/null; do
	if [[ -e $W/ha/kill-A.req && ! -e $W/ha/kill-A.done ]]; then
		kill -9 "$(cat "$W/nodeA.qpid")" 2>/dev/null
		wait "$(cat "$W/nodeA.vm")" 2>/dev/null
		echo "# host: node A's qemu killed (-9)"
		date +%s.%N >"$W/ha/kill-A.done"
	fi
	if [[ -e $W/ha/restart-A.req && ! -e $W/ha/restart-A.done ]]; then
		rm -f "$W/ha/nodeA.up" "$W/ha/nodeA.up.seen"
		nA=$((nA + 1)); boot nodeA $nA
		echo "# host: node A booted again"
		date +%s.%N >"$W/ha/restart-A.done"
	fi
	for f in "$W"/ha/*; do # the rendezvous as it happens, with the time since the start
		[[ -e $f && ! -e $f.seen ]] || continue
		[[ $f == *.seen || $f == *.role* || $f == *.tmp ]] && continue
		: >"$f.seen"; echo "# host: +$SECONDS s ${f##*/}"
	done
	sleep 1
done
wait "$bpid"; rcB=$?
echo "# host: +$SECONDS s node B's guest ended"
[[ -e $W/ha/end ]] || date +%s.%N >"$W/ha/end"
# node A powers off once it sees "end"
apid=$(cat "$W/nodeA.vm")
for _ in $(seq 1 180); do kill -0 "$apid" 2>/dev/null || break; sleep 1; done
kill -0 "$apid" 2>/dev/null && { kill -9 "$(cat "$W/nodeA.qpid")" 2>/dev/null; echo "# host: node A did not power off; killed"; }
wait "$apid" 2>/dev/null

for f in "$W"/nodeA.*.out; do
	echo "# --- $(basename "$f" .out)"
	grep -E '^(ok|not ok|#)' "$f" | grep -vE '^# [0-9]+ passed' | sed 's/^/# A: /'
done
echo "# --- nodeB"
grep -E '^(ok|not ok|#)' "$W/nodeB.1.out" | grep -vE '^# [0-9]+ passed'
((rcB == 0)) || tail -n 40 "$W/nodeB.1.out" | sed 's/^/#   /'
line=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' "$W/nodeB.1.out" | tail -n1)
p=$(sed -n 's/^# \([0-9]*\) passed.*/\1/p' <<<"$line"); f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
echo "# $pass passed, $fail failed"
if ((fail)) || [[ -n ${NVMETD_HA_KEEP:-} ]]; then # what each node logged, for a look afterwards
	keep=${NVMETD_HA_KEEP:-/var/tmp/nvmetd-ha-last}
	rm -rf "$keep" && mkdir -p "$keep" && cp -r "$W"/ha/. "$W"/*.out "$keep"/ 2>/dev/null
	echo "# the nodes' logs and journals: $keep"
fi
((fail == 0))
