#!/bin/bash
# Helpers for test scripts that run inside the guest (sourced). TAP-like output: "ok N - what" /
# "not ok N - what"; the script's last line is "# N passed, N failed" and its exit status 1 on failure.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NVMETCFG=${NVMETCFG:-$TOP/build/src/nvmetcfg/nvmetcfg}
CFS=/sys/kernel/config/nvmet
T=$(mktemp -d /tmp/nvt.XXXXXX)
TARGET_IP=192.168.20.200
INIT_IP=192.168.20.100
NS=initiator
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); echo "ok $((_pass + _fail)) - $*"; }
nok() { _fail=$((_fail + 1)); echo "not ok $((_pass + _fail)) - $*"; }
# check "description" command...: passes when the command succeeds
check() { local d=$1; shift; if "$@" >"$T/check.out" 2>&1; then ok "$d"; else nok "$d"; sed 's/^/#   /' "$T/check.out" | tail -n 15; fi; }
# expect_eq "description" actual expected
expect_eq() { if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1"; echo "#   got:      '$2'"; echo "#   expected: '$3'"; fi; }
finish() { echo "# $_pass passed, $_fail failed"; [[ $_fail == 0 ]]; exit $?; }
info() { echo "# $*"; }
# A host refused by DH-HMAC-CHAP now and then waits out nvme_core's admin timeout (60 s): the target
# fails it and tears its queue down ("nvmet: ctrl N fatal error occurred!"), and the failure message
# can be lost on the way (the host: "QID 0 timeout ... auth_send failed"); the next attempt fails in
# 0.5 s. A kernel race, not nvmetd's. Tests that expect refusals bound it (the host's setting):
admin_timeout_bound() { _at0=$(cat /sys/module/nvme_core/parameters/admin_timeout 2>/dev/null) &&
	echo "$1" >/sys/module/nvme_core/parameters/admin_timeout; }
admin_timeout_restore() { [[ -z ${_at0:-} ]] || echo "$_at0" >/sys/module/nvme_core/parameters/admin_timeout; }

# The guest's NVMe SSD (serial NVMETD-SSD-0001): load the driver, wait for it, print its PCI address.
ssd_bdf() {
	modprobe nvme
	local i c
	for i in $(seq 1 100); do
		for c in /sys/class/nvme/nvme*; do
			[[ -e $c/serial ]] || continue
			if [[ $(tr -d ' ' <"$c/serial") == NVMETD-SSD-0001 ]] && ls "$c"/nvme*n1 >/dev/null 2>&1; then
				basename "$(readlink -f "$c/device")"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# Block device of the backing SSD's namespace 1 (whatever the kernel called it).
ssd_dev() {
	local c
	for c in /sys/class/nvme/nvme*; do
		if [[ $(tr -d ' ' <"$c/serial") == NVMETD-SSD-0001 ]]; then
			for n in /sys/block/nvme*n1; do
				[[ $(cat "$n/device/serial" 2>/dev/null | tr -d ' ') == NVMETD-SSD-0001 ]] && { echo "/dev/$(basename "$n")"; return 0; }
			done
		fi
	done
	return 1
}

# Target side veth with TARGET_IP, initiator side in netns $NS with INIT_IP, soft-RoCE on both.
# net_setup [rdma|tcp] [noaddr]: noaddr leaves the target address off (added later by the test).
net_setup() {
	ip link add veth-t type veth peer name veth-i
	ip netns add $NS
	ip link set veth-i netns $NS
	[[ ${2:-} == noaddr ]] || ip addr add $TARGET_IP/24 dev veth-t
	ip link set veth-t up
	ip netns exec $NS ip addr add $INIT_IP/24 dev veth-i
	ip netns exec $NS ip link set veth-i up
	ip netns exec $NS ip link set lo up
	if [[ ${1:-rdma} == rdma ]]; then
		modprobe rdma_rxe
		rdma link add rxe_t type rxe netdev veth-t
		ip netns exec $NS rdma link add rxe_i type rxe netdev veth-i
	fi
	modprobe nvme-fabrics
	modprobe nvme-${1:-rdma}
}

# Write the guide's nvmf.conf with this guest's SSD address.
guide_conf() {
	sed "s/0000:04:00.0/$1/" "$TOP/conf/nvmf.conf" >"$2"
}

# Every attribute and link of the nvmet tree, for byte-for-byte comparisons.
cfs_snapshot() { # builtins per entry, no fork: a tree of 1000 subsystems is read in seconds under TCG
	(cd $CFS && find . -mindepth 1 -printf '%y %p %l\n' | sort -k2,2 | while read -r y f l; do
		case $y in
		l) echo "$f -> ${l##*/nvmet/}" ;;
		f) case $f in *revalidate_size|*dhchap*) continue ;; esac
			v=; { IFS= read -r -d '' v <"$f"; } 2>/dev/null
			echo "$f = ${v//$'\n'/ }" ;;
		*) echo "$f/" ;;
		esac
	done)
}

