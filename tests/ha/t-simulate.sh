#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: t-simulate.sh
# The CIB of ocf:nvmetd:nvmet through Pacemaker's scheduler, without a cluster: crm_simulate on CIB
# files with two online nodes. The configuration is the two-node rig's (tests/vm/ha-scenarios.sh,
# read from there), with and without its constraints (node A preferred for the Promoted role, 4;
# resource-stickiness 100); the promotion scores are set as the agent sets them (crm_attribute -p, 100
# + 10 per port that can serve, + 5 while promoted, removed when no port can serve). Each check asserts the
# promoted node read from crm_simulate's XML report. Needs pacemaker-cli-utils and xmllint. KEEP=1
# keeps the CIB files (replay one with crm_simulate -x FILE -S -s).
set -u
here=$(cd "$(dirname "$0")" && pwd)
_pass=0 _fail=0
ok() { echo "ok - $1"; _pass=$((_pass + 1)); }
nok() { echo "not ok - $1"; _fail=$((_fail + 1)); }
that() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
fails() { ! "$@" >/dev/null 2>&1; }
finish() { echo "# $_pass passed, $_fail failed"; [[ $_fail == 0 ]]; exit $?; }
for c in crm_simulate crm_verify crm_attribute cibadmin xmllint; do
	command -v $c >/dev/null || { nok "$c is installed (apt-get install pacemaker-cli-utils libxml2-utils)"; finish; }
