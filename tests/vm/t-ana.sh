#!/bin/bash
# Usage: t-ana.sh
# Multipath and NIC maintenance (6.12). Two target NICs and two initiator NICs, each pair joined by a
# bridge (the "switch", in its own namespace, so pulling a target NIC's cable leaves the initiator's
# carrier up); one subsystem reached over both with native NVMe multipath (round-robin) and two TCP
# paths (nvme-tcp's sockets live in the initiator's namespace; soft-RoCE's would take the loopback).
# Baseline: the fabric breaking beyond the target under fio stalls I/O for seconds. With `nvmetcfg
# drain` first: no I/O error and a worst completion latency well under a second. The target's own
# cable pulled without a drain: nvmetd sees the link go and makes the port inaccessible; the host sees the path inaccessible; a re-apply
# and an nvmetd reload leave the drain in place; resume makes it optimized again. nvmetd makes a port
# whose address is gone, or whose carrier is lost, inaccessible and restores it when it serves again.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
info "kernel $(uname -r)"
NQN=nqn.2024-01.io.nvmetd:mp
A1=192.168.20.200 A2=192.168.21.200
SW=switch
wait_for() { local s=$1 i; shift; for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# ---- the rig ----
ip netns add $NS; ip netns add $SW
ip -n $NS link set lo up; ip -n $SW link set lo up
for n in 1 2; do
	ip netns exec $SW ip link add br$n type bridge
	ip netns exec $SW ip link set br$n up
	ip link add t$n type veth peer name s${n}t
	ip link set s${n}t netns $SW
	ip link add i$n type veth peer name s${n}i
	ip link set i$n netns $NS
	ip link set s${n}i netns $SW
	ip -n $SW link set s${n}t master br$n; ip -n $SW link set s${n}t up
	ip -n $SW link set s${n}i master br$n; ip -n $SW link set s${n}i up
	ip addr add 192.168.2$((n - 1)).200/24 dev t$n; ip link set t$n up
	ip -n $NS addr add 192.168.2$((n - 1)).100/24 dev i$n; ip -n $NS link set i$n up
done
modprobe nvme-tcp; modprobe loop
truncate -s 256M $T/disk.img; disk=$(losetup --show -f $T/disk.img)
cat >$T/nvmf.conf <<EOC
[AIO]
  AIO $disk D
[Subsystem1]
  NQN $NQN
  Listen TCP $A1:4420
  Listen TCP $A2:4420
  AllowAnyHost Yes
  SN MP0001
  Namespace D 1
EOC
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$T/nvmf.conf";
state_file = "/run/nvmetd/state.json";
irq_affinity = false;
EOC
"$NVMETD" -f -c $T/nvmetd.conf >$T/nvmetd.log 2>&1 &
pid=$!
check "nvmetd serves both ports" wait_for 30 bash -c "ls $CFS/ports/1/subsystems/$NQN $CFS/ports/2/subsystems/$NQN"
[[ -e $CFS/ports/2/subsystems/$NQN ]] || { sed 's/^/#   nvmetd: /' $T/nvmetd.log | tail -n 20; finish; }
portof() { local p; for p in $CFS/ports/*; do [[ $(cat $p/addr_traddr) == "$1" ]] && basename $p; done; }
P1=$(portof $A1) P2=$(portof $A2)
ana() { cat $CFS/ports/$1/ana_groups/1/ana_state; }

connect_paths() {
	local a
	for a in $A1 $A2; do ip netns exec $NS nvme connect -t tcp -a $a -s 4420 -n $NQN --reconnect-delay=1 >/dev/null || return 1; done
	for s in /sys/class/nvme-subsystem/nvme-subsys*; do
		[[ $(cat $s/subsysnqn) == "$NQN" ]] && echo round-robin >$s/iopolicy
	done
	dev=$(fabric_dev $NQN) && [[ $(ls -d /sys/block/${dev#/dev/}/device/nvme* 2>/dev/null | wc -l) -ge 1 ]]
}
disconnect_paths() { ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1; sleep 1; }
# the host's view of the path through ADDR: its ANA state (nvme list-subsys on the multipath device)
host_ana() { nvme list-subsys "$dev" 2>/dev/null | grep "traddr=$1[ ,]" | grep -oE 'optimized|non-optimized|inaccessible|persistent-loss|change' | tail -n1; }
# fio over both paths in the background: randread, round-robin
fio_start() { fio --name=mp --filename=$dev --rw=randread --bs=4k --iodepth=8 --ioengine=libaio --direct=1 \
	--time_based --runtime=$1 --output-format=json --output=$T/fio-$2.json >/dev/null 2>&1 & fio_pid=$!; }
# "errors worst_ms MiB" of a fio run
fio_result() { /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print(j["error"], round(j["read"]["clat_ns"]["max"] / 1e6), j["read"]["io_bytes"] >> 20)' "$1"; }

# ---- baseline: the fabric breaks beyond the target (the switch's port to the host), I/O on both paths:
# the target sees nothing, the host stalls until it notices itself ----
check "initiator connects over both paths (native multipath, round-robin)" connect_paths
[[ -n ${dev:-} ]] || finish
info "multipath device $dev; paths: $(nvme list-subsys $dev 2>/dev/null | grep -o 'traddr=[^ ]*' | tr '\n' ' ')"
fio_start 16 base; sleep 3
ip -n $SW link set s1i down; sleep 10; ip -n $SW link set s1i up
wait $fio_pid
read -r berr bworst bmib <<<"$(fio_result $T/fio-base.json)"
info "undrained break beyond the target: fio errors $berr, worst completion $bworst ms, $bmib MiB read"
check "the rig reproduces the stall (undrained worst completion > 2 s)" test "$bworst" -gt 2000
disconnect_paths

# ---- the target's own cable pulled, no drain: nvmetd sees its link go and makes the port inaccessible
# at once, so hosts send new I/O to the other path (I/O already in flight on it still waits for the
# host's own timeout: the worst completion is reported, not asserted) ----
check "paths connected afresh" connect_paths
fio_start 16 pull; sleep 3
ip link set t1 down; sleep 10; ip link set t1 up
wait $fio_pid
read -r perr pworst pmib <<<"$(fio_result $T/fio-pull.json)"
info "undrained pull of the target's cable, nvmetd running: fio errors $perr, worst completion $pworst ms, $pmib MiB read"
expect_eq "target cable pulled without a drain: no I/O error" "$perr" 0
check "... nvmetd logged the port's link going" grep -q "cannot serve (link down)" $T/nvmetd.log
disconnect_paths

# ---- drained: the same pull, no stall ----
check "paths connected afresh" connect_paths
expect_eq "both paths optimized on the host" "$(host_ana $A1) $(host_ana $A2)" "optimized optimized"
fio_start 18 drain; sleep 3
out=$("$NVMETCFG" drain $A1:4420 2>&1); rc=$?
expect_eq "nvmetcfg drain $A1:4420" "$rc" 0
info "$(tr '\n' ' ' <<<"$out")"
expect_eq "... the target port's ANA group is inaccessible" "$(ana $P1)" inaccessible
check "... the host sees that path inaccessible (nvme list-subsys)" wait_for 10 bash -c "[[ \$(nvme list-subsys $dev | grep 'traddr=$A1[ ,]') == *inaccessible* ]]"
expect_eq "... the other path stays optimized" "$(host_ana $A2)" optimized
check "status lists the drain" bash -c "'$NVMETCFG' status | grep -q 'drained: $A1:4420'"
check "re-applying nvmf.conf" "$NVMETCFG" apply $T/nvmf.conf
expect_eq "... leaves the drain in place" "$(ana $P1)" inaccessible
kill -HUP $pid; sleep 2
expect_eq "an nvmetd reload leaves it in place" "$(ana $P1)" inaccessible
ip -n $SW link set s1i down; sleep 5; ip -n $SW link set s1i up
wait $fio_pid
read -r derr dworst dmib <<<"$(fio_result $T/fio-drain.json)"
info "drained break beyond the target: fio errors $derr, worst completion $dworst ms, $dmib MiB read (undrained: $bworst ms)"
expect_eq "drained break: no I/O error" "$derr" 0
check "... worst completion well under a second" test "$dworst" -lt 1000
check "... I/O went on (more than 1 MiB read)" test "$dmib" -gt 1
disconnect_paths
check "paths connected afresh after the pull" connect_paths
check "the drain outlived the pull: the host finds that path inaccessible" wait_for 10 bash -c "[[ \$(nvme list-subsys $dev | grep 'traddr=$A1[ ,]') == *inaccessible* ]]"
check "nvmetcfg resume $A1:4420" "$NVMETCFG" resume $A1:4420
expect_eq "... the port is optimized again" "$(ana $P1)" optimized
check "... and the host sees it optimized" wait_for 10 bash -c "[[ \$(nvme list-subsys $dev | grep 'traddr=$A1[ ,]') == *' optimized'* ]]"
check "status no longer lists it" bash -c "! '$NVMETCFG' status | grep -q 'drained:'"
disconnect_paths

# ---- a drain outlives an nvmetd restart (it is not in the unit's runtime directory) ----
"$NVMETCFG" drain $A1:4420 >/dev/null
kill $pid; wait $pid
"$NVMETD" -f -c $T/nvmetd.conf >>$T/nvmetd.log 2>&1 &
pid=$!
wait_for 30 bash -c "ls $CFS/ports/*/subsystems/$NQN" >/dev/null
P1=$(portof $A1) P2=$(portof $A2)
check "a drain outlives an nvmetd restart" wait_for 10 bash -c "[[ \$(cat $CFS/ports/$P1/ana_groups/1/ana_state) == inaccessible ]]"
"$NVMETCFG" resume $A1:4420 >/dev/null
expect_eq "... until resume" "$(ana $P1)" optimized

# ---- health: a port whose address goes away ----
ip addr del $A2/24 dev t2
check "nvmetd makes the port whose address went away inaccessible" wait_for 15 bash -c "[[ \$(cat $CFS/ports/$P2/ana_groups/1/ana_state) == inaccessible ]]"
expect_eq "... the other port stays optimized" "$(ana $P1)" optimized
ip addr add $A2/24 dev t2
check "... and optimized again when the address returns" wait_for 15 bash -c "[[ \$(cat $CFS/ports/$P2/ana_groups/1/ana_state) == optimized ]]"

# ---- health: the target's cable pulled — carrier lost, the address stays ----
ip -n $SW link set s2t down
check "carrier lost on t2, address kept: nvmetd makes its port inaccessible" wait_for 15 bash -c "[[ \$(cat $CFS/ports/$P2/ana_groups/1/ana_state) == inaccessible ]]"
check "... t2 still holds its address" bash -c "ip -4 addr show dev t2 | grep -q $A2"
expect_eq "... the other port stays optimized" "$(ana $P1)" optimized
"$NVMETCFG" status >$T/status 2>&1
check "... status shows the port's link down" grep -qE "^port .*$A2.* link down" $T/status
grep -E "$A2" $T/status | sed 's/^/#   status: /'
ip -n $SW link set s2t up
check "... optimized again when carrier returns" wait_for 15 bash -c "[[ \$(cat $CFS/ports/$P2/ana_groups/1/ana_state) == optimized ]]"
check "... and status says listening" wait_for 5 bash -c "'$NVMETCFG' status | grep -qE '^port .*$A2.* listening'"

kill $pid; wait $pid
grep -E 'ANA|drain|health|inaccessible' $T/nvmetd.log | sed 's/^/#   nvmetd: /' | head -10
losetup -d $disk 2>/dev/null
finish
