#!/bin/bash
# Runs under real systemd as PID 1: the package's life on a target host — install (enabled, inactive
# without a config), serve the SPDK guide's config, upgrade with an initiator connected and reading,
# purge. Usage: t-deb.sh DEB-1 DEB-2
. "$(dirname "$0")/guest-lib.sh"
deb1=$1 deb2=$2
NVMETCFG=/usr/sbin/nvmetcfg
wait_for() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do (( $(date +%s) >= end )) && return 1; sleep 0.2; done; }
listening() { local st; st=$("$NVMETCFG" status 2>/dev/null | grep "^port ") && ! grep -qv listening <<<"$st"; }
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
export DEBIAN_FRONTEND=noninteractive
# the guest's root is this (container-built) host's, whose policy-rc.d forbids maintainer scripts to
# start or stop services; a real target host has none
[[ -e /usr/sbin/policy-rc.d ]] && { info "removing the host image's /usr/sbin/policy-rc.d (exit 101) in the guest"; rm -f /usr/sbin/policy-rc.d; }
# man-db's dpkg trigger re-reads every manual page of the root at each install, upgrade and purge
# (22,000 files over the rig's 9p share under TCG); what is tested is our package, so the guest's
# copy of the root turns that off (what answering debconf's man-db/auto-update "false" does)
rm -f /var/lib/man-db/auto-update

check "dpkg -i installs the package" dpkg -i "$deb1"
expect_eq "the unit is enabled (Debian's convention)" "$(systemctl is-enabled nvmetd)" enabled
expect_eq "... and inactive without /etc/nvmet/nvmf.conf" "$(systemctl is-active nvmetd)" inactive
check "no nvmf.conf shipped; nvmetd.conf is a conffile" bash -c \
	"test ! -e /etc/nvmet/nvmf.conf && dpkg-query -W -f='\${Conffiles}' nvmetd | grep -q /etc/nvmet/nvmetd.conf"
check "binaries, man pages, examples" test -x /usr/sbin/nvmetd -a -x /usr/sbin/nvmetcfg -a -e /usr/share/man/man8/nvmetcfg.8.gz \
	-a -e /usr/share/doc/nvmetd/examples/nvmf.conf
net_setup rdma
guide_conf "$bdf" /etc/nvmet/nvmf.conf
check "the administrator writes nvmf.conf and restarts the unit" systemctl restart nvmetd
check "... it serves" wait_for 60 listening
check "initiator connects over RDMA" ip netns exec $NS nvme connect -t rdma -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1) || nok "fabric device"
ctrl=$(for c in /sys/class/nvme/nvme*; do [[ $(cat $c/subsysnqn 2>/dev/null) == nqn.2016-06.io.spdk:cnode1 && $(cat $c/transport) == rdma ]] && basename $c; done | head -n1)
info "initiator controller $ctrl, device $dev"
pid1=$(systemctl show -p MainPID --value nvmetd)
# the initiator reads all through the upgrade
( while :; do dd if="$dev" of=/dev/null bs=64k count=16 iflag=direct status=none 2>>$T/read-errors || echo fail >>$T/read-errors; done ) &
reader=$!
sleep 2
check "dpkg -i upgrades to 0.1.0-2" dpkg -i "$deb2"
expect_eq "version" "$(dpkg-query -W -f='${Version}' nvmetd)" 0.1.0-2
pid2=$(systemctl show -p MainPID --value nvmetd)
check "nvmetd was restarted (new main pid)" test -n "$pid2" -a "$pid2" != 0 -a "$pid2" != "$pid1"
expect_eq "... and is active" "$(systemctl is-active nvmetd)" active
check "the old nvmetd left the target serving" bash -c "journalctl -u nvmetd -b --no-pager | grep -q 'left serving for the restart after an upgrade'"
sleep 3
kill $reader; wait $reader 2>/dev/null
expect_eq "the initiator's reads went on with no error through the upgrade" "$(cat $T/read-errors 2>/dev/null | wc -l)" 0
expect_eq "its controller stayed live (no reconnect)" "$(cat /sys/class/nvme/$ctrl/state 2>/dev/null)" live
check "the new nvmetd took over without a write" bash -c "journalctl -u nvmetd -b --no-pager | grep 'started:' | tail -n1 | grep -q '0 changes applied'"
journalctl -u nvmetd -b --no-pager | tail -n 8 | sed 's/^/#   /'
ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
dpkg -L nvmetd | while read -r f; do [[ ! -d $f ]] && [[ -f $f || -L $f ]] && echo "$f"; done >$T/files
check "dpkg --purge" dpkg --purge nvmetd
expect_eq "no nvmet objects left in configfs" "$(ls $CFS/subsystems $CFS/ports 2>/dev/null | grep -cv -e '^/' -e '^$')" 0
left=$(while read -r f; do [[ -e $f || -L $f ]] && echo "$f"; done <$T/files)
info "$(wc -l <$T/files) files of the package checked"
expect_eq "no file of the package left" "$left" ""
check "the administrator's nvmf.conf stays" test -e /etc/nvmet/nvmf.conf
check "nvmetd.conf (the package's conffile) is gone" test ! -e /etc/nvmet/nvmetd.conf
finish
