#!/bin/bash
# ReactorMask -> NUMA-local IRQ affinity: the SSD and the RoCE NIC sit on NUMA node 1 (CPUs 2-3);
# nvmetd writes their IRQs' affinity and reports the ones the kernel manages itself.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
wait_for() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do (( $(date +%s) >= end )) && return 1; sleep 0.1; done; }
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
modprobe virtio_net   # no udevd in this guest to load it
nic_name() { for n in /sys/class/net/*; do [[ -e $n/device ]] && basename $n; done | head -n1; }
wait_for 20 test -n "$(nic_name)"
nic=$(nic_name)
nicbdf=$(basename "$(dirname "$(readlink -f /sys/class/net/$nic/device)")")
info "SSD $bdf (node $(cat /sys/bus/pci/devices/$bdf/numa_node)), NIC $nic $nicbdf (node $(cat /sys/bus/pci/devices/$nicbdf/numa_node)); node1 CPUs $(cat /sys/devices/system/node/node1/cpulist)"
ip addr add 10.77.0.1/24 dev $nic
ip link set $nic up
modprobe rdma_rxe
rdma link add rxe_v type rxe netdev $nic
conf=$T/nvmf.conf
guide_conf "$bdf" "$conf"
sed -i 's/192.168.20.200:4791/10.77.0.1:4420/' "$conf"
printf 'nvmf_conf = "%s";\nstate_file = "%s";\n' "$conf" "$T/state.json" >$T/nvmetd.conf
export NVMETD_STATE=$T/state.json
"$NVMETD" --foreground --config $T/nvmetd.conf >$T/log 2>&1 &
pid=$!
check "nvmetd up" wait_for 60 test -s $T/state.json
"$NVMETCFG" status >$T/status; sed 's/^/#   /' $T/status
dev_field() { python3 -c "
import json
for d in json.load(open('$T/state.json'))['devices']:
    if d['pci'] == '$1': print(d['$2'] if not isinstance(d['$2'], list) else ' '.join(map(str, d['$2'])))"; }
expect_eq "SSD on NUMA node 1" "$(dev_field $bdf numa_node)" 1
expect_eq "SSD CPUs = ReactorMask 0x0F ∩ node 1" "$(dev_field $bdf cpus)" 2-3
expect_eq "NIC CPUs = ReactorMask 0x0F ∩ node 1" "$(dev_field $nicbdf cpus)" 2-3
pinned="$(dev_field $bdf irqs_pinned) $(dev_field $nicbdf irqs_pinned)"
managed=$(dev_field $bdf irqs_kernel_managed)
info "pinned IRQs: $pinned; kernel-managed (NVMe I/O queues): $managed"
check "some IRQs were pinned" test -n "${pinned// /}"
bad=""
for i in $pinned; do [[ $(cat /proc/irq/$i/smp_affinity_list) == 2-3 ]] || bad+=" $i=$(cat /proc/irq/$i/smp_affinity_list)"; done
expect_eq "every pinned IRQ reads back 2-3 from /proc/irq/N/smp_affinity_list" "$bad" ""
check "NVMe I/O queue IRQs reported as kernel-managed" test -n "$managed"

sed -i 's/ReactorMask 0x0F/ReactorMask 0x04/' "$conf"
kill -HUP $pid
check "ReactorMask 0x04 pins to CPU 2" wait_for 20 bash -c "[[ \$(python3 -c \"import json; print(json.load(open('$T/state.json'))['devices'][0]['cpus'])\") == 2 ]]"
bad=""
for i in $pinned; do [[ $(cat /proc/irq/$i/smp_affinity_list) == 2 ]] || bad+=" $i=$(cat /proc/irq/$i/smp_affinity_list)"; done
expect_eq "pinned IRQs read back 2" "$bad" ""

sed -i 's/ReactorMask 0x04/ReactorMask 0x03/' "$conf"
kill -HUP $pid
check "a mask entirely on node 0 is explained" wait_for 20 grep -q "none of which is on NUMA node 1" $T/log
expect_eq "and node 1's CPUs are used" "$(dev_field $bdf cpus)" 2-3
kill -TERM $pid; wait $pid
info "log:"; sed 's/^/#   /' $T/log | grep -i -e irq -e warning | head -20
finish
