#!/bin/bash
# Usage: t-ha-agent.sh
# ocf:nvmetd:nvmet against the real kernel target (6.12, one guest, no cluster): ocf-tester on the
# agent, then start / promote / demote / monitor / stop by hand with an initiator connected (nvme-cli,
# TCP, in the initiator namespace): configfs shows the ANA state of each role and this node's
# controller-ID range, the host sees the path inaccessible when unpromoted and optimized when promoted
# (nvme list-subsys) and reads through it only then, demote waits its drain grace, stop leaves no export.
# The agent runs nvmetd itself (NVMET_OCF_TEST_DAEMON: there is no systemd in this guest).
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
AGENT=${AGENT:-$(dirname "$NVMETCFG")/../../ocf/nvmet}
info "kernel $(uname -r)"
NQN=nqn.2024-01.io.nvmetd:ha
UUID=4a6f2a30-7c1e-4d2b-9b8e-2f3c4d5e6f70
# wait_for SECONDS command...: by the clock (each try forks, which costs much under TCG)
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.2; done; }
for f in /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs /usr/sbin/ocf-tester "$AGENT"; do
	[[ -e $f ]] || { nok "$f is there (resource-agents in the guest's root; the agent built)"; finish; }
done

# ---- the rig: one target address, the initiator in its namespace ----
ip netns list | grep -qw $NS || ip netns add $NS
ip -n $NS link set lo up
ip link add t1 type veth peer name i1
ip link set i1 netns $NS
ip addr add $TARGET_IP/24 dev t1; ip link set t1 up
ip -n $NS addr add $INIT_IP/24 dev i1; ip -n $NS link set i1 up
modprobe nvme-tcp; modprobe loop
truncate -s 256M $T/disk.img; disk=$(losetup --show -f $T/disk.img)
cat >$T/nvmf.conf <<EOC
[Cluster]
[AIO]
  AIO $disk D
[Subsystem1]
  NQN $NQN
  Listen TCP $TARGET_IP:4420
  AllowAnyHost Yes
  SN HA0001
  MN nvmetd-ha
  Namespace D 1 $UUID
EOC
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$T/nvmf.conf";
state_file = "/run/nvmetd/state.json";
irq_affinity = false;
on_stop = "clear";
EOC
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=p_nvmet OCF_RESKEY_config=$T/nvmf.conf OCF_RESKEY_nvmetcfg=$NVMETCFG \
	OCF_RESKEY_node_id=1 OCF_RESKEY_drain_grace=1 NVMET_OCF_TEST_DAEMON="$NVMETD -f -c $T/nvmetd.conf"
# agent ACTION: its exit status; agent_is WANT ACTION
agent_is() { local want=$1; shift; "$AGENT" "$@" >$T/agent.out 2>&1; local rc=$?; [[ $rc == "$want" ]] || { cat $T/agent.out; echo "exit $rc, want $want"; return 1; }; }
ana() { cat $CFS/ports/1/ana_groups/1/ana_state; }
host_ana() { nvme list-subsys "$dev" 2>/dev/null | grep "traddr=$TARGET_IP[ ,]" | grep -oE 'optimized|non-optimized|inaccessible|persistent-loss|change' | tail -n1; }
host_reads() { dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null; }

# ---- ocf-tester: probes, start/stop twice, promote/demote twice, validate-all, meta-data as nobody ----
env -u OCF_RESKEY_config -u OCF_RESKEY_nvmetcfg -u OCF_RESKEY_node_id -u OCF_ROOT \
	ocf-tester -n p_nvmet -o config=$T/nvmf.conf -o nvmetcfg=$NVMETCFG -o node_id=1 "$AGENT" >$T/tester.out 2>&1
check "ocf-tester passes against the kernel target" grep -q "passed all tests" $T/tester.out
grep -q "passed all tests" $T/tester.out || sed 's/^/#   /' $T/tester.out | tail -n 20
check "ocf-tester left no export" bash -c "[[ -z \$(ls -A $CFS/subsystems) && -z \$(ls -A $CFS/ports) ]]"

# ---- by hand, with a host connected ----
check "probe: not running (7)" agent_is 7 monitor
check "start" agent_is 0 start
expect_eq "unpromoted: the port listens, inaccessible" "$(ana) $(ls $CFS/ports/1/subsystems)" "inaccessible $NQN"
expect_eq "controller IDs of node 1: 1-8189" "$(cat $CFS/subsystems/$NQN/attr_cntlid_min)-$(cat $CFS/subsystems/$NQN/attr_cntlid_max)" "1-8189"
check "monitor: unpromoted (0)" agent_is 0 monitor
check "initiator connects (TCP)" ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4420 -n $NQN --reconnect-delay=1
cntlid=$(for c in /sys/class/nvme/nvme*; do [[ $(cat $c/subsysnqn 2>/dev/null) == "$NQN" ]] && cat $c/cntlid; done | head -n1)
check "the host's controller ID ($cntlid) is in this node's range" test "${cntlid:-0}" -ge 1 -a "${cntlid:-0}" -le 8189
# the host's path state (its multipath head has no block device while no path is accessible)
path_ana() { local c p; for c in /sys/class/nvme/nvme*; do [[ $(cat $c/subsysnqn 2>/dev/null) == "$NQN" ]] || continue
	for p in $c/nvme*c*n*; do [[ -e $p/ana_state ]] && cat $p/ana_state && return; done; done; }
check "the host sees the path inaccessible" wait_for 20 bash -c "[[ \$($(declare -f path_ana); NQN=$NQN path_ana) == inaccessible ]]"
check "promote" agent_is 0 promote
expect_eq "promoted: the port optimized" "$(ana)" optimized
check "monitor: promoted (8)" agent_is 8 monitor
check "the host sees the namespace" wait_for 30 fabric_dev $NQN
dev=$(fabric_dev $NQN)
check "the host sees the path optimized" wait_for 20 bash -c "[[ \$($(declare -f path_ana); NQN=$NQN path_ana) == optimized ]]"
check "the host reads through it" host_reads
t0=$(date +%s%N)
check "demote" agent_is 0 demote
info "demote took $(( ($(date +%s%N) - t0) / 1000000 )) ms (drain grace 1 s)"
expect_eq "demoted: inaccessible" "$(ana)" inaccessible
check "the host sees the path inaccessible again" wait_for 20 bash -c "[[ \$($(declare -f path_ana); NQN=$NQN path_ana) == inaccessible ]]"
nvme list-subsys $dev 2>&1 | sed 's/^/#   /' | head -n 8
check "promote again" agent_is 0 promote
check "a drain still wins over the promoted role" bash -c "'$NVMETCFG' drain $TARGET_IP:4420 >/dev/null; sleep 1; [[ \$(cat $CFS/ports/1/ana_groups/1/ana_state) == inaccessible ]]"
check "... and monitor calls a promoted node that serves nothing failed (9)" agent_is 9 monitor
check "resume: the promoted state comes back" bash -c "'$NVMETCFG' resume $TARGET_IP:4420 >/dev/null; for i in \$(seq 50); do [[ \$(cat $CFS/ports/1/ana_groups/1/ana_state) == optimized ]] && exit 0; sleep 0.1; done; exit 1"
check "monitor: promoted again (8)" agent_is 8 monitor
check "stop with the host connected" agent_is 0 stop
check "stop left no export" bash -c "[[ -z \$(ls -A $CFS/subsystems) && -z \$(ls -A $CFS/ports) ]]"
check "monitor after stop: not running (7)" agent_is 7 monitor
check "stop again: idempotent" agent_is 0 stop
ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1
losetup -d "$disk"
finish
