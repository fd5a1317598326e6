#!/bin/bash
# Re-applying changed configs to a live target with a connected initiator: host access control,
# adding a namespace, adding a second subsystem on the same port, moving a port to another address,
# removing, moving namespaces to other devices (replaced side by side, rolled back on a refusal); a
# frozen serial number refused up front; files hosts would see as 0 bytes refused; SIGTERM mid-apply
# rolls back; the apply lock outlives /run/nvmetd.
# Usage: t-reapply.sh [tcp|rdma]
. "$(dirname "$0")/guest-lib.sh"
tr=${1:-tcp}
TR=${tr^^}
info "transport $tr, kernel $(uname -r)"
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
net_setup "$tr"
modprobe nvme-$tr
HOST=nqn.2016-06.io.spdk:init
OTHER=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000dead
# [AIO] block devices like the SPDK guide's "AIO /dev/sdb AIO0": loop devices over files
modprobe loop
truncate -s 64M $T/aio0.img $T/aio1.img
AIO0=$(losetup --show -f $T/aio0.img)
AIO1=$(losetup --show -f $T/aio1.img)

base() { # listen-address extra-subsystem1-lines extra-sections
	cat <<EOC
[Nvmf]
  MaxQueuesPerSession 4
[Nvme]
  TransportID "trtype:PCIe traddr:$bdf" Nvme0
[AIO]
  AIO $AIO0 AIO0
  AIO $AIO1 AIO1
[Subsystem1]
  NQN nqn.2016-06.io.spdk:cnode1
  Listen $TR $1:4420
  AllowAnyHost No
  Host $HOST
  SN SPDK00000000000001
  Namespace Nvme0n1 1
${2:-}
${3:-}
EOC
}

apply_ok() { # description conf
	local out rc
	out=$("$NVMETCFG" -v apply "$2" 2>&1); rc=$?
	echo "$out" | sed 's/^/#   /'
	expect_eq "$1: apply succeeds" "$rc" 0
	out=$("$NVMETCFG" apply "$2" 2>/dev/null)
	expect_eq "$1: re-apply writes nothing" "$(tail -n1 <<<"$out")" "$2: 0 changes applied"
}

# each host NQN with its own host ID (the kernel refuses one host ID under two NQNs)
connect() {
	local id=00000000-0000-4000-8000-000000000001
	[[ $3 == "$OTHER" ]] && id=00000000-0000-4000-8000-00000000dead
	ip netns exec $NS nvme connect -t $tr -a "$1" -s 4420 -n "$2" --hostnqn="$3" --hostid=$id 2>&1
}

