#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: guest-bench.sh REPS IDLE-SECONDS N...   (inside the guest; bench/run.sh boots it)
# For each N: N subsystems, each with one file-backed namespace, all on one TCP port. Times
# nvmetcfg apply (empty target), apply again (no change), apply with one subsystem's namespace
# changed, show, clear and an apply that moves every namespace to another file against nvmet-floor
# doing the same configfs calls and nothing else, alternating tool and floor run by run; counts each
# one's configfs writes with strace. For the last two, whose time is the kernel disabling
# namespaces, also against the parallel floor (the same calls on as many threads as nvmetcfg's
# default --jobs) and nvmetcfg --jobs 1 (one operation at a time, as before the parallel executor). Then nvmetd
# with the same N: recovery after the address and the RDMA device return, RSS and voluntary
# context switches while idle. Prints "#data"/"#daemon" lines for run.sh and TAP lines for what
# must hold whatever the timing (write counts, same resulting tree).
. "$(dirname "$0")/../tests/vm/guest-lib.sh"
FLOOR=${NVMET_FLOOR:-$(dirname "$NVMETCFG")/../../bench/nvmet-floor}
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
# Both programs run from the guest's own memory, as installed programs run from a local disk's page
# cache: the build directory is the rig's 9p share without a cache, which reads every page a program
# touches from the host again at each start — a cost of the rig that grows with the program's size
# (measured on 6.1 at N = 1, medians of 7: nvmetcfg 158 and 138 ms from the share, 118 and 108 from
# memory; the floor 78 and 70, 76 and 63)
mkdir -p /run/nvbench
cp "$NVMETCFG" /run/nvbench/nvmetcfg && cp "$FLOOR" /run/nvbench/nvmet-floor || { nok "programs copied"; finish; }
info "nvmetcfg $NVMETCFG and floor $FLOOR, run from copies in /run/nvbench"
NVMETCFG=/run/nvbench/nvmetcfg FLOOR=/run/nvbench/nvmet-floor
reps=$1 idle=$2
shift 2
D=/var/tmp/bench   # tmpfs: file-backed namespaces open with O_DIRECT on 6.12
PREFIX=nqn.2016-06.io.spdk:bench
info "kernel $(uname -r), $(nproc) CPUs; $reps runs each, median"
net_setup rdma
modprobe -a nvmet nvmet-tcp nvmet-rdma
"$NVMETCFG" clear >/dev/null || { nok "nvmetcfg clear (mounts configfs)"; finish; }
mkdir -p $D
# 6.1 opens a namespace's file with O_DIRECT, which tmpfs refuses: an ext4 on a loop device there
if ! dd if=/dev/zero of=$D/.direct bs=4k count=1 oflag=direct status=none 2>/dev/null; then
	modprobe loop; truncate -s 1G /var/tmp/bench.ext4; mkfs.ext4 -q -F /var/tmp/bench.ext4
	mount -o loop /var/tmp/bench.ext4 $D || { nok "an ext4 for the backing files (tmpfs has no O_DIRECT)"; finish; }
	info "backing files on ext4 (a loop device): tmpfs has no O_DIRECT on this kernel"
fi
rm -f $D/.direct
# the parallel floor runs on as many threads as nvmetcfg's default --jobs
JOBS=$("$NVMETCFG" --help | sed -n 's/.*--jobs N.*(default \([0-9]*\).*/\1/p')
[[ -n $JOBS ]] || { nok "nvmetcfg --help names the default --jobs"; finish; }
info "parallel floor: $JOBS threads (nvmetcfg's default --jobs)"

# gen_conf N OUT [K [rdma [EXT]]]: the benchmark config; with K, subsystem K's namespace is D/alt.img;
# with EXT, every namespace is D/nsI.EXT
gen_conf() {
	local n=$1 out=$2 k=${3:-0} i ext=${5:-img}
	{
		echo "[AIO]"
		for ((i = 1; i <= n; i++)); do
			if ((i == k)); then echo "  AIO $D/alt.img AIO$i"; else echo "  AIO $D/ns$i.$ext AIO$i"; fi
		done
		for ((i = 1; i <= n; i++)); do
			printf '\n[Subsystem%d]\n  NQN %s%d\n  SN BENCH%d\n  Listen TCP %s:4420\n  AllowAnyHost Yes\n  Namespace AIO%d 1\n' \
				"$i" "$PREFIX" "$i" "$i" "$TARGET_IP" "$i"
			[[ -n ${4:-} ]] && echo "  Listen RDMA $TARGET_IP:4791"
		done
	} >"$out"
}

