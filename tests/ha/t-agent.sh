#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: t-agent.sh BUILD_DIR
# ocf:nvmetd:nvmet on the host: its metadata against resource-agents' DTD, validate-all's refusals, and
# start/promote/demote/monitor/stop against nvmetd-fake (nvmetd on the unit tests' fake configfs), then
# ocf-tester. Needs resource-agents (ocf-tester, ocf-shellfuncs, ra-api-1.dtd) and xmllint.
set -u
B=$(cd "${1:?usage: t-agent.sh BUILD_DIR}" && pwd)
A=$B/ocf/nvmet
_pass=0 _fail=0
ok() { echo "ok - $1"; _pass=$((_pass + 1)); }
nok() { echo "not ok - $1"; _fail=$((_fail + 1)); }
check() { local d=$1; shift; if "$@" >"$T/check.out" 2>&1; then ok "$d"; else nok "$d"; sed 's/^/#   /' "$T/check.out" | tail -n 15; fi; }
# rc "description" WANT agent-action [VAR=value...]: the agent's exit status is WANT
rc() { local d=$1 want=$2 act=$3 got; shift 3; env "$@" "$A" "$act" >"$T/check.out" 2>&1; got=$?
	if [[ $got == "$want" ]]; then ok "$d"; else nok "$d (exit $got, want $want)"; sed 's/^/#   /' "$T/check.out" | tail -n 15; fi; }
finish() { echo "# $_pass passed, $_fail failed"; [[ $_fail == 0 ]]; exit $?; }
for f in /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs /usr/share/resource-agents/ra-api-1.dtd /usr/sbin/ocf-tester; do
	[[ -e $f ]] || { nok "$f is installed (apt-get install resource-agents pacemaker-cli-utils libxml2-utils)"; finish; }
done
[[ -x $B/tests/rpc/nvmetd-fake ]] || { nok "nvmetd-fake is built (make check)"; finish; }
T=$(mktemp -d /tmp/t-agent.XXXXXX)
trap '[[ -f $T/run/ocf-nvmetd.pid ]] && kill "$(cat $T/run/ocf-nvmetd.pid)" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/cfs" "$T/sys" "$T/run"
ln -s "$B/tests/rpc/nvmetd-fake" "$T/nvmetd"	# named nvmetd: nvmetcfg trusts the state file's pid by its name
truncate -s 64M "$T/disk.img"
UUID=4a6f2a30-7c1e-4d2b-9b8e-2f3c4d5e6f70
conf() { # conf FILE [CLUSTER] [UUID] [LISTEN...]
	local f=$1 cl=$2 u=$3; shift 3
	{ [[ -n $cl ]] && echo "[Cluster]"
	  printf '[AIO]\n  AIO %s D0\n[Subsystem1]\n  NQN nqn.2024-01.io.nvmetd:ha\n  SN NVTESTHA0001\n' "$T/disk.img"
	  printf '  MN nvmetd-ha-test\n  AllowAnyHost Yes\n  Namespace D0 1 %s\n' "$u"
	  for l in "$@"; do echo "  Listen TCP $l"; done; } >"$f"
}
conf "$T/nvmf.conf" y $UUID 127.0.0.1:14420 127.0.0.2:14420	# 127.0.0.2 is on no interface: "address gone"
printf 'nvmf_conf = "%s/nvmf.conf";\nstate_file = "%s/state.json";\non_stop = "clear";\n' "$T" "$T" >"$T/nvmetd.conf"
export NVMET_CONFIGFS_ROOT=$T/cfs NVMET_SYSFS_ROOT=$T/sys NVMET_RUN_DIR=$T/run NVMET_LOCK_FILE=$T/run/apply.lock \
	NVMETD_STATE=$T/state.json NVMET_OCF_TEST_DAEMON="$T/nvmetd -f -c $T/nvmetd.conf" OCF_ROOT=/usr/lib/ocf \
	OCF_RESKEY_nvmetcfg=$B/src/nvmetcfg/nvmetcfg OCF_RESKEY_config=$T/nvmf.conf OCF_RESKEY_node_id=2 \
	OCF_RESOURCE_INSTANCE=t-agent
CFS=$T/cfs/nvmet SUB=$T/cfs/nvmet/subsystems/nqn.2024-01.io.nvmetd:ha
ana() { cat "$CFS/ports/$1/ana_groups/1/ana_state"; }

# ---- metadata ----
"$A" meta-data >"$T/md.xml"
check "meta-data validates against ra-api-1.dtd" xmllint --noout --dtdvalid /usr/share/resource-agents/ra-api-1.dtd "$T/md.xml"
check "meta-data: promote, demote, a monitor per role" grep -q 'role="Unpromoted"' "$T/md.xml"

# ---- validate-all ----
rc "validate-all: a [Cluster] config with a fixed identity" 0 validate-all
conf "$T/plain.conf" "" $UUID 127.0.0.1:14420
rc "validate-all: no [Cluster] section is a configuration error" 6 validate-all OCF_RESKEY_config="$T/plain.conf"
grep -q "no \[Cluster\] section" "$T/check.out" && ok "  ...the reason names the section" || nok "  ...the reason names the section"
sed 's/ '$UUID'//' "$T/nvmf.conf" >"$T/nouuid.conf"
rc "validate-all: a Namespace without UUID is refused" 6 validate-all OCF_RESKEY_config="$T/nouuid.conf"
grep -q "nouuid.conf:9: .*has no UUID" "$T/check.out" && ok "  ...at file:line, naming the UUID" || { nok "  ...at file:line, naming the UUID"; cat "$T/check.out"; }
rc "validate-all: non-optimized standby needs storage=shared" 6 validate-all OCF_RESKEY_standby_state=non-optimized
rc "validate-all: non-optimized standby with shared storage" 0 validate-all OCF_RESKEY_standby_state=non-optimized OCF_RESKEY_storage=shared
rc "validate-all: cntlid_range=auto without a node ID" 6 validate-all OCF_RESKEY_node_id=
rc "validate-all: node ID 9 is beyond auto's 8 slots" 6 validate-all OCF_RESKEY_node_id=9
rc "validate-all: a missing config" 5 validate-all OCF_RESKEY_config="$T/none.conf"
rc "probe before start: not running" 7 monitor

