#!/bin/bash
# Usage: t-soak.sh [RELOADS [FLAPS [RDMA-CYCLES [KILLS]]]]   (defaults 300 200 100 5; inside the guest)
# nvmetd under load and faults, in one boot, started directly (not through systemd): 50 subsystems on
# a TCP and an RDMA port plus one subsystem "io" that no configuration change touches, read by fio
# from the initiator's namespace throughout.
#  1. reload soak: RELOADS SIGHUPs alternating two configurations (every namespace changes): nvmetd
#     stays up, RSS flat over the second half (within 5 %), open descriptors do not grow, the final
#     tree is the last configuration's (nvmetcfg plan: "no changes");
#  2. link storm: FLAPS `ip link set veth-t down/up` in a burst: coalesced (counted; CPU printed), the
#     ports listen again and their ANA group is optimized;
#  3. RDMA storm: RDMA-CYCLES `rdma link delete/add`: the same, the RDMA port listens again;
#  4. SIGKILL at any moment: KILLS times nvmetd killed -9 in the middle of a reload, and as many in
#     the middle of its start-up apply; each restarted nvmetd converges (plan: "no changes"); fio,
#     reading "io" all along, reports no I/O error.
# Figures are printed as "# ..." lines (RSS, descriptors, CPU); only the invariants are checked.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
reloads=${1:-300} flaps=${2:-200} cycles=${3:-100} kills=${4:-5}
K=50
D=/var/tmp/soak
IO=nqn.2016-06.io.spdk:io
info "kernel $(uname -r), nvmetd $NVMETD; $reloads reloads, $flaps flaps, $cycles RDMA cycles, $kills kills"
net_setup rdma
modprobe -a nvmet nvmet-tcp nvmet-rdma nvme-tcp
"$NVMETCFG" clear >/dev/null || { nok "nvmetcfg clear"; finish; }
mkdir -p $D
truncate -s 64M $D/io.img
for ((i = 1; i <= K; i++)); do truncate -s 1M $D/a$i.img $D/b$i.img; done

# gen WHICH: K subsystems on files WHICH<i>, and "io" (the same in both)
gen() {
	local w=$1 i
	{
		echo "[AIO]"
		echo "  AIO $D/io.img IO"
		for ((i = 1; i <= K; i++)); do echo "  AIO $D/$w$i.img F$i"; done
		printf '\n[Subsystem0]\n  NQN %s\n  SN SOAKIO\n  Listen TCP %s:4420\n  Listen RDMA %s:4421\n  AllowAnyHost Yes\n  Namespace IO 1\n' \
			"$IO" "$TARGET_IP" "$TARGET_IP"
		for ((i = 1; i <= K; i++)); do
			printf '\n[Subsystem%d]\n  NQN nqn.2016-06.io.spdk:soak%d\n  SN SOAK%d\n  Listen TCP %s:4420\n' "$i" "$i" "$i" "$TARGET_IP"
			printf '  Listen RDMA %s:4421\n  AllowAnyHost Yes\n  Namespace F%d 1\n' "$TARGET_IP" "$i"
		done
	} >$T/$w.conf
}
gen a
gen b
cp $T/a.conf $T/nvmf.conf
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$T/nvmf.conf";
state_file = "$T/state.json";
on_stop = "keep";
EOC
export NVMETD_STATE=$T/state.json

