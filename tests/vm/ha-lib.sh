# Helpers for the two-node guests of t-ha-host.sh (sourced after guest-lib.sh): the cluster link,
# corosync + Pacemaker, the node's nvmf.conf, and the rendezvous directory the host watches.
# Node A: 192.168.50.1 on the link. Node B: the link in bridge br0 (192.168.50.2) and the
# initiator's network namespace on a veth into br0 (192.168.50.100): the host reaches A through
# qemu's link and B locally, so only A may be killed.
HA=/nvtest-ha
HA_NQN=nqn.2016-06.io.spdk:ha1
HA_NSUUID=6d1d3c1a-0b5e-4c55-9a6f-3f1e2a4b5c60
declare -A HA_ADDR=([nodeA]=192.168.50.1 [nodeB]=192.168.50.2)
HA_INIT_IP=192.168.50.100
SHARED=/dev/disk/by-id/virtio-NVTEST-HA-SHARED

# wait_for SECONDS command...: by the clock (forks are expensive under TCG)
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.5; done; }
# the host's rendezvous: a file appears / say something
ha_say() { echo "${2:-$(date +%s.%N)}" >"$HA/$1.tmp" && mv "$HA/$1.tmp" "$HA/$1"; }
ha_seen() { [[ -e $HA/$1 ]]; }

ha_mount() {
	mkdir -p $HA
	mountpoint -q $HA || mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ha $HA
}

ha_nodeid() { [[ $1 == nodeA ]] && echo 1 || echo 2; }
# the NIC qemu connects to the peer (its MAC ends in the node's number)
ha_link_nic() {
	local mac=$1 n
	for n in /sys/class/net/*; do [[ $(cat $n/address 2>/dev/null) == "$mac" ]] && { basename $n; return 0; }; done
	return 1
}

ha_net() { # node
	local nic
	nic=$(ha_link_nic "52:54:00:a0:00:0$(ha_nodeid $1)") || return 1
	ip link set "$nic" up
	if [[ $1 == nodeA ]]; then
		ip addr add ${HA_ADDR[nodeA]}/24 dev "$nic"
		return 0
	fi
	ip link add br0 type bridge && ip link set "$nic" master br0 && ip link set br0 up &&
		ip addr add ${HA_ADDR[nodeB]}/24 dev br0 || return 1
	ip netns add $NS && ip link add veth-b type veth peer name veth-i && ip link set veth-i netns $NS &&
		ip link set veth-b master br0 && ip link set veth-b up || return 1
	ip netns exec $NS ip link set lo up
	ip netns exec $NS ip addr add $HA_INIT_IP/24 dev veth-i
	ip netns exec $NS ip link set veth-i up
}

# corosync (two_node, slow token for TCG) + Pacemaker, started by the test (masked at boot)
ha_cluster_start() {
	mkdir -p /etc/corosync /var/log/corosync
	cat >/etc/corosync/corosync.conf <<'EOC'
totem {
	version: 2
	cluster_name: nvtest
	transport: knet
	token: 10000
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
	node {
		name: nodeA
		nodeid: 1
		ring0_addr: 192.168.50.1
	}
	node {
		name: nodeB
		nodeid: 2
		ring0_addr: 192.168.50.2
	}
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
logging {
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	timestamp: hires
	to_syslog: no
}
EOC
	rm -rf /var/lib/pacemaker/cib/* /etc/systemd/system/corosync.service /etc/systemd/system/pacemaker.service
	systemctl daemon-reload
	systemctl start corosync pacemaker
}

# both nodes online in Pacemaker's view
ha_online() { crm_mon -1 2>/dev/null | grep -qE "Online: \[ *node[AB] +node[AB] *\]"; }

# this node's nvmf.conf: one subsystem on the shared disk, the same identity on both nodes
ha_conf() { # node [state] [file]
	local f=${3:-/etc/nvmet/nvmf.conf}
	mkdir -p "$(dirname "$f")"
	cat >"$f" <<EOC
[Cluster]

[AIO]
  AIO $SHARED Shared0

[Subsystem1]
  NQN $HA_NQN
  Listen TCP ${HA_ADDR[$1]}:4420 ${2:-}
  AllowAnyHost Yes
  SN NVTESTHA0000000001
  MN NVTEST-HA
  Namespace Shared0 1 $HA_NSUUID
EOC
}

# the agent where Pacemaker looks (make install put it below the staged prefix), nvmetd.conf as the
# agent wants it (the agent starts nvmetd; stopping it clears the target), this node's nvmf.conf
ha_target_setup() { # node
	local a
	a=$(find /usr/local/lib/ocf /usr/lib/ocf/resource.d/nvmetd -name nvmet -type f 2>/dev/null | head -n1)
	[[ -n $a ]] || return 1
	mkdir -p /usr/lib/ocf/resource.d/nvmetd
	[[ $a == /usr/lib/ocf/resource.d/nvmetd/nvmet ]] || ln -sf "$a" /usr/lib/ocf/resource.d/nvmetd/nvmet
	mkdir -p /etc/nvmet
	printf 'nvmf_conf = "/etc/nvmet/nvmf.conf";\non_stop = "clear";\nirq_affinity = false;\n' >/etc/nvmet/nvmetd.conf
	ha_conf $1
	nvmetcfg check /etc/nvmet/nvmf.conf
}

# this boot's journal and Pacemaker's detail log into the rendezvous directory (the host keeps them
# when the rig fails: NVMETD_HA_KEEP)
ha_logs() { # node boot
	journalctl -b --no-pager -o short-monotonic >"$HA/$1.$2.journal" 2>&1
	cp /var/log/pacemaker/pacemaker.log "$HA/$1.$2.pacemaker.log" 2>/dev/null
	cp /var/log/corosync/corosync.log "$HA/$1.$2.corosync.log" 2>/dev/null
	return 0
}
