#!/bin/bash
# nvme-stas, the Linux hosts' client of TP8009 mDNS discovery, finds and connects to nvmetd by itself.
# The target: the guide's config with a TCP listener added and a [Discovery] NQN, nvmetd with mdns = true
# over the guest's avahi-daemon. The initiator (its own network, mount, bus and avahi-daemon): trixie's
# stafd and stacd configured only with zeroconf on — nobody gives them an address. stafd must connect a
# discovery controller over TCP and over RoCE, stacd the guide's subsystem over both; withdrawn ports
# make stafd drop their discovery controllers, and ports that return are found again (stafd drops a
# withdrawn DC once the kernel has given up reconnecting it — the initiator's ctrl-loss-tmo is 20 s —
# and its own retry timers have run: 80-100 s each time under TCG). Two withdrawals at once, one wait:
# TCP on 192.168.20.200 by its address going, RoCE on .201 by its RDMA device going; TCP on .201 stays,
# and so must its discovery controller. The target's interface keeps an address (.201): mDNS can
# only say goodbye through an interface that still has one (avahi sends none from an interface whose
# last address went; peers then keep the service until its records expire, 75 min for the PTR, and
# stafd keeps retrying it — README says so). Needs nvme-stas (Debian 13).
# Usage: t-stas.sh
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
DNQN=nqn.2024-01.io.nvmetd:discovery
NQN=nqn.2016-06.io.spdk:cnode1
[[ -x /usr/sbin/stafd ]] || { nok "nvme-stas installed (run this on the Debian 13 root)"; finish; }
info "kernel $(uname -r); $(stafd --version 2>&1 | head -n1)"
# wait_for SECONDS command...: by the clock (a check that forks costs much under TCG)
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.5; done; }
# the fabric controllers as "transport subsysnqn address" lines
ctrls() { # shell builtins only: polled often
	local c t n a
	for c in /sys/class/nvme/nvme*; do
		read -r t <$c/transport 2>/dev/null && [[ $t != pcie ]] && read -r n <$c/subsysnqn 2>/dev/null || continue
		read -r a <$c/address 2>/dev/null; echo "$t $n $a"
	done
}
has_ctrl() { # transport nqn address port
	local l; while read -r l; do [[ $l == "$1 $2 "*"traddr=$3,trsvcid=$4"* ]] && return 0; done < <(ctrls); return 1; }
no_ctrl() { ! has_ctrl "$@"; }

bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
ssd=$(ssd_dev)
printf 'NVTEST-STAS-%s' "$RANDOM" >$T/sig; dd if=$T/sig of=$ssd bs=4096 conv=sync,fsync status=none
net_setup rdma
# not listened on: the interface keeps an address. Removing a subnet's first address removes the
# others too unless net.ipv4.conf.IF.promote_secondaries is on
sysctl -qw net.ipv4.conf.veth-t.promote_secondaries=1
ip addr add 192.168.20.201/24 dev veth-t
modprobe nvme-tcp
guide_conf "$bdf" $T/nvmf.conf
sed -i "s|^  Listen RDMA 192.168.20.200:4791|  Listen RDMA 192.168.20.201:4791\n  Listen TCP 192.168.20.200:4420\n  Listen TCP 192.168.20.201:4420|" $T/nvmf.conf
printf '[Discovery]\n  NQN %s\n' "$DNQN" >>$T/nvmf.conf
check "the config listens on RDMA .201:4791 and TCP .200:4420, .201:4420" grep -q "Listen TCP 192.168.20.201:4420" $T/nvmf.conf

# the target's bus and avahi-daemon (no systemd in this guest), then nvmetd advertising its ports
mkdir -p /run/dbus /run/avahi-daemon
dbus-daemon --system --fork --nopidfile || info "dbus-daemon failed"
avahi-daemon --daemonize --no-chroot --no-drop-root 2>>$T/avahi.log
check "avahi-daemon runs" wait_for 10 avahi-daemon --check
printf 'nvmf_conf = "%s";\nstate_file = "/run/nvmetd/state.json";\nirq_affinity = false;\nmdns = true;\n' $T/nvmf.conf >$T/nvmetd.conf
"$NVMETD" -f -c $T/nvmetd.conf >$T/nvmetd.log 2>&1 &
pid=$!
check "nvmetd advertises the three ports" wait_for 60 bash -c "[[ \$('$NVMETCFG' status 2>/dev/null | grep -c '^mDNS _nvme-disc._tcp .*: advertised') == 3 ]]"