wait_for() { local end=$(($(date +%s) + $1)); shift; until "$@"; do (($(date +%s) >= end)) && return 1; sleep 0.1; done; }
start_nvmetd() { env -u NOTIFY_SOCKET "$NVMETD" --foreground --config $T/nvmetd.conf >>$T/nvmetd.log 2>&1 & pid=$!; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$pid/status; }
fds() { ls /proc/$pid/fd | wc -l; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$pid/stat; }   # utime + stime
hz=$(getconf CLK_TCK)
# what nvmetd did since line $1 of its log: relinks, ANA passes, whole reconciles that wrote
log_mark() { wc -l <$T/nvmetd.log; }
did_since() {
	tail -n +$(($1 + 1)) $T/nvmetd.log | awk '/is back/ { r++ } /ANA state.* written/ { a++ } /changes? applied/ { c++ }
		/went away/ { g++ } END { printf "%d deaths seen, %d relinks, %d ANA passes, %d reconciles that wrote", g, r, a, c }'
}
count_of() { grep -oE "[0-9]+ $2" <<<"$1" | cut -d' ' -f1; }  # count_of "$(did_since L)" relinks
# a reconcile is over when the state file is rewritten after the marker
published_after() { [[ $T/state.json -nt $1 ]]; }
plan_clean() { "$NVMETCFG" plan "$1" 2>&1 | grep -q "no changes"; }
port_ok() { # TRTYPE: the port of that type listens (state file) and its ANA group is optimized
	local d
	python3 -c "import json,sys; p=[p for p in json.load(open('$T/state.json'))['ports'] if p['address'].startswith('$1 ')]; sys.exit(0 if p and p[0]['state']=='listening' else 1)" 2>/dev/null || return 1
	for d in "$CFS"/ports/*; do
		[[ $(cat "$d/addr_trtype") == "$1" ]] || continue
		[[ $(cat "$d/ana_groups/1/ana_state" 2>/dev/null) == optimized ]] || return 1
	done
}

start_nvmetd
check "nvmetd starts and publishes its state" wait_for 600 test -s $T/state.json
check "configuration A applied (plan: no changes)" plan_clean $T/a.conf
ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4420 -n $IO >/dev/null 2>&1
dev=$(fabric_dev $IO) || { nok "the initiator sees subsystem io"; finish; }
ok "the initiator reads io through $dev"
ip netns exec $NS fio --name=soak --filename=$dev --rw=randread --bs=4k --iodepth=4 --ioengine=libaio --direct=1 \
	--time_based --runtime=86400 --output=$T/fio.out >/dev/null 2>&1 &
fio_pid=$!

# 1. reload soak
fd0=$(fds) rss1=0 rssh=0 ok_reloads=0
for ((r = 1; r <= reloads; r++)); do
	w=$( ((r % 2)) && echo b || echo a)
	cp $T/$w.conf $T/nvmf.conf
	touch $T/mark
	kill -HUP $pid
	wait_for 300 published_after $T/mark && ok_reloads=$((ok_reloads + 1))
	((r == 1)) && rss1=$(rss)
	((r == reloads / 2)) && rssh=$(rss)
	kill -0 $pid 2>/dev/null || break
done
rssN=$(rss 2>/dev/null) fdN=$(fds 2>/dev/null)
info "reload soak: RSS $rss1 kB after reload 1, $rssh kB after $((reloads / 2)), $rssN kB after $reloads; descriptors $fd0 -> $fdN"
check "nvmetd is up after $reloads reloads" kill -0 $pid
expect_eq "every reload reconciled" "$ok_reloads" "$reloads"
check "RSS flat over the second half (within 5 %: $rssh -> $rssN kB)" test "$((rssN * 100))" -le "$((rssh * 105))"
check "open descriptors did not grow ($fd0 -> $fdN)" test "$fdN" -le "$fd0"
check "the final tree is the last configuration's (plan: no changes)" plan_clean $T/nvmf.conf

# 2. link storm
c0=$(cpu_ticks) l0=$(log_mark)
# one ip process for the burst (a flapping link flaps at the NIC's pace, not a shell's under TCG)
# ending down: nvmetd must see the burst (the port inaccessible), then the link comes back for good
{ for ((i = 0; i < flaps; i++)); do printf 'link set veth-t down\nlink set veth-t up\n'; done
  echo 'link set veth-t down'; } >$T/flaps.batch
ip -batch $T/flaps.batch
check "the burst ends with the link down: nvmetd makes the TCP port inaccessible" wait_for 120 \
	bash -c "[[ \$(for d in $CFS/ports/*; do [[ \$(cat \$d/addr_trtype) == tcp ]] && cat \$d/ana_groups/1/ana_state; done) == inaccessible ]]"
ip link set veth-t up
check "after $flaps link flaps the TCP port listens, ANA optimized" wait_for 120 port_ok tcp
check "...and the RDMA port" wait_for 120 port_ok rdma
c1=$(cpu_ticks)
did=$(did_since $l0)
info "link storm: $flaps flaps cost nvmetd $(((c1 - c0) * 1000 / hz)) ms of CPU ($did)"
# counted, not timed (CPU under TCG depends on everything else the guest and the host do): the
# $((2 * flaps)) link events coalesced into fewer passes, none of them a reconcile that wrote
check "the link storm was seen and coalesced: ANA passes, fewer than link events, no reconcile" \
	test "$(count_of "$did" "ANA passes")" -gt 0 -a "$(count_of "$did" "ANA passes")" -lt $((2 * flaps)) -a "$(count_of "$did" "reconciles")" -eq 0

# 3. RDMA device storm
c0=$(cpu_ticks) l0=$(log_mark)
# (rdma -b cannot: its batch keeps the device index it started with, and a second delete fails)
for ((i = 0; i < cycles; i++)); do rdma link delete rxe_t; rdma link add rxe_t type rxe netdev veth-t; done
check "after $cycles RDMA device cycles the RDMA port listens, ANA optimized" wait_for 120 port_ok rdma
c1=$(cpu_ticks)
did=$(did_since $l0)
info "RDMA storm: $cycles delete/add cycles cost nvmetd $(((c1 - c0) * 1000 / hz)) ms of CPU ($did)"
check "the RDMA storm was seen and damped: a death, fewer relinks than returns, no reconcile" \
	test "$(count_of "$did" "deaths")" -gt 0 -a "$(count_of "$did" relinks)" -lt "$cycles" -a "$(count_of "$did" "reconciles")" -eq 0
check "tree still the configuration's after the storms" plan_clean $T/nvmf.conf
info "idle after the storms: RSS $(rss) kB, $(fds) descriptors"

# 4. SIGKILL in the middle of a reload, then of a start-up apply
bad=0
for ((k = 1; k <= kills; k++)); do
	w=$(cmp -s $T/nvmf.conf $T/a.conf && echo b || echo a)
	cp $T/$w.conf $T/nvmf.conf
	kill -HUP $pid
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 $pid; wait $pid 2>/dev/null
	rm -f $T/state.json
	start_nvmetd
	wait_for 600 test -s $T/state.json && plan_clean $T/nvmf.conf || { bad=$((bad + 1)); info "kill $k (reload to $w): no convergence"; }
	# and in the middle of the start-up apply
	w=$( [[ $w == a ]] && echo b || echo a)
	cp $T/$w.conf $T/nvmf.conf
	kill -9 $pid; wait $pid 2>/dev/null
	rm -f $T/state.json
	start_nvmetd
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 $pid; wait $pid 2>/dev/null
	start_nvmetd
	wait_for 600 test -s $T/state.json && plan_clean $T/nvmf.conf || { bad=$((bad + 1)); info "kill $k (start-up, $w): no convergence"; }
done
expect_eq "nvmetd killed -9 $kills times in a reload and $kills in start-up: each restart converges" "$bad" 0
check "no half-made namespace: every enabled namespace has its device" bash -c \
	"for n in $CFS/subsystems/*/namespaces/*; do [[ \$(cat \$n/enable) == 0 || -n \$(cat \$n/device_path) ]] || exit 1; done"
check "no port without its address" bash -c "for p in $CFS/ports/*; do [[ -n \$(cat \$p/addr_traddr) ]] || exit 1; done"
kill -INT $fio_pid 2>/dev/null
wait $fio_pid
fio_rc=$?
grep -E 'err=|READ:' $T/fio.out | sed 's/^/#   fio: /'
# fio ends with 128 when a SIGINT stops it (sig_int sets exit_value 128), whatever its jobs saw: the
# jobs' own err= says whether an I/O failed
check "fio read io all along without an I/O error (exit $fio_rc, err= of its job)" bash -c \
	"[[ $fio_rc == 0 || $fio_rc == 128 ]] && grep -qE 'err= *0' $T/fio.out && ! grep -E 'err= *[1-9]' $T/fio.out"

kill $pid; wait $pid 2>/dev/null
ip netns exec $NS nvme disconnect -n $IO >/dev/null 2>&1
"$NVMETCFG" clear >/dev/null
finish
