#!/bin/bash
# Usage: t-daemon.sh [IDLE-SECONDS]
# nvmetd against the real kernel target: start before the address exists, RDMA device loss and
# return, address flaps, SIGHUP reload (good and broken), idleness, SSD hotplug, SIGTERM.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
info "kernel $(uname -r), nvmetd $NVMETD"
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
modprobe loop
# the network, but the target address is not there yet
net_setup rdma noaddr

conf=$T/nvmf.conf
guide_conf "$bdf" "$conf"
sed -i 's/HotplugEnable No/HotplugEnable Yes/' "$conf"
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$conf";
state_file = "$T/state.json";
log_level = "info";
on_stop = "clear";
EOC
export NVMETD_STATE=$T/state.json

# a stand-in for systemd's notify socket
cat >$T/notify.py <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
        f.flush()
EOP
python3 $T/notify.py $T/notify.sock $T/notify.log &
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
discover_ok() { ip netns exec $NS nvme discover -t rdma -a $TARGET_IP -s 4791 2>/dev/null | grep -q 'subnqn: *nqn.2016-06.io.spdk:cnode1'; }
# wait_for SECONDS command...: poll (the test, not the daemon) until it succeeds
wait_for() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do (( $(date +%s) >= end )) && return 1; sleep 0.1; done; }
state_port() { python3 -c "import json; print(json.load(open('$T/state.json'))['ports'][0]['state'])" 2>/dev/null; }
state_ns() { python3 -c "import json; print(json.load(open('$T/state.json'))['namespaces'][0]['state'])" 2>/dev/null; }

wait_for 30 test -S $T/notify.sock
NOTIFY_SOCKET=$T/notify.sock "$NVMETD" --foreground --config $T/nvmetd.conf >$T/nvmetd.log 2>&1 &
pid=$!
check "nvmetd sends READY=1" wait_for 30 grep -q READY=1 $T/notify.log
info "notify: $(grep -m1 STATUS= $T/notify.log)"
check "STATUS names what is served" grep -q 'STATUS=serving 1 of 1 subsystem, 1 of 1 namespace, 0 of 1 port; port rdma ipv4 192.168.20.200 4791: ' $T/notify.log
expect_eq "port waits for its address (state file)" "$(state_port)" waiting
"$NVMETCFG" status >$T/status 2>&1; sed 's/^/#   /' $T/status
check "nvmetcfg status says the address is missing" grep -q "192.168.20.200 is not configured on any interface" $T/status
S=$CFS/subsystems/nqn.2016-06.io.spdk:cnode1
expect_eq "the rest is applied: namespace enabled" "$(cat $S/namespaces/1/enable 2>/dev/null)" 1

# (a) the address appears: the kernel alone would never listen; nvmetd links the port at once
t0=$(now_ms)
ip addr add $TARGET_IP/24 dev veth-t
if wait_for 30 discover_ok; then ok "address added: discover works after $(( $(now_ms) - t0 )) ms"; else nok "port came up after the address appeared"; fi
expect_eq "state: listening" "$(state_port)" listening

# address flap under a live port (the kernel recovers this one by itself; nvmetd must not hurt)
ip addr del $TARGET_IP/24 dev veth-t; sleep 1
t0=$(now_ms); ip addr add $TARGET_IP/24 dev veth-t
if wait_for 30 discover_ok; then flap_d=$(( $(now_ms) - t0 )); ok "address flap with nvmetd: discover after $flap_d ms"; else nok "address flap with nvmetd"; fi

# (b) the RDMA device goes away and returns: the port stays dead without a relink
rdma link delete rxe_t
check "nvmetd notices the RDMA device is gone" wait_for 10 bash -c "[[ \$(python3 -c \"import json; print(json.load(open('$T/state.json'))['ports'][0]['state'])\") == 'rdma device gone' ]]"
t0=$(now_ms)
rdma link add rxe_t type rxe netdev veth-t
if wait_for 30 discover_ok; then ok "RDMA device back: discover works after $(( $(now_ms) - t0 )) ms"; else nok "port listens again after the RDMA device returned"; fi
expect_eq "state: listening" "$(state_port)" listening