# Wait until the initiator sees the block device of namespace NSID (default 1) of subsystem NQN;
# print its /dev path.
fabric_dev() {
	local nqn=$1 nsid=${2:-1} i c
	for i in $(seq 1 100); do
		for c in /sys/class/nvme/nvme*; do
			[[ -e $c/subsysnqn ]] || continue
			if [[ $(cat "$c/subsysnqn") == "$nqn" && $(cat "$c/transport") != pcie ]]; then
				local ns
				# the visible disk (nvmeXnY), not a hidden multipath path device (nvmeXcYnZ)
				ns=$(ls -d /sys/block/nvme*n* 2>/dev/null | grep -E '/nvme[0-9]+n[0-9]+$' | while read -r b; do
					[[ -b /dev/$(basename "$b") ]] || continue
					# the host numbers namespace heads in scan order, not by NSID: match the NSID
					[[ $(cat "$b/device/subsysnqn" 2>/dev/null) == "$nqn" && $(cat "$b/nsid" 2>/dev/null) == "$nsid" ]] &&
						basename "$b"; done | head -n1)
				[[ -n $ns ]] && { echo "/dev/$ns"; return 0; }
			fi
		done
		sleep 0.1
	done
	return 1
}

# Undo what a test script left in this guest so the next one starts as after boot: processes it
# started, the initiator's connections, the target (nvmetcfg clear), networks, RDMA links, loop
# devices, test mounts. Prints what it could not undo; returns 1 then.
guest_reset() {
	local p l left=0
	for p in nvmetd stafd stacd avahi-daemon dbus-daemon; do	# stafd and stacd run as python3
		pkill -x $p; pkill -f "^python3 -u /usr/sbin/$p"
		for _ in $(seq 100); do pgrep -x $p || pgrep -f "^python3 -u /usr/sbin/$p" || break; sleep 0.1; done >/dev/null
	done
	rm -f /run/dbus/system_bus_socket /run/avahi-daemon/pid
	ip netns exec $NS nvme disconnect-all >/dev/null 2>&1; nvme disconnect-all >/dev/null 2>&1
	[[ -d $CFS ]] && { "$NVMETCFG" clear >/dev/null 2>&1 || echo "# reset: nvmetcfg clear failed"; }
	for l in $(rdma link show 2>/dev/null | awk '{print $2}'); do rdma link delete "${l%/*}" 2>/dev/null; done
	ip netns del $NS 2>/dev/null; ip link del veth-t 2>/dev/null
	for l in $(ls /sys/class/net); do [[ $l == lo ]] || ip addr flush dev "$l" 2>/dev/null; done
	grep -o ' /mnt/nvt[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l
	losetup -D
	for p in subsystems ports hosts; do
		[[ -d $CFS/$p && -n $(ls $CFS/$p) ]] && { echo "# reset: $CFS/$p not empty"; left=1; }
	done
	return $left
}
