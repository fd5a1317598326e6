# The scenarios of the two-node rig, run on node B (sourced by ha-node.sh): Pacemaker promotes
# ocf:nvmetd:nvmet on node A; the initiator (B's namespace) has a path to each node and writes with
# fio (rate-limited, verified) through a planned switchover to B and back, a crash of A (its qemu
# killed: stonith-enabled=false is a test-only setting, acceptable because the victim is really
# gone), A's return and a failback. All times are B's clock.

# the promoted node in Pacemaker's view
ha_promoted() { crm_mon -1 2>/dev/null | sed -n 's/.*\(Promoted\|Masters\): \[ *\([^ ]*\) *\].*/\2/p' | head -n1; }
ha_promoted_is() { [[ $(ha_promoted) == "$1" ]]; }

# the host's paths to the subsystem: "address ana_state" per controller (native multipath)
ha_paths() {
	local c n a s p
	for c in /sys/class/nvme/nvme*; do
		read -r n <$c/subsysnqn 2>/dev/null && [[ $n == "$HA_NQN" ]] || continue
		read -r s <$c/state 2>/dev/null
		a=$(sed -n 's/.*traddr=\([^,]*\).*/\1/p' $c/address)
		for p in $c/nvme*c*n1; do [[ -e $p/ana_state ]] && read -r p <$p/ana_state && break; p=none; done
		echo "$a $s $p"
	done | sort
}
# the host sees node X's path optimized and the other one at the standby state, both live
ha_host_sees() { # nodeA|nodeB
	local o=${HA_ADDR[$1]} other
	[[ $1 == nodeA ]] && other=${HA_ADDR[nodeB]} || other=${HA_ADDR[nodeA]}
	[[ $(ha_paths) == "$(printf '%s\n' "$o live optimized" "$other live $HA_STANDBY" | sort)" ]]
}
ha_host_sees_only() { # node: its path optimized (the other one gone or not live)
	ha_paths | grep -q "^${HA_ADDR[$1]} live optimized$"
}

# the promotable clone of the README, monitor timeouts doubled for TCG (a 2-core host runs both
# guests: a 30 s monitor timed out once under load) and load-threshold raised (an emulated guest's load
# average made the controller throttle to one action at a time: a switchover waited for a monitor),
# node A preferred for the Promoted role by 4: it breaks the
# first tie, and stays below the agent's +5 for the promoted node, so a node that returns does not take
# the role back (stickiness does not count towards promotion; tests/ha/t-simulate.sh shows both)
ha_cib() {
	cat >$T/cib.xml <<'EOX'
<cib crm_feature_set="3.0" validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
        <nvpair id="opt-deadtime" name="dc-deadtime" value="60s"/>
        <nvpair id="opt-load" name="load-threshold" value="1000%"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <clone id="c_nvmet">
        <meta_attributes id="c_nvmet-meta">
          <nvpair id="c-promotable" name="promotable" value="true"/>
          <nvpair id="c-pmax" name="promoted-max" value="1"/>
          <nvpair id="c-pnmax" name="promoted-node-max" value="1"/>
          <nvpair id="c-cmax" name="clone-max" value="2"/>
          <nvpair id="c-cnmax" name="clone-node-max" value="1"/>
        </meta_attributes>
        <primitive id="p_nvmet" class="ocf" provider="nvmetd" type="nvmet">
          <instance_attributes id="p_nvmet-params">
            <nvpair id="p-config" name="config" value="/etc/nvmet/nvmf.conf"/>
            <nvpair id="p-storage" name="storage" value="shared"/>
            <nvpair id="p-standby" name="standby_state" value="@STANDBY@"/>
          </instance_attributes>
          <operations>
            <op id="p-start" name="start" interval="0s" timeout="120s"/>
            <op id="p-stop" name="stop" interval="0s" timeout="120s"/>
            <op id="p-promote" name="promote" interval="0s" timeout="90s"/>
            <op id="p-demote" name="demote" interval="0s" timeout="90s"/>
            <op id="p-mon-p" name="monitor" interval="5s" role="Promoted" timeout="60s"/>
            <op id="p-mon-u" name="monitor" interval="7s" role="Unpromoted" timeout="60s"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints>
      <rsc_location id="l_pref_A" rsc="c_nvmet">
        <rule id="l_pref_A-rule" role="Promoted" score="4">
          <expression id="l_pref_A-expr" attribute="#uname" operation="eq" value="nodeA"/>
        </rule>
      </rsc_location>
    </constraints>
    <rsc_defaults>
      <meta_attributes id="rsc-options">
        <nvpair id="rsc-stick" name="resource-stickiness" value="100"/>
        <nvpair id="rsc-mig" name="migration-threshold" value="3"/>
        <nvpair id="rsc-fto" name="failure-timeout" value="120s"/>
      </meta_attributes>
    </rsc_defaults>
  </configuration>
  <status/>
</cib>
EOX
	sed -i "s/@STANDBY@/$HA_STANDBY/" $T/cib.xml
	cibadmin --replace --xml-file $T/cib.xml
}

