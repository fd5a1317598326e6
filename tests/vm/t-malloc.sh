#!/bin/bash
# [Malloc] RAM disks: null_blk memory-backed devices made through configfs, exported, used by an
# initiator over TCP, kept across re-applies, removed when no longer configured.
. "$(dirname "$0")/guest-lib.sh"
net_setup tcp
modprobe nvme-tcp
cat >$T/m.conf <<EOC
[Malloc]
  NumberOfLuns 2
  LunSizeInMB 64
  BlockSize 4096
[Subsystem1]
  NQN nqn.2016-06.io.spdk:ram
  Listen TCP $TARGET_IP:4420
  AllowAnyHost Yes
  SN RAM0001
  Namespace Malloc0 1
  Namespace Malloc1 2
EOC
"$NVMETCFG" plan $T/m.conf >$T/plan 2>&1; sed 's/^/#   /' $T/plan
check "plan makes no RAM disk" test ! -d /sys/kernel/config/nullb/nvmetd-Malloc0
check "apply" "$NVMETCFG" apply $T/m.conf
S=$CFS/subsystems/nqn.2016-06.io.spdk:ram
d1=$(cat $S/namespaces/1/device_path); d2=$(cat $S/namespaces/2/device_path)
info "Malloc0 -> $d1, Malloc1 -> $d2"
if [[ -b $d1 && $(readlink -f /sys/class/block/${d1#/dev/}) == */virtual/block/* ]]; then ok "Malloc0 is a null_blk device"; else nok "Malloc0 is a null_blk device ($d1)"; fi
expect_eq "Malloc0 is 64 MiB" "$(blockdev --getsize64 $d1)" $((64 << 20))
expect_eq "with 4096-byte blocks" "$(blockdev --getss $d1)" 4096
expect_eq "memory backed" "$(cat /sys/kernel/config/nullb/nvmetd-Malloc0/memory_backed)" 1
out=$("$NVMETCFG" apply $T/m.conf 2>/dev/null)
expect_eq "re-apply writes nothing" "$out" "$T/m.conf: 0 changes applied"
check "connect" ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4420 -n nqn.2016-06.io.spdk:ram
dev=$(fabric_dev nqn.2016-06.io.spdk:ram) && ok "fabric device $dev" || nok "fabric device"
head -c 1M /dev/urandom >$T/a
dd if=$T/a of=$dev bs=1M count=1 oflag=direct status=none
dd if=$d1 of=$T/b bs=1M count=1 iflag=direct status=none
check "data written through the fabric is in the RAM disk" cmp $T/a $T/b
ip netns exec $NS nvme disconnect-all >/dev/null
sed -i 's/NumberOfLuns 2/NumberOfLuns 1/; /Namespace Malloc1 2/d' $T/m.conf
check "apply with one RAM disk less" "$NVMETCFG" apply $T/m.conf
check "the unused RAM disk is removed" test ! -d /sys/kernel/config/nullb/nvmetd-Malloc1
check "clear" "$NVMETCFG" clear
expect_eq "clear removes nvmetd's RAM disks" "$(ls /sys/kernel/config/nullb | grep -c nvmetd-)" 0
finish