# ---- transitions ----
rc "start" 0 start
check "unpromoted: every port listening, inaccessible" bash -c "[[ \$(cat $CFS/ports/1/ana_groups/1/ana_state $CFS/ports/2/ana_groups/1/ana_state | sort -u) == inaccessible && -L $CFS/ports/1/subsystems/nqn.2024-01.io.nvmetd:ha && -L $CFS/ports/2/subsystems/nqn.2024-01.io.nvmetd:ha ]]"
check "controller IDs from node ID 2: 8190-16378" bash -c "[[ \$(cat $SUB/attr_cntlid_min)-\$(cat $SUB/attr_cntlid_max) == 8190-16378 ]]"
rc "monitor: unpromoted (0)" 0 monitor
rc "start again: idempotent" 0 start
rc "promote" 0 promote
check "promoted: the serving port optimized, the port whose address is gone inaccessible" \
	bash -c "[[ \$(cat $CFS/ports/1/ana_groups/1/ana_state) == optimized && \$(cat $CFS/ports/2/ana_groups/1/ana_state) == inaccessible ]]"
rc "monitor: promoted (8)" 8 monitor
rc "promote again: idempotent" 0 promote
"$B/src/nvmetcfg/nvmetcfg" role unpromoted >/dev/null; "$B/src/nvmetcfg/nvmetcfg" show >"$T/shown.conf" 2>&1
"$B/src/nvmetcfg/nvmetcfg" role promoted >/dev/null
check "nvmetcfg show on an unpromoted node: the Listen line's state, not the role's" \
	grep -qx '  Listen TCP 127.0.0.1:14420' "$T/shown.conf"
rc "demote" 0 demote
[[ $(ana 1) == inaccessible ]] && ok "demoted: inaccessible again" || nok "demoted: inaccessible again ($(ana 1))"
rc "demote again: idempotent" 0 demote
rc "monitor: unpromoted after demote" 0 monitor
rc "promote (again)" 0 promote
kill -9 "$(cat "$T/run/ocf-nvmetd.pid")"; sleep 0.3
rc "monitor: promoted, nvmetd gone: failed promoted (9)" 9 monitor
# systemd restarts it (Restart=); the fake tree cannot be cleared by nvmetcfg itself (plain directories)
$NVMET_OCF_TEST_DAEMON >>"$T/run/ocf-nvmetd.log" 2>&1 & echo $! >"$T/run/ocf-nvmetd.pid"
check "restarted nvmetd takes the live target over" bash -c "for i in \$(seq 50); do '$A' monitor && exit 1; [[ \$? == 8 ]] && exit 0; sleep 0.2; done; exit 1"
rc "stop" 0 stop
check "stop left no export" bash -c "[[ -z \$(ls -A $CFS/subsystems) && -z \$(ls -A $CFS/ports) ]]"
rc "monitor after stop: not running (7)" 7 monitor
rc "stop again: idempotent" 0 stop
rc "start, standby non-optimized (shared storage)" 0 start OCF_RESKEY_standby_state=non-optimized OCF_RESKEY_storage=shared
[[ $(ana 1) == non-optimized ]] && ok "  ...standby port non-optimized" || nok "  ...standby port non-optimized ($(ana 1))"
rc "stop from unpromoted" 0 stop
# a node none of whose ports can serve never starts
conf "$T/dead.conf" y $UUID 127.0.0.2:14420
sed -i "s|$T/nvmf.conf|$T/dead.conf|" "$T/nvmetd.conf"
rc "start with no port able to serve: fails (1) within its timeout" 1 start OCF_RESKEY_config="$T/dead.conf" OCF_RESKEY_CRM_meta_timeout=8000
grep -q "0 of 1 ports can serve" "$T/check.out" && ok "  ...saying no port can serve" || { nok "  ...saying no port can serve"; sed 's/^/#   /' "$T/check.out"; }
rc "stop after the failed start" 0 stop OCF_RESKEY_config="$T/dead.conf"
sed -i "s|$T/dead.conf|$T/nvmf.conf|" "$T/nvmetd.conf"

# ---- ocf-tester (start/stop twice, promote/demote twice, probes, validate-all, su nobody meta-data) ----
env -u OCF_RESKEY_config -u OCF_RESKEY_nvmetcfg -u OCF_RESKEY_node_id -u OCF_ROOT \
	ocf-tester -n t-agent -o config="$T/nvmf.conf" -o nvmetcfg="$B/src/nvmetcfg/nvmetcfg" -o node_id=1 "$A" >"$T/tester.out" 2>&1
grep -q "passed all tests" "$T/tester.out" && ok "ocf-tester passes" || { nok "ocf-tester passes"; sed 's/^/#   /' "$T/tester.out" | tail -n 20; }
finish