# 1. access control
base $TARGET_IP >$T/c1.conf
apply_ok "ACL config" $T/c1.conf
S=$CFS/subsystems/nqn.2016-06.io.spdk:cnode1
expect_eq "attr_allow_any_host 0" "$(cat $S/attr_allow_any_host)" 0
check "allowed_hosts links $HOST" test -L "$S/allowed_hosts/$HOST"
out=$(connect $TARGET_IP nqn.2016-06.io.spdk:cnode1 $OTHER); rc=$?
info "other host: rc=$rc $out"
check "a host not listed is refused" test "$rc" != 0
check "the listed host connects" connect $TARGET_IP nqn.2016-06.io.spdk:cnode1 $HOST
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) && ok "cnode1 namespace is $dev" || nok "cnode1 namespace appeared"
ctrl=$(basename "$(dirname "$(readlink -f /sys/block/${dev#/dev/}/device)")" 2>/dev/null)

# 2. add a namespace while connected
base $TARGET_IP "  Namespace AIO0 2" >$T/c2.conf
"$NVMETCFG" plan $T/c2.conf >$T/plan2; sed 's/^/#   /' $T/plan2
check "plan for a new namespace only adds it" bash -c "grep -q 'namespaces/2' $T/plan2 && ! grep -qE 'rmdir|unlink|namespaces/1' $T/plan2"
apply_ok "add namespace 2" $T/c2.conf
n2=""
for i in $(seq 1 100); do
	n2=$(ls -d /sys/block/nvme*n2 2>/dev/null | grep -E '/nvme[0-9]+n2$' | while read -r b; do
		[[ $(cat "$b/device/subsysnqn" 2>/dev/null) == nqn.2016-06.io.spdk:cnode1 ]] && basename "$b"; done | head -n1)
	[[ -n $n2 ]] && break
	sleep 0.1
done
if [[ -n $n2 ]]; then ok "connected initiator sees namespace 2 as /dev/$n2"; else nok "connected initiator sees namespace 2"; fi
check "namespace 1 still reads" dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none

# 3. a second subsystem on the same port
base $TARGET_IP "  Namespace AIO0 2" "[Subsystem2]
  NQN nqn.2016-06.io.spdk:cnode2
  Listen $TR $TARGET_IP:4420
  AllowAnyHost Yes
  SN SPDK00000000000002
  Namespace AIO1 1" >$T/c3.conf
apply_ok "add subsystem 2 on the same port" $T/c3.conf
expect_eq "still one port" "$(ls $CFS/ports | wc -l)" 1
out=$(ip netns exec $NS nvme discover -t $tr -a $TARGET_IP -s 4420 --hostnqn=$HOST --hostid=00000000-0000-4000-8000-000000000001 2>&1)
check "discover lists cnode1 and cnode2" bash -c "grep -q 'subnqn: *nqn.2016-06.io.spdk:cnode1' <<<'$out' && grep -q 'subnqn: *nqn.2016-06.io.spdk:cnode2' <<<'$out'"
check "cnode1's connection kept working" dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none
check "any host connects to cnode2" connect $TARGET_IP nqn.2016-06.io.spdk:cnode2 $OTHER
dev2=$(fabric_dev nqn.2016-06.io.spdk:cnode2) && ok "cnode2 namespace is $dev2" || nok "cnode2 namespace appeared"

# 4. move the port to another address: same port, unlinked, re-addressed, relinked
ip addr add 192.168.20.201/24 dev veth-t
portid=$(ls $CFS/ports)
sed "s/$TARGET_IP:4420/192.168.20.201:4420/" $T/c3.conf >$T/c4.conf
"$NVMETCFG" plan $T/c4.conf >$T/plan4; sed 's/^/#   /' $T/plan4
check "plan: unlink, change the address, relink" bash -c "grep -q 'unlink' $T/plan4 && grep -q 'ports/$portid/addr_traddr = 192.168.20.201' $T/plan4 && grep -q '  link   ports/$portid/' $T/plan4"
apply_ok "move the port" $T/c4.conf
expect_eq "same port id" "$(ls $CFS/ports)" "$portid"
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
out=$(ip netns exec $NS nvme discover -t $tr -a 192.168.20.201 -s 4420 --hostnqn=$HOST --hostid=00000000-0000-4000-8000-000000000001 2>&1)
check "discover at the new address lists cnode1" grep -q 'subnqn: *nqn.2016-06.io.spdk:cnode1' <<<"$out"
out=$(ip netns exec $NS nvme discover -t $tr -a $TARGET_IP -s 4420 --hostnqn=$HOST --hostid=00000000-0000-4000-8000-000000000001 2>&1); rc=$?
check "the old address no longer answers" test "$rc" != 0
check "the listed host reconnects at the new address" connect 192.168.20.201 nqn.2016-06.io.spdk:cnode1 $HOST
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) && ok "cnode1 back as $dev" || nok "cnode1 back after the move"
check "I/O after the move" dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1

# 5. removing things: back to the first config removes subsystem 2 and namespace 2
apply_ok "back to the first config" $T/c1.conf
expect_eq "cnode2 removed" "$(ls $CFS/subsystems)" nqn.2016-06.io.spdk:cnode1
expect_eq "namespace 2 removed" "$(ls $S/namespaces)" 1

# 6. several namespaces moved to other devices while a host is connected: each is replaced (rmdir,
#    mkdir, the identity the host knows written back, enable) so the kernel's waits overlap, and the
#    host reads the new data under the same identity; a kernel refusal in the middle (a file on a
#    read-only mount) rolls all of it back
mark() { printf '%-512s' "$2" | dd of="$1" bs=512 count=1 conv=notrunc oflag=direct status=none; }
mark $AIO0 NVTEST-AIO0
mark $AIO1 NVTEST-AIO1
reads() { dd if="$1" bs=512 count=1 iflag=direct status=none 2>/dev/null | tr -d ' '; }
# the host's view: the namespace's device (rescanned after the change) reads $3 and has wwid $4
host_sees() { # nsid description marker wwid
	local d i
	for i in $(seq 1 50); do
		d=$(fabric_dev nqn.2016-06.io.spdk:cnode1 "$1") && [[ $(reads "$d") == "$3" && $(cat /sys/block/${d#/dev/}/wwid) == "$4" ]] &&
			{ ok "$2 ($d reads $3)"; return; }
		sleep 0.2
	done
	nok "$2: ${d:-no device} reads '$(reads "${d:-/dev/null}")', wwid $(cat /sys/block/${d#/dev/}/wwid 2>/dev/null)"
}
base $TARGET_IP "  Namespace AIO0 2
  Namespace AIO1 3" >$T/m1.conf
base $TARGET_IP "  Namespace AIO1 2
  Namespace AIO0 3" >$T/m2.conf
mkdir -p $T/rofs /mnt/nvt-ro
truncate -s 64M $T/rofs.img && mkfs.ext4 -q -F $T/rofs.img && mount -o loop $T/rofs.img $T/rofs
truncate -s 8M $T/rofs/ro.img && mount --bind -o ro $T/rofs /mnt/nvt-ro
sed "s|  AIO $AIO1 AIO1|  AIO /mnt/nvt-ro/ro.img AIO1|" $T/m1.conf >$T/m3.conf
apply_ok "two more namespaces" $T/m1.conf
check "the listed host connects" connect $TARGET_IP nqn.2016-06.io.spdk:cnode1 $HOST
d2=$(fabric_dev nqn.2016-06.io.spdk:cnode1 2) && d3=$(fabric_dev nqn.2016-06.io.spdk:cnode1 3)
w2=$(cat /sys/block/${d2#/dev/}/wwid 2>/dev/null) w3=$(cat /sys/block/${d3#/dev/}/wwid 2>/dev/null)
info "host: namespace 2 $d2 ($w2), namespace 3 $d3 ($w3)"
host_sees 2 "before: namespace 2 is AIO0" NVTEST-AIO0 "$w2"
u2=$(cat $S/namespaces/2/device_uuid) u3=$(cat $S/namespaces/3/device_uuid)
out=$("$NVMETCFG" -v apply $T/m2.conf 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
expect_eq "swap the two namespaces' devices" "$rc" 0
check "... by replacing them (rmdir, mkdir), not disabling in place" bash -c "grep -q 'rmdir  subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/2' <<<'$out' &&
	grep -q 'rmdir  subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/3' <<<'$out' && ! grep -q 'enable = 0' <<<'$out'"
expect_eq "the target's namespaces kept their device_uuid" "$(cat $S/namespaces/2/device_uuid) $(cat $S/namespaces/3/device_uuid)" "$u2 $u3"
expect_eq "... and moved" "$(cat $S/namespaces/2/device_path) $(cat $S/namespaces/3/device_path)" "$AIO1 $AIO0"
host_sees 2 "the host reads namespace 2's new data under the same identity" NVTEST-AIO1 "$w2"
host_sees 3 "... and namespace 3's" NVTEST-AIO0 "$w3"
before=$(cd $S && grep -r '' namespaces | sort)
out=$("$NVMETCFG" apply $T/m3.conf 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
expect_eq "a namespace on a read-only mount among the moves: exit 1" "$rc" 1
check "... the kernel's reason named" grep -q "Read-only file system" <<<"$out"
expect_eq "... every namespace back as it was (path, identity, enabled)" "$(cd $S && grep -r '' namespaces | sort)" "$before"
host_sees 2 "... the host reads namespace 2 as before the failed apply" NVTEST-AIO1 "$w2"
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
check "nvmetcfg clear" "$NVMETCFG" clear
umount /mnt/nvt-ro $T/rofs

# 7. identity the kernel freezes: a host has identified the subsystem, its serial number cannot change
ident() { # serial
	cat <<EOC
[AIO]
  AIO $AIO0 AIO0
[Subsystem1]
  NQN nqn.2016-06.io.spdk:frozen
  Listen $TR $TARGET_IP:4420
  AllowAnyHost Yes
  SN $1
  Namespace AIO0 1
EOC
}
ident FROZEN1 >$T/f1.conf; ident FROZEN2 >$T/f2.conf
apply_ok "a subsystem with serial FROZEN1" $T/f1.conf
connect $TARGET_IP nqn.2016-06.io.spdk:frozen $HOST >/dev/null
fabric_dev nqn.2016-06.io.spdk:frozen >/dev/null
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
"$NVMETCFG" apply $T/f2.conf >$T/f2.out 2>&1; rc=$?
sed 's/^/#   /' $T/f2.out
expect_eq "a new serial number for a subsystem a host identified: refused up front (exit 2)" "$rc" 2
check "... naming the subsystem and the way out" bash -c "grep -qF 'subsystem nqn.2016-06.io.spdk:frozen: serial number FROZEN1 -> FROZEN2' $T/f2.out && grep -qF 'remove the subsystem and add it again' $T/f2.out"
expect_eq "... nothing changed" "$(tr -d ' ' <$CFS/subsystems/nqn.2016-06.io.spdk:frozen/attr_serial)" FROZEN1
check "... and the kernel was not asked (no 'Can't set serial number' in its log)" bash -c "! dmesg | grep -q \"Can't set serial number\""
check "nvmetcfg clear" "$NVMETCFG" clear

# 7b. backing files nvmet would enable but hosts could not use: a file on overlayfs (the guest's root;
# nvmet exports it with 1-byte blocks, which the Linux host sizes as 0) and an empty file
info "the guest's root is on $(stat -f -c %T /)"
truncate -s 64M /nvt-overlay.img; : >$T/empty.img
for f in /nvt-overlay.img:"is on overlayfs" $T/empty.img:"is 0 bytes"; do
	printf '[AIO]\n  AIO %s AIOZ\n[Subsystem1]\n  NQN nqn.2016-06.io.spdk:zero\n  Listen %s %s:4420\n  AllowAnyHost Yes\n  SN ZERO1\n  Namespace AIOZ 1\n' \
		"${f%%:*}" $TR $TARGET_IP >$T/zero.conf
	before=$(cfs_snapshot)
	"$NVMETCFG" apply $T/zero.conf >$T/zero.out 2>&1; rc=$?
	sed 's/^/#   /' $T/zero.out | head -n 3
	expect_eq "a namespace on ${f%%:*}: apply refuses it (exit 2)" $rc 2
	check "... naming the file and why (${f#*:})" grep -qF "${f%%:*} ${f#*:}" $T/zero.out
	expect_eq "... nothing changed" "$(cfs_snapshot)" "$before"
done
rm -f /nvt-overlay.img

# 8. an apply interrupted by SIGTERM rolls back: 1000 subsystems, killed half-way
{
	echo "[Subsystem0]"; echo "  NQN nqn.2016-06.io.spdk:sig0"; echo "  Listen $TR $TARGET_IP:4420"; echo "  AllowAnyHost Yes"; echo "  SN SIG0"
	for i in $(seq 1 999); do printf '[Subsystem%d]\n  NQN nqn.2016-06.io.spdk:sig%d\n  Listen %s %s:4420\n  AllowAnyHost Yes\n  SN SIG%d\n' $i $i $TR $TARGET_IP $i; done
} >$T/big.conf
before=$(cfs_snapshot)
# The apply is frozen (SIGSTOP) the moment its first subsystem appears — a loop of shell builtins, no
# fork, so no race with an apply that a fast machine finishes — then SIGTERM waits for SIGCONT.
"$NVMETCFG" -v apply $T/big.conf >$T/sig.out 2>&1 & apid=$!
first=
while [[ -z $first ]] && kill -0 $apid 2>/dev/null; do
	for d in $CFS/subsystems/*; do [[ -e $d ]] && { first=$d; break; }; done
done
kill -STOP $apid
made=$(ls $CFS/subsystems | wc -l)
kill -TERM $apid; kill -CONT $apid; wait $apid; rc=$?
tail -n 3 $T/sig.out | sed 's/^/#   /'
info "SIGTERM after $made subsystems were made: exit $rc"
check "SIGTERM mid-apply: the apply was under way ($made subsystems) and did not finish" test "$made" -ge 1 -a "$made" -lt 1000 -a "$rc" -ne 0
check "... it says it was interrupted and rolled back" grep -qi "interrupted.*rolled back" $T/sig.out
expect_eq "... the tree is exactly as before" "$(cfs_snapshot)" "$before"

# 9. the apply lock outlives nvmetd's runtime directory (systemd deletes /run/nvmetd at every stop)
mkdir -p /run/nvmetd
flock /run/nvmet/apply.lock sleep 4 & holder=$!
sleep 0.5
rm -rf /run/nvmetd
t0=$(date +%s%N)
out=$("$NVMETCFG" apply $T/f1.conf 2>&1); rc=$?
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $holder
info "apply with the lock held and /run/nvmetd wiped: exit $rc after $waited ms"
check "an apply started while /run/nvmetd is wiped waits for the lock holder (${waited} ms)" test "$waited" -ge 2500 -a "$rc" -eq 0
check "nvmetcfg clear" "$NVMETCFG" clear
finish