# move the promoted role (Pacemaker 2.1 spells it --promoted; older --master)
ha_move() { crm_resource --move --promoted -r c_nvmet -N $1 2>/dev/null || crm_resource --move --master -r c_nvmet -N $1; }
ha_clear() { crm_resource --clear -r c_nvmet >/dev/null 2>&1; }

# the longest window with no completed I/O between two times (s since the epoch), from fio's
# 100 ms IOPS log (time in ms since fio started, at $T/fio.t0): the longest run of zero samples or
# the longest gap between samples with I/O (fio may write no sample while nothing completes), and
# how many samples fell in the window (none: the figure means nothing, and says so)
ha_stall() { # from to
	local t0; t0=$(cat $T/fio.t0)
	[[ -s $T/fio_iops.1.log ]] || { echo "unknown (no fio log)"; return; }
	awk -F', *' -v a="$1" -v b="$2" -v t0="$t0" '
		BEGIN { last = a }
		{ t = t0 + $1 / 1000; if (t < a || t > b) next; n++
		  if ($2 > 0) { if (t - 0.1 - last > m) m = t - 0.1 - last; last = t } }
		END { if (b - last > m) m = b - last; printf "%.1f s (%d samples)\n", m, n }' $T/fio_iops.1.log
}

ha_phase() { date +%s.%N; }
# what to look at when a step fails: both nodes' view, the host's paths, Pacemaker's
ha_diag() {
	info "--- $1"
	ha_paths | sed 's/^/#   path /'
	sed 's/^/#   node A: /' $HA/nodeA.role 2>/dev/null
	nvmetcfg role 2>&1 | sed 's/^/#   node B: /'
	crm_mon -1 -f -r 2>&1 | sed 's/^/#   crm_mon: /' | head -n 40
	corosync-quorumtool -s 2>&1 | sed 's/^/#   quorum: /' | head -n 12
	cibadmin -Q -o constraints 2>/dev/null | grep -E 'rsc_location id="cli' | sed 's/^/#   /'
	journalctl -b --no-pager -o short-monotonic 2>/dev/null |
		grep -E 'nvmet\(p_nvmet|nvmetd\[|pacemaker-(controld|schedulerd).*(p_nvmet|Result of|Stop|Promote|Ban|fail)|corosync.*(quorum|membership|TOTEM)' |
		tail -n 40 | sed 's/^/#   journal: /'
}
# check with diagnostics: ha_check "description" command...
ha_check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; ha_diag "$d"; fi; }
# a phase's window, for the stall figures computed once fio has written its log (at its end)
ha_record() { echo "$2 $3 $1" >>$T/phases; } # name from to