# timed OUTVAR cmd...: run once, add its milliseconds to the array OUTVAR. The clock is read
# in this shell (no subshell around it): fork and exec of cmd count, nothing else does.
timed() {
	local -n _acc=$1
	shift
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>>$T/err || { echo "# FAILED: $*"; tail -n 5 $T/err | sed 's/^/#   /'; }
	t1=${EPOCHREALTIME/./}
	_acc+=("$((t1 - t0))e-3")
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }'; }
# writes cmd...: configfs-changing calls (write, mkdir, rmdir, symlink, unlink) it makes; the call
# lines are kept in $T/calls
writes() {
	strace -f -qq -y -e trace=write,mkdir,mkdirat,rmdir,unlink,unlinkat,symlink,symlinkat -o $T/strace "$@" \
		>/dev/null 2>&1
	grep '/sys/kernel/config/' $T/strace >$T/calls
	wc -l <$T/calls
}
# the tree as text; device_uuid left out: 6.12 gives each new namespace a random one
snapshot() { (cd $CFS && grep -rs '' . | grep -v '/device_uuid:' | sort; find . -type l -printf '%p -> %l\n' | sort); }
tcp_listening() { [[ -n $(ss -Hltn "src $TARGET_IP:4420") ]]; }
rdma_listening() { rdma res show cm_id 2>/dev/null | grep -q "state LISTEN.*src-addr $TARGET_IP:4791"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# poll_ms TIMEOUT-S cmd...: milliseconds until cmd succeeds, or "timeout"
poll_ms() {
	local t0 end
	t0=$(now_ms)
	end=$((t0 + $1 * 1000))
	shift
	until "$@"; do
		(($(now_ms) > end)) && { echo timeout; return 1; }
		sleep 0.02
	done
	echo $(($(now_ms) - t0))
}
# row N OP TOOL-MS TOOL-WRITES FLOOR-MS FLOOR-WRITES [PARALLEL-FLOOR-MS SEQUENTIAL-TOOL-MS]
row() { echo -e "#data\t$1\t$2\t$3\t$4\t$5\t$6\t${7:--}\t${8:--}"; }

for n in "$@"; do
	info "N = $n: generating $n backing files and configs"
	rm -f $D/*.img
	for ((i = 1; i <= n; i++)); do truncate -s 1M $D/ns$i.img $D/ns$i.alt; done
	truncate -s 1M $D/alt.img
	sync	# the files' writeback (an ext4 on a loop device on 6.1) is not in the first runs' times
	k=$(((n + 1) / 2))
	gen_conf "$n" $T/bench.conf
	gen_conf "$n" $T/changed.conf "$k"
	gen_conf "$n" $T/moved.conf 0 "" alt
	floor_build() { "$FLOOR" $CFS build "$n" $D $TARGET_IP 4420; }
	"$FLOOR" $CFS clear

	# cold apply, alternating floor and nvmetcfg; both must build the same tree
	ta=() fa=()
	for ((r = 0; r < reps; r++)); do
		timed fa floor_build
		((r == 0)) && snapshot >$T/floor.snap
		"$FLOOR" $CFS clear
		timed ta "$NVMETCFG" apply $T/bench.conf
		((r == reps - 1)) || "$FLOOR" $CFS clear
	done
	snapshot >$T/tool.snap
	if diff -q $T/floor.snap $T/tool.snap >/dev/null; then ok "N=$n: nvmetcfg apply builds the same tree as the floor"
	else nok "N=$n: nvmetcfg apply builds the same tree as the floor"; diff $T/floor.snap $T/tool.snap | head -n 10 | sed 's/^/#   /'; fi
	# where a cold apply's time goes (NVMET_TIMING): one more run, its phases as comment lines
	"$FLOOR" $CFS clear
	NVMET_TIMING=1 "$NVMETCFG" apply $T/bench.conf 2>&1 >/dev/null | sed -n "s/^timing: /# N=$n cold apply, phase: /p"
	"$FLOOR" $CFS clear
	wt=$(writes "$NVMETCFG" apply $T/bench.conf)
	"$FLOOR" $CFS clear
	wf=$(writes "$FLOOR" $CFS build "$n" $D $TARGET_IP 4420)
	expect_eq "N=$n: cold apply makes exactly the floor's configfs writes" "$wt" "$wf"
	row "$n" cold "$(median "${ta[@]}")" "$wt" "$(median "${fa[@]}")" "$wf"

	# apply again: nothing to change
	ta=() fa=()
	for ((r = 0; r < reps; r++)); do
		timed ta "$NVMETCFG" apply $T/bench.conf
		timed fa "$FLOOR" $CFS read
	done
	wt=$(writes "$NVMETCFG" apply $T/bench.conf)
	expect_eq "N=$n: unchanged re-apply makes no configfs writes" "$wt" 0
	row "$n" reapply "$(median "${ta[@]}")" "$wt" "$(median "${fa[@]}")" 0

	# one subsystem's namespace moves to another file, and back
	ta=() fa=()
	for ((r = 0; r < reps; r++)); do
		timed ta "$NVMETCFG" apply $T/changed.conf
		timed ta "$NVMETCFG" apply $T/bench.conf
		timed fa "$FLOOR" $CFS change $PREFIX$k $D/alt.img
		timed fa "$FLOOR" $CFS change $PREFIX$k $D/ns$k.img
	done
	wt=$(writes "$NVMETCFG" apply $T/changed.conf)
	others=$(grep -vc "/subsystems/$PREFIX$k/" $T/calls)
	wf=$(writes "$FLOOR" $CFS change $PREFIX$k $D/ns$k.img)
	expect_eq "N=$n: the one-subsystem change writes only subsystem $k (writes elsewhere)" "$others" 0
	expect_eq "N=$n: the one-subsystem change makes the floor's writes" "$wt" "$wf"
	"$NVMETCFG" apply $T/bench.conf >/dev/null
	row "$n" change "$(median "${ta[@]}")" "$wt" "$(median "${fa[@]}")" "$wf"

	# show
	ta=() fa=()
	for ((r = 0; r < reps; r++)); do
		timed ta "$NVMETCFG" show
		timed fa "$FLOOR" $CFS read
	done
	"$NVMETCFG" show >$T/show.conf
	check "N=$n: show lists every subsystem" test "$(grep -c '^\[Subsystem' $T/show.conf)" -eq "$n"
	row "$n" show "$(median "${ta[@]}")" "$(writes "$NVMETCFG" show)" "$(median "${fa[@]}")" 0

	# every namespace to another file and back: nvmetcfg (which replaces them: rmdir, mkdir with the same
	# identity, enable), the sequential floor (disable, device_path, enable one after the other), the
	# parallel floor (nvmetcfg's calls on JOBS threads), nvmetcfg --jobs 1 (in place, one at a time),
	# and once the in-place calls on JOBS threads: the kernel's global lock around "enable" writes
	# (a namespace moving alone is changed in place: then that is what the parallel floor does too)
	mv=replace-all
	((n >= 2)) || mv=change-all
	ta=() fa=() pa=() sa=() ia=()
	for ((r = 0; r < reps; r++)); do
		timed ta "$NVMETCFG" apply $T/moved.conf
		timed fa "$FLOOR" $CFS change-all $D img
		timed pa "$FLOOR" -j "$JOBS" $CFS $mv $D alt
		timed sa "$NVMETCFG" --jobs 1 apply $T/bench.conf
	done
	timed ia "$FLOOR" -j "$JOBS" $CFS change-all $D alt
	"$FLOOR" $CFS change-all $D img
	info "N=$n: every namespace moved in place on $JOBS threads: $(median "${ia[@]}") ms (the kernel serialises enable writes)"
	uuids() { cat $CFS/subsystems/*/namespaces/1/device_uuid | md5sum; }
	uuid_before=$(uuids)
	wt=$(writes "$NVMETCFG" apply $T/moved.conf)
	check "N=$n: every namespace moved" test "$(cat $CFS/subsystems/${PREFIX}1/namespaces/1/device_path)" = $D/ns1.alt
	expect_eq "N=$n: ... each one kept its device_uuid" "$(uuids)" "$uuid_before"
	wp=$(writes "$FLOOR" $CFS $mv $D img)
	expect_eq "N=$n: moving every namespace makes the parallel floor's configfs writes" "$wt" "$wp"
	"$NVMETCFG" apply $T/moved.conf >/dev/null
	wf=$(writes "$FLOOR" $CFS change-all $D img)
	row "$n" moveall "$(median "${ta[@]}")" "$wt" "$(median "${fa[@]}")" "$wf" "$(median "${pa[@]}")" "$(median "${sa[@]}")"
	"$NVMETCFG" apply $T/bench.conf >/dev/null

	# clear: nvmetcfg, the floor, the parallel floor, nvmetcfg --jobs 1
	ta=() fa=() pa=() sa=()
	for ((r = 0; r < reps; r++)); do
		timed ta "$NVMETCFG" clear
		floor_build
		timed fa "$FLOOR" $CFS clear
		floor_build
		timed pa "$FLOOR" -j "$JOBS" $CFS clear
		floor_build
		timed sa "$NVMETCFG" --jobs 1 clear
		"$NVMETCFG" apply $T/bench.conf >/dev/null
	done
	wt=$(writes "$NVMETCFG" clear)
	check "N=$n: clear leaves no subsystem" test -z "$(ls $CFS/subsystems)"
	floor_build
	wf=$(writes "$FLOOR" $CFS clear)
	expect_eq "N=$n: clear makes the floor's configfs writes" "$wt" "$wf"
	floor_build
	wp=$(writes "$FLOOR" -j "$JOBS" $CFS clear)
	expect_eq "N=$n: the parallel floor makes the same configfs writes" "$wp" "$wf"
	row "$n" clear "$(median "${ta[@]}")" "$wt" "$(median "${fa[@]}")" "$wf" "$(median "${pa[@]}")" "$(median "${sa[@]}")"

	# nvmetd with N subsystems on a TCP and an RDMA port, started before the address exists
	gen_conf "$n" $T/daemon.conf 0 rdma
	cat >$T/nvmetd.conf <<-EOC
		nvmf_conf = "$T/daemon.conf";
		state_file = "$T/state.json";
		on_stop = "clear";
	EOC
	ip addr del $TARGET_IP/24 dev veth-t
	rm -f $T/notify.log
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n"); f.flush()' $T/notify.sock $T/notify.log &
	npid=$!
	while [[ ! -S $T/notify.sock ]]; do sleep 0.05; done
	NOTIFY_SOCKET=$T/notify.sock "$NVMETD" --foreground --config $T/nvmetd.conf >$T/nvmetd.log 2>&1 &
	dpid=$!
	poll_ms 600 grep -q READY=1 $T/notify.log >/dev/null
	ip addr add $TARGET_IP/24 dev veth-t
	addr_ms=$(poll_ms 120 eval "tcp_listening && rdma_listening")
	check "N=$n: both ports listen once the address appears" test "$addr_ms" != timeout
	rdma link delete rxe_t
	poll_ms 60 grep -q 'rdma device gone' $T/state.json >/dev/null
	rdma link add rxe_t type rxe netdev veth-t
	rdma_ms=$(poll_ms 120 rdma_listening)
	check "N=$n: the RDMA port listens again once its device returns" test "$rdma_ms" != timeout
	if [[ $addr_ms == timeout || $rdma_ms == timeout ]]; then
		rdma res show cm_id | sed 's/^/#   cm_id: /'
		grep -v '^  ' $T/nvmetd.log | tail -n 20 | sed 's/^/#   nvmetd: /'
		dmesg | tail -n 10 | sed 's/^/#   dmesg: /'
	fi
	sleep 2
	rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$dpid/status)
	cs0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$dpid/status)
	sleep "$idle"
	rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$dpid/status)
	cs1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$dpid/status)
	info "N=$n nvmetd: RSS $rss0 -> $rss1 kB, $((cs1 - cs0)) voluntary context switches in ${idle}s"
	echo -e "#daemon\t$n\t$rss1\t$((cs1 - cs0))\t$idle\t$addr_ms\t$rdma_ms"
	kill $dpid
	check "N=$n: nvmetd stops and clears" wait $dpid
	kill $npid 2>/dev/null; wait $npid 2>/dev/null
	rm -f $T/notify.sock
	"$FLOOR" $CFS clear
done
finish
