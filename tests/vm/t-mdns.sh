#!/bin/bash
# Usage: t-mdns.sh [IDLE-SECONDS]  (the idle window with advertisements on; 60 by default)
# Zero-configuration discovery. 6.12: nvmetd (mdns = true) advertises one _nvme-disc._tcp service per
# listening port through avahi-daemon, seen by an independent browser (python3-zeroconf) in the
# initiator's network namespace with the right port, address and TXT (p=tcp / p=roce, nqn=); removing
# the RDMA device withdraws the RoCE one and re-adding restores it; a port removed by a reload is
# withdrawn; an avahi-daemon restart is survived; idle nvmetd stays at 0 wakeups. nvme discover at
# the advertised address lists the [Discovery] referrals and reports the unique discovery NQN.
# 6.1 (no discovery_nqn): the NQN is refused with exit 2 and the tree untouched; referrals work.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
info "kernel $(uname -r)"
DNQN=nqn.2024-01.io.nvmetd:discovery
NQN=nqn.2024-01.io.nvmetd:mdns1
idle=${1:-60}
modprobe loop
truncate -s 64M $T/disk.img; disk=$(losetup --show -f $T/disk.img)   # 6.1 cannot export a tmpfs file
write_conf() { # "nqn"|"" listen...
	local nqnline=${1:+  NQN $DNQN}
	shift
	{
		printf '[Discovery]\n%s\n  Referral TCP 192.168.30.200:4420\n  Referral RDMA 192.168.31.200:4420\n' "$nqnline"
		printf '[AIO]\n  AIO %s D\n[Subsystem1]\n  NQN %s\n' "$disk" "$NQN"
		for l in "$@"; do printf '  Listen %s\n' "$l"; done
		printf '  AllowAnyHost Yes\n  SN MDNS0001\n  Namespace D 1\n'
	} >$T/nvmf.conf
}
# wait_for SECONDS command...: until the command succeeds
wait_for() { local s=$1 i; shift; for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# the referrals and the discovery NQN nvme discover reports at ADDR PORT, as "trtype traddr trsvcid subtype subnqn" lines
discover() {
	ip netns exec $NS nvme discover -t tcp -a "$1" -s "$2" -o json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for r in json.load(sys.stdin).get("records", []):
    print(r.get("trtype"), r.get("traddr"), r.get("trsvcid"), r.get("subtype"), r.get("subnqn"))'
}

modprobe nvmet; mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
if [[ ! -e $CFS/discovery_nqn ]]; then
	# Debian 6.1: no unique discovery NQN; referrals exist
	net_setup tcp
	write_conf nqn "TCP 192.168.20.200:4420"
	before=$(cfs_snapshot)
	out=$("$NVMETCFG" apply $T/nvmf.conf 2>&1); rc=$?
	expect_eq "[Discovery] NQN on a kernel without discovery_nqn: exit 2" "$rc" 2
	check "... naming the missing attribute" grep -q "discovery_nqn" <<<"$out"
	expect_eq "... the configfs tree untouched" "$(cfs_snapshot)" "$before"
	write_conf "" "TCP 192.168.20.200:4420"
	check "without the NQN line it applies" "$NVMETCFG" apply $T/nvmf.conf
	d=$(discover 192.168.20.200 4420)
	info "$(tr '\n' ';' <<<"$d")"
	check "nvme discover lists the TCP referral" grep -q '^tcp 192.168.30.200 4420 ' <<<"$d"
	check "nvme discover lists the RDMA referral" grep -q '^rdma 192.168.31.200 4420 ' <<<"$d"
	"$NVMETCFG" clear >/dev/null
	finish
fi

net_setup rdma
modprobe nvme-tcp
# the system bus and avahi-daemon, as on a host (the guest boots no systemd here)
mkdir -p /run/dbus /run/avahi-daemon
dbus-daemon --system --fork --nopidfile || info "dbus-daemon failed"
start_avahi() { avahi-daemon --daemonize --no-chroot --no-drop-root 2>>$T/avahi.log; wait_for 10 avahi-daemon --check; }
check "avahi-daemon runs" start_avahi
ip netns exec $NS /usr/bin/python3 "$TOP/tests/vm/mdns-browse.py" >$T/browse.log 2>&1 &
browser=$!
wait_for 20 grep -q browsing $T/browse.log || info "browser: $(cat $T/browse.log)"

write_conf nqn "TCP 192.168.20.200:4420" "RDMA 192.168.20.200:4421"
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$T/nvmf.conf";
state_file = "/run/nvmetd/state.json";
irq_affinity = false;
mdns = true;
EOC
"$NVMETD" -f -c $T/nvmetd.conf >$T/nvmetd.log 2>&1 &
pid=$!
TCPSVC="nvmetd-guest tcp 192.168.20.200:4420._nvme-disc._tcp.local."
RDMASVC="nvmetd-guest rdma 192.168.20.200:4421._nvme-disc._tcp.local."
seen() { grep -qF "add $1|$2|192.168.20.200|" $T/browse.log && grep -F "add $1|" $T/browse.log | tail -n1 | grep -qF "$3"; }
adds() { grep -cF "add $1|" $T/browse.log; }
removes() { grep -cxF "remove $1" $T/browse.log; }
check "the browser sees the TCP port: port 4420, 192.168.20.200, p=tcp, nqn=$DNQN" \
	wait_for 30 seen "$TCPSVC" 4420 "nqn=$DNQN,p=tcp"
check "the browser sees the RDMA port: port 4421, p=roce" wait_for 10 seen "$RDMASVC" 4421 "nqn=$DNQN,p=roce"
expect_eq "one service per listening port" "$(grep '^add ' $T/browse.log | cut -d'|' -f1 | sort -u | wc -l)" 2
status=$("$NVMETCFG" status 2>&1)
check "nvmetcfg status shows both advertised" bash -c "[[ \$(grep -c '^mDNS _nvme-disc._tcp .*: advertised' <<<'$status') == 2 ]]"
info "$(grep '^mDNS' <<<"$status" | tr '\n' ';')"

d=$(discover 192.168.20.200 4420)
info "$(tr '\n' ';' <<<"$d")"
check "nvme discover at the advertised address lists the TCP referral" grep -q '^tcp 192.168.30.200 4420 ' <<<"$d"
check "... and the RDMA referral" grep -q '^rdma 192.168.31.200 4420 ' <<<"$d"
check "... and reports the discovery NQN from nvmf.conf" grep -q " $DNQN\$" <<<"$d"
expect_eq "the kernel's discovery_nqn" "$(cat $CFS/discovery_nqn)" "$DNQN"

# the RDMA device goes: the RoCE service is withdrawn; it comes back: advertised again
rdma link delete rxe_t
check "deleting the RDMA device withdraws the RoCE service" wait_for 15 bash -c "[[ \$(grep -cxF 'remove $RDMASVC' $T/browse.log) -ge 1 ]]"
check "... the TCP one stays" bash -c "[[ \$(grep -cxF 'remove $TCPSVC' $T/browse.log) == 0 ]]"
rport=$(for p in $CFS/ports/*; do [[ $(cat $p/addr_trtype) == rdma ]] && basename $p; done)
check "... and the RDMA port's ANA group is made inaccessible (nvmetd: the port cannot serve)" \
	wait_for 10 bash -c "[[ \$(cat $CFS/ports/$rport/ana_groups/1/ana_state) == inaccessible ]]"
rdma link add rxe_t type rxe netdev veth-t
check "re-adding it advertises the RoCE service again" wait_for 20 bash -c "[[ \$(grep -cF 'add $RDMASVC|' $T/browse.log) -ge 2 ]]"
expect_eq "... and the port is optimized again" "$(cat $CFS/ports/$rport/ana_groups/1/ana_state)" optimized

# avahi-daemon restarts: nvmetd says so once and publishes again when it is back
avahi-daemon --kill; sleep 2
check "nvmetd noticed avahi-daemon went away (one line)" bash -c "[[ \$(grep -c 'avahi-daemon went away' $T/nvmetd.log) == 1 ]]"
check "... and still serves" bash -c "ls $CFS/ports/*/subsystems/ | grep -q $NQN"
n_tcp=$(adds "$TCPSVC")
check "avahi-daemon back: both advertised again" start_avahi
check "... the browser sees them" wait_for 30 bash -c "[[ \$(grep -cF 'add $TCPSVC|' $T/browse.log) -gt $n_tcp ]]"

# reload without the TCP port: withdrawn
write_conf nqn "RDMA 192.168.20.200:4421"
r0=$(removes "$TCPSVC")
kill -HUP $pid
check "a port removed from nvmf.conf + reload is withdrawn" wait_for 15 bash -c "[[ \$(grep -cxF 'remove $TCPSVC' $T/browse.log) -gt $r0 ]]"
sleep 3
check "... the RoCE service stays advertised" bash -c "grep -q '^mDNS .*:4421 .*advertised' <<<\"\$('$NVMETCFG' status)\""

# idle with advertisement on: no wakeups
sleep 5
v0=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
sleep "$idle"
v1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
expect_eq "idle nvmetd with mDNS on: voluntary context switches in ${idle} s" "$((v1 - v0))" 0

kill $pid; wait $pid
check "stopping withdraws the rest" wait_for 10 bash -c "[[ \$(grep -cxF 'remove $RDMASVC' $T/browse.log) -ge 2 ]]"
kill $browser 2>/dev/null
avahi-daemon --kill 2>/dev/null
grep -E 'mDNS|avahi' $T/nvmetd.log | sed 's/^/#   nvmetd: /' | head -20
finish
