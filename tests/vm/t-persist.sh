#!/bin/bash
# Runs under real systemd as PID 1 on a persistent disk; the host side (t-persist-host.sh) boots
# the same disk several times. Usage: t-persist.sh install|reboot|renamed STAGE
# (STAGE: a `make install DESTDIR=` tree the host made); the reboot boot ends by preparing the degraded
# config: one nvmf.conf with healthy and broken objects (one broken namespace must not take the target
# down), checked in the renamed boot, where another SSD is enumerated first (the healthy SSD
# subsystem is the one that must follow its PCI address).
. "$(dirname "$0")/guest-lib.sh"
phase=$1
stage=${2:-}
keep=/var/lib/nvtest
mkdir -p $keep
wait_for() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do (( $(date +%s) >= end )) && return 1; sleep 0.2; done; }
discover_ok() { ip netns exec $NS nvme discover -t rdma -a $TARGET_IP -s 4791 2>/dev/null | grep -q "subnqn: *nqn.2016-06.io.spdk:cnode1"; }
# every port listens (one listening port is not enough: the RDMA one may still wait for its device)
listening() {
	local st
	st=$("$NVMETCFG" status 2>/dev/null | grep "^port ") || return 1
	! grep -qv "listening" <<<"$st"
}
. "$(dirname "$0")/degraded-lib.sh"
info "phase $phase, kernel $(uname -r), PID 1 is $(cat /proc/1/comm)"
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }

case $phase in
install)
	# tar keeps /lib -> usr/lib (usrmerge) a symlink where cp -a would refuse
	check "install the staged tree" bash -c "tar -C '$stage' -cf - . | tar -C / -xf - --keep-directory-symlink"
	check "unit installed where systemd looks" test -f "$(pkg-config --variable=systemdsystemunitdir systemd)/nvmetd.service"
	guide_conf "$bdf" /etc/nvmet/nvmf.conf
	sed -i 's/HotplugEnable No/HotplugEnable Yes/' /etc/nvmet/nvmf.conf
	cat >/etc/systemd/system/nvtest-net.service <<EOU
[Unit]
Description=test NIC (veth + soft-RoCE), address after a delay
After=nvmetd.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$TOP/tests/vm/net-scaffold.sh 5
[Install]
WantedBy=multi-user.target
EOU
	systemctl daemon-reload
	check "systemctl enable --now nvmetd" systemctl enable --now nvmetd
	expect_eq "nvmetd active (Type=notify, no address yet)" "$(systemctl is-active nvmetd)" active
	"$NVMETCFG" status | sed 's/^/#   /'
	check "status says the port waits for its address" bash -c "'$NVMETCFG' status | grep -q 'not configured on any interface'"
	check "enable --now the test NIC" systemctl enable --now nvtest-net
	if wait_for 60 discover_ok; then ok "port came up when the address appeared"; else nok "port came up when the address appeared"; fi
	# change the live target with nvmetcfg, save it, reboot
	sed -e 's/MaxQueuesPerSession 4/MaxQueuesPerSession 8/' \
	    -e 's|^  Listen RDMA 192.168.20.200:4791|  Listen RDMA 192.168.20.200:4791\n  Listen TCP 192.168.20.200:4420|' \
	    /etc/nvmet/nvmf.conf >$T/changed.conf
	out=$("$NVMETCFG" apply $T/changed.conf 2>&1); rc=$?
	expect_eq "nvmetcfg apply a changed config" "$rc" 0
	check "apply warns that nvmetd serves another file" grep -q "nvmetd is running with /etc/nvmet/nvmf.conf" <<<"$out"
	chmod 0640 /etc/nvmet/nvmf.conf
	out=$("$NVMETCFG" save 2>&1); rc=$?
	echo "$out" | sed 's/^/#   /'
	expect_eq "nvmetcfg save" "$rc" 0
	check "save reloads nvmetd, which now serves the saved file" grep -q "nvmetd (pid [0-9]*) reloaded /etc/nvmet/nvmf.conf" <<<"$out"
	expect_eq "save kept the file's mode" "$(stat -c %a /etc/nvmet/nvmf.conf)" 640
	check "save kept ReactorMask and HotplugEnable (not in configfs)" bash -c "grep -q 'ReactorMask 0x0F' /etc/nvmet/nvmf.conf && grep -q 'HotplugEnable Yes' /etc/nvmet/nvmf.conf"
	sed 's/^/#   /' /etc/nvmet/nvmf.conf
	"$NVMETCFG" show --json >$keep/before.json
	check "a second nvmetcfg apply of the saved file changes nothing" bash -c "'$NVMETCFG' apply /etc/nvmet/nvmf.conf 2>/dev/null | grep -q ': 0 changes applied'"
	sync
	;;
reboot)
	check "nvmetd started at boot" wait_for 60 bash -c '[[ $(systemctl is-active nvmetd) == active ]]'
	check "port listening without any manual step" wait_for 90 listening
	"$NVMETCFG" status | sed 's/^/#   /'
	"$NVMETCFG" show --json >$T/after.json
	check "live state after reboot is identical to before (show --json)" diff -u $keep/before.json $T/after.json
	check "initiator discovers over RDMA" wait_for 30 discover_ok
	check "initiator connects" ip netns exec $NS nvme connect -t rdma -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791
	dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) && ok "fabric device $dev" || nok "fabric device"
	check "TCP listener came back too" bash -c "ip netns exec $NS nvme discover -t tcp -a $TARGET_IP -s 4420 | grep -q cnode1"
	ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
	S=$CFS/subsystems/nqn.2016-06.io.spdk:cnode1
	sed -i 's/MaxQueuesPerSession 8/MaxQueuesPerSession 6/' /etc/nvmet/nvmf.conf
	check "systemctl reload" systemctl reload nvmetd
	check "reload applied the changed file" wait_for 20 bash -c "[[ \$(cat $S/attr_qid_max) == 5 ]]"
	check "systemctl stop" systemctl stop nvmetd
	expect_eq "stop removed the target (on_stop = clear)" "$(ls $CFS/subsystems $CFS/ports | grep -cv -e '^/' -e '^$')" 0
	check "systemctl start" systemctl start nvmetd
	check "back after start" wait_for 60 listening
	systemd-analyze security nvmetd.service 2>/dev/null | tail -n1 | sed 's/^/# /'
	journalctl -u nvmetd -b --no-pager | tail -n 15 | sed 's/^/#   /'
	prepare_degraded "$bdf"
	;;
renamed)
	# another NVMe SSD is enumerated first: ours is no longer nvme0; the config is the degraded one
	ours=$(ssd_dev)
	info "our SSD is now $ours; nvme0n1 is serial $(cat /sys/block/nvme0n1/device/serial 2>/dev/null | xargs)"
	# the nvme driver probes controllers in parallel, so which one becomes nvme0 is not fixed
	[[ $ours != /dev/nvme0n1 ]] || info "this boot our SSD kept nvme0n1 (probe order varies); the PCI match below still holds"
	degraded_checks
	expect_eq "namespace 1 of cnode1 serves the right SSD (matched by PCI address)" \
		"$(cat $CFS/subsystems/nqn.2016-06.io.spdk:cnode1/namespaces/1/device_path)" "$ours"
	check "initiator connects" ip netns exec $NS nvme connect -t rdma -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791
	dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) && ok "fabric device $dev" || nok "fabric device"
	expect_eq "the fabric namespace has our SSD's size" "$(blockdev --getsize64 $dev 2>/dev/null)" "$(blockdev --getsize64 $ours)"
	ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
	;;
esac
finish