done
T=$(mktemp -d /tmp/t-simulate.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
export PCMK_logfile=none

# cib OUT [rig] [fencing]: the rig's CIB, two online nodes without history; without "rig", none of its
# constraints and rsc_defaults (README's crm configuration); "fencing": stonith-enabled with a device
cib() {
	local out=$1 o
	sed -n "/<<'EOX'/,/^EOX/p" "$here/../vm/ha-scenarios.sh" | sed '1d;$d' |
		sed 's/<cib /<cib have-quorum="1" dc-uuid="1" /' >"$out"
	sed -i 's|<nodes/>|<nodes><node id="1" uname="nodeA"/><node id="2" uname="nodeB"/></nodes>|
		s|<status/>|<status>\
    <node_state id="1" uname="nodeA" in_ccm="true" crmd="online" join="member" expected="member"/>\
    <node_state id="2" uname="nodeB" in_ccm="true" crmd="online" join="member" expected="member"/>\
  </status>|' "$out"
	[[ " $* " == *" rig "* ]] || for o in "//rsc_location[@id='l_pref_A']" "//rsc_defaults"; do
		CIB_file=$out cibadmin --delete --xpath "$o" || return 1
	done
	if [[ " $* " == *" fencing "* ]]; then
		sed -i 's|value="false"/>|value="true"/>|
			s|<resources>|<resources><primitive id="fence" class="stonith" type="fence_dummy"/>|' "$out"
	fi
	grep -q '<node_state id="2"' "$out"
}
# with_status CONFIG STATE OUT: CONFIG's configuration with STATE's status (history, attributes)
with_status() {
	{ sed '/<status>/,$d' "$1"; xmllint --xpath '/cib/status' "$2"; echo; echo '</cib>'; } >"$3"
}
# score FILE NODE VALUE|-D: what the agent's ocf_promotion_score does on NODE (crm_attribute -p)
score() {
	local v=(-v "$3"); [[ $3 == -D ]] && v=(-D)
	CIB_file=$1 OCF_RESOURCE_INSTANCE=p_nvmet crm_attribute -p -N "$2" "${v[@]}" >"$T/attr.out" 2>&1 ||
		{ nok "crm_attribute -p -N $2 -v $3"; sed 's/^/#   /' "$T/attr.out"; }
}
# sim IN OUT [crm_simulate options]: one transition, simulated; the report in $T/report.xml
sim() {
	local in=$1 out=$2; shift 2
	SIM_IN=$in
	crm_simulate -x "$in" -S -s -O "$out" --output-as=xml "$@" >"$T/report.xml" 2>"$T/sim.err" ||
		{ nok "crm_simulate -x $in -S $*"; sed 's/^/#   /' "$T/sim.err" | tail -n 5; : >"$T/report.xml"; }
}
# xp XPATH: evaluated on the last report
xp() { xmllint --xpath "$1" "$T/report.xml" 2>/dev/null; }
# nodes ROLE: the nodes in ROLE after the transition
nodes() {
	xp "//revised_cluster_status//resource[@role='$1']/node/@name" | sed 's/ *name="\([^"]*\)"/\1\n/g' | sed '/^$/d' | sort | xargs
}
# expect "description" PROMOTED UNPROMOTED: the roles after the last sim; else the report as text
expect() {
	local p u
	p=$(nodes Promoted) u=$(nodes Unpromoted)
	if [[ $p == "$2" && $u == "$3" ]]; then
		ok "$1"
	else
		nok "$1 (promoted: '$p', unpromoted: '$u'; want '$2', '$3')"
		crm_simulate -x "$SIM_IN" -S -s 2>&1 | sed 's/^/#   /' | tail -n 40
	fi
}
# pscore NODE: the promotion score the scheduler gave NODE's instance
pscore() { xp "string(//promotion_score[@node='$1']/@score)"; }

# ---- the CIBs are valid ----
cib "$T/readme.xml" && cib "$T/rig.xml" rig && cib "$T/fence.xml" rig fencing ||
	{ nok "the rig's CIB (tests/vm/ha-scenarios.sh) made into a two-node CIB"; finish; }
for f in readme rig fence; do
	if crm_verify -x "$T/$f.xml" >"$T/verify.out" 2>&1; then ok "crm_verify accepts the $f CIB"
	else nok "crm_verify accepts the $f CIB"; sed 's/^/#   /' "$T/verify.out"; fi
done
sed 's/rsc="c_nvmet"/rsc="c_typo"/' "$T/rig.xml" >"$T/bad.xml"
that "crm_verify refuses a constraint on no resource" fails crm_verify -x "$T/bad.xml"

# ---- README's configuration: the agent's scores alone decide ----
sim "$T/readme.xml" "$T/started.xml"
expect "no score yet, no constraint: both nodes start an instance, none is promoted" "" "nodeA nodeB"
scores() { # scores A B: from both started unpromoted, the agent's scores set; then one transition
	cp "$T/started.xml" "$T/s.xml"
	score "$T/s.xml" nodeA "$1" && score "$T/s.xml" nodeB "$2" && sim "$T/s.xml" "$T/s-out.xml"
}
scores 120 110
expect "scores A 120, B 110: A is promoted" nodeA nodeB
attr=$(xmllint --xpath "string(//node_state[@uname='nodeA']/transient_attributes//nvpair/@name)" "$T/s.xml")
that "  ...the scheduler reads crm_attribute -p's master-p_nvmet ('$attr'): scores 120, 110" \
	test "$attr/$(pscore nodeA)/$(pscore nodeB)" = master-p_nvmet/120/110
scores 110 120
expect "scores A 110, B 120: B is promoted" nodeB nodeA
scores -D 110
expect "A serves nothing (the agent removes its score), B 110: B is promoted" nodeB nodeA
scores 110 -D
expect "A 110, B serves nothing (no score): A is promoted" nodeA nodeB
scores -D -D
expect "no node can serve (no scores): none is promoted" "" "nodeA nodeB"
scores 0 0
that "  ...whereas scores of 0 would promote one ($(nodes Promoted)): why the agent removes, not zeroes" \
	test "$(nodes Promoted | wc -w)/$(nodes Unpromoted | wc -w)" = 1/1
cp "$T/started.xml" "$T/s.xml"
CIB_file=$T/s.xml crm_attribute -l reboot -N nodeA -n promotion-p_nvmet -v 120 >/dev/null
score "$T/s.xml" nodeB 110 && sim "$T/s.xml" "$T/s-out.xml"
expect "an attribute under another name is ignored: B 110 is promoted" nodeB nodeA

# ---- the rig's constraints: node A preferred (4, below the promoted node's +5), stickiness 100 ----
sim "$T/rig.xml" "$T/rig-up.xml"
expect "rig, no score yet: the Promoted-role preference alone promotes A in the first transition" nodeA nodeB
score "$T/rig-up.xml" nodeA 125 && score "$T/rig-up.xml" nodeB 120 && sim "$T/rig-up.xml" "$T/rig-1.xml"
expect "rig, A promoted (125), B 120: nothing moves" nodeA nodeB
that "  ...no action scheduled" test "$(xp 'count(//actions/*)')" = 0
rig_scores() { # rig_scores A B: the rig's constraints, both started unpromoted
	with_status "$T/rig.xml" "$T/started.xml" "$T/s.xml"
	score "$T/s.xml" nodeA "$1" && score "$T/s.xml" nodeB "$2" && sim "$T/s.xml" "$T/s-out.xml"
}
rig_scores 110 120
expect "rig, A 110, B 120: B is promoted (a port's 10 outweighs the preference 4)" nodeB nodeA
rig_scores 120 120
expect "rig, A 120, B 120: A is promoted (the preference breaks the tie)" nodeA nodeB
that "  ...A's promotion score is 120 + 4 ($(pscore nodeA))" test "$(pscore nodeA)" = 124
rig_scores -D 110
expect "rig, A serves nothing (no score), B 110: B is promoted" nodeB nodeA

# ---- node A lost ----
sim "$T/rig-1.xml" "$T/lost.xml" -f nodeA
expect "A fails (stonith-enabled=false, as the rig): B is promoted" nodeB ""
that "  ...A is offline" test "$(xp "string(//revised_cluster_status/nodes/node[@name='nodeA']/@online)")" = false
with_status "$T/fence.xml" "$T/rig-1.xml" "$T/f.xml"
sim "$T/f.xml" "$T/f-out.xml" -f nodeA
expect "A fails, with fencing: B is promoted" nodeB ""
that "  ...after fencing A" test "$(xp "count(//transition/fencing_action[@target='nodeA']
	[following-sibling::rsc_action[@op='promote' and @node='nodeB']])")" = 1

# ---- node A returns (rebooted: no history, no attributes); B promoted scores 125 ----
score "$T/lost.xml" nodeB 125
for x in "//node_state[@uname='nodeA']/lrm" "//node_state[@uname='nodeA']/transient_attributes"; do
	CIB_file=$T/lost.xml cibadmin --delete --xpath "$x" >/dev/null 2>&1
done
sim "$T/lost.xml" "$T/back.xml" -u nodeA
expect "rig, A rejoins: it starts unpromoted, B stays promoted" nodeB nodeA
score "$T/back.xml" nodeA 120 && sim "$T/back.xml" "$T/back-1.xml"
expect "rig, A scores 120 after its start: B (125) keeps the role over A (120 + 4)" nodeB nodeA
that "  ...promotion scores A 120 + 4, B 125 (resource-stickiness does not count) ($(pscore nodeA), $(pscore nodeB))" \
	test "$(pscore nodeA)/$(pscore nodeB)" = 124/125
with_status "$T/readme.xml" "$T/lost.xml" "$T/r.xml"
sim "$T/r.xml" "$T/r-back.xml" -u nodeA
expect "no preference, A rejoins: it starts unpromoted, B stays promoted" nodeB nodeA
score "$T/r-back.xml" nodeA 120 && sim "$T/r-back.xml" "$T/r-back-1.xml"
expect "no preference: A scores 120 after its start, B stays promoted (the agent's +5)" nodeB nodeA
[[ -n ${KEEP:-} ]] && echo "# CIB files kept in $T (crm_simulate -x FILE -S -s)"
finish