# idle: no wakeups, small memory
sleep 2
idle=${1:-60}
v0=$(awk '/^voluntary_ctxt_switches/{print $2}' /proc/$pid/status)
sleep "$idle"
v1=$(awk '/^voluntary_ctxt_switches/{print $2}' /proc/$pid/status)
rss=$(awk '/^VmRSS/{print $2" "$3}' /proc/$pid/status)
expect_eq "idle for ${idle}s: voluntary context switches" "$((v1 - v0))" 0
info "idle nvmetd RSS: $rss"

# SIGHUP: a good config is applied, a broken one is logged with file:line and changes nothing
truncate -s 32M $T/aio.img
loopdev=$(losetup --show -f $T/aio.img)
printf '[AIO]\n  AIO %s AIO0\n' "$loopdev" >>"$conf"
sed -i 's|^  Namespace Nvme0n1 1|  Namespace Nvme0n1 1\n  Namespace AIO0 2|' "$conf"
kill -HUP $pid
check "SIGHUP applies the changed config (namespace 2)" wait_for 20 test -e $S/namespaces/2/enable
before=$(cfs_snapshot)
cp "$conf" $T/good.conf
echo "  Bogus" >>"$conf"
sed -i 's/SN SPDK00000000000001/SN THIS-SERIAL-IS-WAY-TOO-LONG-FOR-NVME/' "$conf"
kill -HUP $pid
check "a broken config is logged with file:line" wait_for 10 grep -q "$conf:[0-9]*: error" $T/nvmetd.log
sleep 1
expect_eq "a broken config changes nothing" "$(cfs_snapshot)" "$before"
check "nvmetd keeps running" kill -0 $pid
cp $T/good.conf "$conf"

# One namespace the kernel refuses (a file on a read-only mount): nvmetd keeps serving the rest,
# names it, and enables it on the mount event once the filesystem is writable again.
truncate -s 24M $T/ro.img; mkfs.ext4 -q -F $T/ro.img; mkdir -p /mnt/nvt-ro
mount -o loop $T/ro.img /mnt/nvt-ro && truncate -s 8M /mnt/nvt-ro/c.img && mount -o remount,ro /mnt/nvt-ro
printf '  AIO /mnt/nvt-ro/c.img RO\n' >>"$conf"
sed -i 's|^  Namespace AIO0 2|  Namespace AIO0 2\n  Namespace RO 3|' "$conf"
before=$(cfs_snapshot)
out=$("$NVMETCFG" apply "$conf" 2>&1); rc=$?
expect_eq "nvmetcfg apply (all or nothing) refuses: exit 1" "$rc" 1
check "... naming the file and the kernel's reason" grep -q "namespace 3: /mnt/nvt-ro/c.img: Read-only file system" <<<"$out"
expect_eq "... and changes nothing" "$(cfs_snapshot)" "$before"
out=$("$NVMETCFG" apply --keep-going "$conf" 2>&1); rc=$?
expect_eq "nvmetcfg apply --keep-going: exit 4 (applied except what failed)" "$rc" 4
check "... naming what failed" grep -q "1 object failed and was rolled back alone" <<<"$out"
n0=$(dmesg | grep -c 'failed to open file /mnt/nvt-ro/c.img')
kill -HUP $pid
state_of() { python3 -c "import json; print([n for n in json.load(open('$T/state.json'))['namespaces'] if n['nsid'] == $1][0]['state'])" 2>/dev/null; }
check "nvmetd: namespace 3 failed, alone" wait_for 20 bash -c "[[ \$(python3 -c \"import json; print([n for n in json.load(open('$T/state.json'))['namespaces'] if n['nsid'] == 3][0]['state'])\") == failed ]]"
expect_eq "namespace 1 still enabled" "$(cat $S/namespaces/1/enable)" 1
expect_eq "namespace 2 still enabled" "$(cat $S/namespaces/2/enable)" 1
check "namespace 3 rolled back alone (not in configfs)" test ! -e $S/namespaces/3
check "nvmetd keeps running" kill -0 $pid
"$NVMETCFG" status >$T/status 2>&1; grep -E '^namespace|not serving' $T/status | sed 's/^/#   /'
check "status names it: read-only, with the hint" grep -qE "cnode1/3 .*failed: /mnt/nvt-ro/c.img: Read-only file system — .*remount" $T/status
check "STATUS= names it" bash -c "grep STATUS= $T/notify.log | tail -n 1 | grep -q 'STATUS=serving 1 of 1 subsystem, 2 of 3 namespaces, 1 of 1 port; subsystem nqn.2016-06.io.spdk:cnode1: namespace 3: /mnt/nvt-ro/c.img: Read-only file system'"
sleep 5
n1=$(( $(dmesg | grep -c 'failed to open file /mnt/nvt-ro/c.img') - n0 ))
check "retries back off: $n1 kernel log lines from nvmetd in its first seconds" test "$n1" -ge 1 -a "$n1" -le 5
mount -o remount,rw /mnt/nvt-ro
check "remounted rw: enabled on the mount event, no SIGHUP" wait_for 30 bash -c "[[ \$(cat $S/namespaces/3/enable 2>/dev/null) == 1 ]]"
expect_eq "state: enabled" "$(state_of 3)" enabled
cp $T/good.conf "$conf"
kill -HUP $pid
check "reload without it: namespace 3 removed" wait_for 20 test ! -e $S/namespaces/3
umount /mnt/nvt-ro 2>/dev/null || umount -l /mnt/nvt-ro

