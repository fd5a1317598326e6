#!/bin/bash
# One node of the two-node rig (t-ha-host.sh boots both under real systemd). Node A joins the
# cluster and serves until the host kills it or says "end"; node B joins, hosts the initiator and
# drives the scenarios, asking the host (files in the rendezvous directory) to kill or restart A.
# Usage: ha-node.sh nodeA|nodeB STAGE [boot number] [standby state] [yes: diagnostics]
. "$(dirname "$0")/guest-lib.sh"
. "$(dirname "$0")/ha-lib.sh"
node=$1 stage=$2 boot=${3:-1} HA_STANDBY=${4:-inaccessible} diag=${5:-no}
ha_mount || { nok "the rendezvous directory is mounted"; finish; }
hostname $node
info "$node (boot $boot, standby $HA_STANDBY), kernel $(uname -r), $(pacemakerd --version 2>/dev/null | head -n1), $(corosync -v 2>/dev/null | head -n1)"
check "$node: install the staged tree" bash -c "tar -C '$stage' -cf - . | tar -C / -xf - --keep-directory-symlink && systemctl daemon-reload"
check "$node: the cluster link is up" ha_net $node
modprobe nvmet-tcp
check "$node: the shared disk is there ($SHARED)" wait_for 30 test -b $SHARED
check "$node: the agent, nvmetd.conf and nvmf.conf ([Cluster], the shared disk)" ha_target_setup $node
check "$node: corosync and pacemaker start" ha_cluster_start
ha_say $node.up "$boot"
# with NVMETD_HA_KEEP (diagnostics), what the agent runs that takes long (a monitor once hung for 30 s),
# sampled every 3 s; not by default: ps under TCG costs the nodes time
[[ $diag == yes ]] && while sleep 3; do
	ps -eo etimes=,args= | awk -v t="$(date +%T)" '$1 >= 5 && /nvmetcfg|crm_attribute|crm_node|resource.d\/nvmetd/ { print t, $0 }'
done >>$HA/$node.$boot.slow 2>/dev/null &

if [[ $node == nodeA ]]; then
	# serve until the host says "end" (or kills this guest); node B reads this node's view of its
	# role and ports (nvmetcfg role) from the rendezvous directory when something fails
	end=$((SECONDS + 1500))
	until ha_seen end || ((SECONDS > end)); do
		{ date +%T; nvmetcfg role 2>&1; } >$HA/nodeA.role.tmp && mv $HA/nodeA.role.tmp $HA/nodeA.role
		sleep 3
	done
	info "$node: end"
	ha_logs $node $boot
	finish
fi

# node B: everything else runs from here
. "$(dirname "$0")/ha-scenarios.sh"
ha_scenarios
ha_logs $node $boot
ha_say end
finish