ha_scenarios() {
	local t1 t2 dev pid fails
	check "node A is up" wait_for 600 ha_seen nodeA.up
	check "both nodes are online in Pacemaker (corosync two_node)" wait_for 300 ha_online
	check "the initiator reaches node A over the cluster link" ip netns exec $NS ping -c1 -W5 ${HA_ADDR[nodeA]}
	check "... and node B through its bridge" ip netns exec $NS ping -c1 -W5 ${HA_ADDR[nodeB]}
	check "the CIB: a promotable clone of ocf:nvmetd:nvmet, node A preferred" ha_cib
	t1=$(ha_phase)
	ha_check "Pacemaker promotes node A" wait_for 300 ha_promoted_is nodeA
	info "cluster up to node A promoted: $(echo "$(ha_phase) - $t1" | bc) s"
	check "node B's port is at the standby state ($HA_STANDBY)" wait_for 60 \
		bash -c "grep -qx $HA_STANDBY $CFS/ports/*/ana_groups/1/ana_state"
	check "... and node B's controller IDs are its own range" \
		bash -c "[[ \$(cat $CFS/subsystems/$HA_NQN/attr_cntlid_min) -gt 1 ]]"

	modprobe nvme-tcp
	ip netns exec $NS nvme connect -t tcp -a ${HA_ADDR[nodeA]} -s 4420 -n $HA_NQN --reconnect-delay=1 >/dev/null 2>&1
	ip netns exec $NS nvme connect -t tcp -a ${HA_ADDR[nodeB]} -s 4420 -n $HA_NQN --reconnect-delay=1 >/dev/null 2>&1
	check "the host has a path to each node: A optimized, B $HA_STANDBY" wait_for 60 ha_host_sees nodeA
	ha_paths | sed 's/^/#   path /'
	check "... two controllers, two controller IDs" bash -c "[[ \$(grep -l '$HA_NQN' /sys/class/nvme/nvme*/subsysnqn | xargs -n1 dirname | sed 's|\$|/cntlid|' | xargs cat | sort -u | wc -l) == 2 ]]"
	check "... no duplicate controller ID, no identity mismatch (dmesg)" bash -c "! dmesg | grep -E 'Duplicate cntlid|IDs don.t match'"
	dev=$(fabric_dev $HA_NQN)
	check "one multipath device ($dev)" test -b "$dev"

	# load through every phase: rate-limited (TCG must keep corosync fed), verified writes
	ha_phase >$T/fio.t0
	fio --name=ha --filename=$dev --direct=1 --ioengine=libaio --rw=randwrite --bs=4k --iodepth=8 \
		--size=128M --rate_iops=200 --verify=crc32c --verify_backlog=512 --time_based --runtime=1500 \
		--write_iops_log=$T/fio --log_avg_msec=100 --output-format=json --output=$T/fio.json &
	pid=$!
	sleep 2
	t1=$(ha_phase); sleep 8; ha_record "steady state (nothing changing)" $t1 $(ha_phase)

	t1=$(ha_phase)
	check "planned switchover: Pacemaker moves the promoted role to node B" ha_move nodeB
	ha_check "... the host sees B optimized, A $HA_STANDBY" wait_for 180 ha_host_sees nodeB
	t2=$(ha_phase); info "switchover to B: $(echo "$t2 - $t1" | bc) s"; ha_record "planned switchover to B" $t1 $t2
	sleep 5
	t1=$(ha_phase)
	check "planned failback to node A" ha_move nodeA
	ha_check "... the host sees A optimized again" wait_for 180 ha_host_sees nodeA
	t2=$(ha_phase); info "failback to A: $(echo "$t2 - $t1" | bc) s"; ha_record "planned failback to A" $t1 $t2
	ha_clear
	sleep 5

	t1=$(ha_phase)
	ha_say kill-A.req
	check "crash: node A's qemu is killed" wait_for 60 ha_seen kill-A.done
	ha_check "... Pacemaker promotes node B" wait_for 240 ha_promoted_is nodeB
	info "kill to B promoted: $(echo "$(ha_phase) - $(cat $HA/kill-A.done)" | bc) s"
	ha_check "... the host's I/O goes to node B" wait_for 120 ha_host_sees_only nodeB
	t2=$(ha_phase); ha_record "crash of A" $t1 $t2
	check "... fio still runs" kill -0 $pid

	t1=$(ha_phase)
	ha_say restart-A.req
	check "node A boots again and rejoins" wait_for 600 ha_seen nodeA.up
	check "... both online" wait_for 300 ha_online
	ha_check "... node B stays promoted (stickiness)" ha_promoted_is nodeB
	ha_check "... the host's path to A comes back $HA_STANDBY" wait_for 240 ha_host_sees nodeB
	info "restart of A to two live paths: $(echo "$(ha_phase) - $t1" | bc) s"

	t1=$(ha_phase)
	check "failback to the returned node A" ha_move nodeA
	ha_check "... the host sees A optimized" wait_for 180 ha_host_sees nodeA
	t2=$(ha_phase); info "failback after the crash: $(echo "$t2 - $t1" | bc) s"; ha_record "failback to the returned A" $t1 $t2
	ha_clear

	sleep 5
	kill -INT $pid
	wait_for 60 bash -c "! kill -0 $pid" || { nok "fio stops (its I/O hangs)"; ha_diag "fio hangs"; kill -9 $pid; }
	wait $pid 2>/dev/null
	fails=$(python3 -c 'import json,sys; t=open(sys.argv[1]).read(); j=json.loads(t[t.index("{"):]); print(sum(x["error"] for x in j["jobs"]), j["jobs"][0]["write"]["total_ios"])' $T/fio.json 2>&1 | tail -n1)
	info "fio: errors, writes: $fails"
	while read -r a b name; do info "$name: longest window without a completed I/O $(ha_stall $a $b)"; done <$T/phases
	expect_eq "no I/O error and no verify failure through every phase" "${fails%% *}" 0
	check "no path ever failed I/O (dmesg)" bash -c "! dmesg | grep -E 'no available path - failing I/O|ANATT timeout'"
	crm_mon -1 2>&1 | sed 's/^/#   /' | head -n 20
	# a host with no path left queues I/O forever: disconnect before the nodes power off
	ip netns exec $NS nvme disconnect -n $HA_NQN >/dev/null 2>&1
}