# SSD hotplug: remove the PCI device, rescan; the namespace follows the SSD by PCI address
check "initiator connects" ip netns exec $NS nvme connect -t rdma -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) && ok "fabric device $dev" || nok "fabric device"
echo 1 >/sys/bus/pci/devices/$bdf/remove
check "SSD removed: namespace 1 disabled" wait_for 20 bash -c "[[ \$(cat $S/namespaces/1/enable) == 0 ]]"
expect_eq "state: device missing" "$(state_ns)" "device missing"
echo 1 >/sys/bus/pci/rescan
check "SSD back: namespace 1 enabled again" wait_for 30 bash -c "[[ \$(cat $S/namespaces/1/enable) == 1 ]]"
expect_eq "namespace 1 points at the SSD's block device" "$(cat $S/namespaces/1/device_path)" "$(ssd_dev)"
check "initiator I/O works again" wait_for 60 timeout 10 dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1

# SIGTERM: the target is removed (on_stop = "clear")
kill -TERM $pid
check "nvmetd exits on SIGTERM" wait_for 20 bash -c "! kill -0 $pid 2>/dev/null"
wait $pid; rc=$?
expect_eq "exit status 0" "$rc" 0
expect_eq "target removed on stop" "$(ls $CFS/subsystems $CFS/ports | grep -cv -e '^/' -e '^$')" 0
check "STOPPING=1 sent" grep -q STOPPING=1 $T/notify.log

# a config with errors at start: nothing to serve, exit status 2 (the unit does not restart on 2)
printf '[Subsystem1]\n  Bogus\n' >$T/broken.conf
sed "s|^nvmf_conf = .*|nvmf_conf = \"$T/broken.conf\";|" $T/nvmetd.conf >$T/nvmetd-broken.conf
NOTIFY_SOCKET=$T/notify.sock timeout 20 "$NVMETD" --foreground --config $T/nvmetd-broken.conf >$T/broken.log 2>&1; rc=$?
expect_eq "a broken config at start: exit 2 (no restart loop under the unit)" "$rc" 2
check "... saying which line" grep -q "broken.conf:1: .*has no NQN" $T/broken.log

# the same address flap without nvmetd, for comparison
"$NVMETCFG" apply $T/good.conf >/dev/null 2>&1
wait_for 30 discover_ok
ip addr del $TARGET_IP/24 dev veth-t; sleep 1
t0=$(now_ms); ip addr add $TARGET_IP/24 dev veth-t
if wait_for 30 discover_ok; then ok "address flap without nvmetd: discover after $(( $(now_ms) - t0 )) ms (with nvmetd: ${flap_d:-?} ms)"; else nok "address flap without nvmetd"; fi
"$NVMETCFG" clear >/dev/null
kill %1 2>/dev/null
info "nvmetd log:"; sed 's/^/#   /' $T/nvmetd.log | tail -n 40
finish