# the initiator: stafd and stacd with their own bus and avahi-daemon, nothing but zeroconf
ip netns exec $NS unshare -m --propagation private "$TOP/tests/vm/stas-initiator.sh" $T >$T/ini.log 2>&1 &
check "stafd and stacd start in the initiator's namespace" wait_for 30 test -s $T/ini.pids
read -r _ _ stafd stacd <$T/ini.pids
stafctl() { nsenter -t $stafd -m -n stafctl "$@"; }
# stafd itself manages a DC on TRANSPORT ADDRESS PORT (stafctl ls: pprint'ed dicts); 2 if stafd did not answer
staf_dc() {
	local o d ds
	o=$(stafctl ls 2>/dev/null | tr -d '\n') || return 2
	IFS='}' read -r -a ds <<<"$o"
	for d in "${ds[@]}"; do
		[[ $d == *"'transport': '$1'"* && $d == *"'traddr': '$2'"* && $d == *"'trsvcid': '$3'"* ]] && return 0
	done
	return 1
}
staf_no_dc() { staf_dc "$@"; (($? == 1)); }
check "stafd connects a discovery controller over TCP (.200 port 4420, from veth-i)" \
	wait_for 120 has_ctrl tcp $DNQN 192.168.20.200 "4420,host_iface=veth-i"
check "... one over TCP on .201" wait_for 60 has_ctrl tcp $DNQN 192.168.20.201 4420
check "... and one over RoCE (.201 port 4791)" wait_for 60 has_ctrl rdma $DNQN 192.168.20.201 4791
staf_tcp_both() { staf_dc tcp 192.168.20.200 4420 && staf_dc tcp 192.168.20.201 4420; }
check "stafd lists the TCP discovery controllers (stafctl ls)" wait_for 30 staf_tcp_both
check "stacd connects the guide's subsystem over TCP" wait_for 90 has_ctrl tcp $NQN 192.168.20.200 4420
check "... and over RoCE" wait_for 60 has_ctrl rdma $NQN 192.168.20.201 4791
dev=$(fabric_dev $NQN)
check "the initiator reads the SSD through the connection stacd made ($dev)" \
	bash -c "[[ -n '$dev' ]] && cmp -n $(stat -c %s $T/sig) $T/sig $dev"
ctrls | sed 's/^/#   /'

# withdrawn ports: their discovery controllers are dropped; the ports return: found again. Each step is
# bounded (a kernel that hangs tearing a connection down must fail the test, not the guest's timeout).
ip addr del 192.168.20.200/24 dev veth-t
check "the RDMA device removed (rdma link delete) while .200 is gone" timeout 60 rdma link delete rxe_t
check "the address gone: stafd drops the TCP .200 discovery controller" wait_for 240 staf_no_dc tcp 192.168.20.200 4420
check "... the RDMA device gone: and the RoCE one" wait_for 120 staf_no_dc rdma 192.168.20.201 4791
kernel_dropped() { no_ctrl tcp $DNQN 192.168.20.200 4420 && no_ctrl rdma $DNQN 192.168.20.201 4791; }
check "... the kernel has no controller there any more" wait_for 60 kernel_dropped
check "... the TCP one on .201 stays" staf_dc tcp 192.168.20.201 4420
ip addr add 192.168.20.200/24 dev veth-t
check "the RDMA device back (rdma link add)" timeout 60 rdma link add rxe_t type rxe netdev veth-t
check "the address back: stafd finds the TCP .200 discovery controller again" wait_for 120 has_ctrl tcp $DNQN 192.168.20.200 4420
check "... the RDMA device back: and the RoCE one" wait_for 120 has_ctrl rdma $DNQN 192.168.20.201 4791
ctrls | sed 's/^/#   /'
if ((_fail)); then
	grep -E 'remove|not respond|Retrying|_config_ctrls_finish.*(to_del|must_remove)|Connection established' \
		$T/stafd.log | tail -n 40 | sed 's/^/#   stafd: /'
	tail -n 5 $T/udevd.log 2>/dev/null | sed 's/^/#   udevd: /'
	dmesg | tail -n 30 | sed 's/^/#   dmesg: /'
fi
stafctl ls 2>&1 | sed 's/^/#   stafctl: /' | head -n 20

nsenter -t $stafd -m -n udevadm control --exit 2>/dev/null
kill $stacd $stafd 2>/dev/null; sleep 1
timeout 60 ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
kill $pid; wait $pid
grep -E "ERROR|Traceback" $T/stafd.log $T/stacd.log 2>/dev/null | grep -v "found on multiple interfaces" | head -n 10 | sed 's/^/#   /'
finish
