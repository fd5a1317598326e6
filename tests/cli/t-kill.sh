#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL at any moment, on the host: `nvmetcfg apply` and nvmetd's start-up apply killed with -9 at a
# random point (uniform over a whole apply's duration) on the fake configfs (nvmetcfg-fake and
# nvmetd-fake, built by `make check`, whose tree acts as the kernel's), alternating two configurations
# of N subsystems that differ in every namespace and in which subsystems exist. After each kill the
# next `apply` must succeed and converge: a plan of the configuration says "no changes" (no object
# left half-made: a namespace without its device, a port without its address) and the tree is the
# one a clean apply makes. TAP output. Usage: t-kill.sh [BUILDDIR] [ROUNDS] [N]
set -u
B=${1:-$(dirname "$0")/../../build}
rounds=${2:-40}
n=${3:-60}
CFG=$B/tests/cli/nvmetcfg-fake
NVMETD=$B/tests/rpc/nvmetd-fake
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $*"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $*"; }
for b in "$CFG" "$NVMETD"; do
	[[ -x $b ]] || { echo "# $b is not built (make check builds it)"; echo "# 0 passed, 1 failed"; exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/cfs" "$T/sys" "$T/run"
export NVMET_CONFIGFS_ROOT=$T/cfs NVMET_SYSFS_ROOT=$T/sys NVMET_RUN_DIR=$T/run NVMET_LOCK_FILE=$T/run/apply.lock \
	NVMETD_STATE=$T/state.json
unset NOTIFY_SOCKET

# gen WHICH OUT: configuration A has subsystems 1..n on file a<i>, B subsystems 5..n+4 on file b<i>
# (NSID 2), a second TCP port, and a host ACL on every other subsystem
gen() {
	local w=$1 i lo=1 hi=$n
	[[ $w == b ]] && { lo=5; hi=$((n + 4)); }
	{
		echo "[AIO]"
		for ((i = lo; i <= hi; i++)); do echo "  AIO $T/$w$i.img F$i"; done
		for ((i = lo; i <= hi; i++)); do
			printf '\n[Subsystem%d]\n  NQN nqn.2016-06.io.spdk:k%d\n  SN K%d\n  Listen TCP 127.0.0.1:4420\n' "$i" "$i" "$i"
			[[ $w == b ]] && echo "  Listen TCP 127.0.0.1:4421"
			if [[ $w == b && $((i % 2)) == 0 ]]; then echo "  AllowAnyHost No"; echo "  Host nqn.2014-08.org.h:$i"
			else echo "  AllowAnyHost Yes"; fi
			echo "  Namespace F$i $([[ $w == b ]] && echo 2 || echo 1)"
		done
	} >"$T/$w.conf"
}
for ((i = 1; i <= n + 4; i++)); do truncate -s 1M "$T/a$i.img" "$T/b$i.img"; done
gen a; gen b

snap() { (cd "$T/cfs/nvmet" && find . -printf '%y %p %l\n' | sort && grep -r '' . | sort); }
converged() { # CONF: the next apply succeeds, then a plan has nothing to do
	"$CFG" apply "$1" >"$T/out" 2>&1 || { echo "# apply after the kill failed:"; sed 's/^/#   /' "$T/out" | tail -n 5; return 1; }
	"$CFG" plan "$1" >"$T/out" 2>&1 && grep -q "no changes" "$T/out" ||
		{ echo "# plan after the apply:"; sed 's/^/#   /' "$T/out" | tail -n 8; return 1; }
}
ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# the clean trees, and how long a whole apply takes here (the kill points are spread over it)
"$CFG" apply "$T/a.conf" >/dev/null 2>&1 && snap >"$T/a.snap"
t0=$(ms); "$CFG" apply "$T/b.conf" >/dev/null 2>&1; t1=$(ms)
snap >"$T/b.snap"
t2=$(ms); "$CFG" apply "$T/a.conf" >/dev/null 2>&1; t3=$(ms)
dur=$(((t1 - t0 + t3 - t2) / 2 + 1))
echo "# N = $n subsystems; a whole apply (A <-> B) takes ~$dur ms here; $rounds rounds"
cmp -s "$T/a.snap" <(snap) && ok "clean applies A -> B -> A give the same tree" || nok "clean applies A -> B -> A differ"

# nvmetcfg apply killed with -9 at a random point, then applied again
killed=0 bad=0 cur=a
for ((r = 1; r <= rounds; r++)); do
	next=$([[ $cur == a ]] && echo b || echo a)
	"$CFG" apply "$T/$next.conf" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v d="$dur" -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", rand() * d / 1000 }')"
	kill -9 $pid 2>/dev/null && killed=$((killed + 1))
	wait $pid 2>/dev/null
	# the killed apply's target is either side: converge to either, then check the tree
	w=$([[ $((RANDOM % 2)) == 0 ]] && echo "$cur" || echo "$next")
	if converged "$T/$w.conf" && cmp -s "$T/$w.snap" <(snap); then :; else
		bad=$((bad + 1)); echo "# round $r: after a kill on the way to $next, apply $w did not converge"
		diff <(cat "$T/$w.snap") <(snap) | head -n 10 | sed 's/^/#   /'
	fi
	cur=$w
done
echo "# nvmetcfg apply: $killed of $rounds kills landed while it ran"
((bad == 0)) && ok "nvmetcfg apply killed -9 at $rounds random points: the next apply converges every time" ||
	nok "nvmetcfg apply killed -9: $bad of $rounds rounds did not converge"

# nvmetd's start-up apply killed with -9, then nvmetd started again: it converges by itself
printf 'nvmf_conf = "%s";\nstate_file = "%s";\non_stop = "keep";\n' "$T/b.conf" "$T/state.json" >"$T/nvmetd-b.conf"
printf 'nvmf_conf = "%s";\nstate_file = "%s";\non_stop = "keep";\n' "$T/a.conf" "$T/state.json" >"$T/nvmetd-a.conf"
bad=0 killed=0
"$CFG" apply "$T/a.conf" >/dev/null 2>&1; cur=a
for ((r = 1; r <= rounds / 2; r++)); do
	next=$([[ $cur == a ]] && echo b || echo a)
	rm -f "$T/state.json"
	"$NVMETD" -f -c "$T/nvmetd-$next.conf" >>"$T/nvmetd.log" 2>&1 &
	pid=$!
	sleep "$(awk -v d="$dur" -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", rand() * d * 1.5 / 1000 }')"
	[[ -s $T/state.json ]] || killed=$((killed + 1))
	kill -9 $pid; wait $pid 2>/dev/null
	rm -f "$T/state.json"
	"$NVMETD" -f -c "$T/nvmetd-$next.conf" >>"$T/nvmetd.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do [[ -s $T/state.json ]] && break; sleep 0.05; done
	kill $pid; wait $pid 2>/dev/null
	if "$CFG" plan "$T/$next.conf" 2>&1 | grep -q "no changes" && cmp -s "$T/$next.snap" <(snap); then :; else
		bad=$((bad + 1)); echo "# round $r: nvmetd restarted after a kill did not converge to $next"
		diff <(cat "$T/$next.snap") <(snap) | head -n 10 | sed 's/^/#   /'
	fi
	cur=$next
done
echo "# nvmetd: $killed of $((rounds / 2)) kills landed before its first reconcile was published"
((bad == 0)) && ok "nvmetd killed -9 during its start-up apply: restarted, it converges every time" ||
	nok "nvmetd killed -9 during start-up: $bad of $((rounds / 2)) restarts did not converge"
echo "# $pass passed, $fail failed"
((fail == 0))
