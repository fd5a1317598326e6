#!/bin/bash
# The main job, shown to a newcomer inside the guest: the kernel target comes up from the SPDK
# guide's nvmf.conf and serves the guest's NVMe SSD over RoCEv2 (soft-RoCE) to an initiator in its
# own network namespace, which discovers, connects, lists the device and runs fio.
. "$(dirname "$0")/guest-lib.sh"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "guest: Linux $(uname -r), $(nproc) CPUs on $(ls -d /sys/devices/system/node/node* | wc -l) NUMA nodes"
bdf=$(ssd_bdf) || { echo "no SSD"; exit 1; }
echo "NVMe SSD (serial NVMETD-SSD-0001) at PCI $bdf, NUMA node $(cat /sys/bus/pci/devices/$bdf/numa_node), kernel name $(ssd_dev)"
net_setup rdma
echo "target: veth-t $TARGET_IP with RDMA device rxe_t; initiator: namespace '$NS', veth-i $INIT_IP with rxe_i"
run rdma link show

say "the SPDK guide's nvmf.conf, with this machine's PCI address"
guide_conf "$bdf" /etc/nvmf.conf 2>/dev/null || guide_conf "$bdf" "$T/nvmf.conf"
conf=/etc/nvmf.conf; [[ -s $conf ]] || conf=$T/nvmf.conf
cat "$conf"

say "nvmetcfg check: what each key becomes on the kernel target"
run "$NVMETCFG" check "$conf"

say "nvmetcfg apply"
run "$NVMETCFG" -v apply "$conf"; rc=$?
[[ $rc == 0 ]] || { echo "apply failed ($rc)"; exit 1; }
say "applying again changes nothing"
run "$NVMETCFG" apply "$conf" 2>/dev/null

say "nvmetcfg show: the live kernel target as nvmf.conf"
run "$NVMETCFG" show

say "initiator: nvme discover / connect over RoCEv2"
modprobe nvme-rdma
run ip netns exec $NS nvme discover -t rdma -a $TARGET_IP -s 4791 || exit 1
run ip netns exec $NS nvme connect -t rdma -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791 || exit 1
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) || { echo "no fabric device"; exit 1; }
run nvme list

say "fio: sequential read through the fabric (soft-RoCE under TCG emulation: correct, not fast)"
run fio --name=seqread --filename="$dev" --rw=read --bs=128k --iodepth=16 --direct=1 --ioengine=libaio \
	--size=32M --group_reporting | grep -E 'READ:|read:|lat \(usec\): min' | head -n 4

say "disconnect and clear"
run ip netns exec $NS nvme disconnect -n nqn.2016-06.io.spdk:cnode1
run "$NVMETCFG" clear
echo
echo "demo finished: the kernel target served the SSD over RoCEv2 from an unchanged SPDK nvmf.conf"
