#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control-plane benchmark: boots the 6.12 guest once and measures, for each N, nvmetcfg against
# nvmet-floor (the same configfs calls and nothing else), then nvmetd. Prints a Markdown table with
# each target's verdict and writes bench/out/{results.md,results.tsv,bench.png}.
#
#   bench/run.sh             N = 1 100 1000, 3 runs each (median), 60 s idle
#   bench/run.sh --smoke     N = 10, 1 run, 5 s idle: what CI runs (no assertion on time)
#   bench/run.sh --jobs-sweep [N]  the pool-size sweep behind nvmetcfg's default --jobs (N = 1000)
#   bench/run.sh [--kernel 6.1|6.12] [--reps R] [--idle S] [--out DIR] N...
# Exit status: 1 when a count check failed in the guest (writes of a re-apply, of a one-subsystem
# change, tree built differently from the floor...) — never because of a time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=3 idle=60 out=$top/bench/out sweep=0
ns=()
kernel=6.12
while (($#)); do
	case $1 in
	--smoke) reps=1 idle=5 ns=(10) ;;
	--jobs-sweep) sweep=1 ;;
	--kernel) kernel=$2; shift ;;
	--reps) reps=$2; shift ;;
	--idle) idle=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '3,12p' "$0"; exit 0 ;;
	-*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
	*) ns+=("$1") ;;
	esac
	shift
done
((${#ns[@]})) || ns=(1 100 1000)

"$top/tools/deps.sh"
"$top/tools/build.sh" "$top/build" >/dev/null
"$top/tests/vm/vm.sh" setup >/dev/null
mkdir -p "$out"
export NVMETCFG=$top/build/src/nvmetcfg/nvmetcfg NVMETD=$top/build/src/nvmetd/nvmetd
# The whole run in one guest, generous timeout: N = 1000 under TCG takes minutes per operation set.
# 2 vCPUs (one per NUMA node), not the tests' 4: on a 2-core host, 4 TCG vCPU threads fight over the
# cores and every process start costs several times more, with much more noise, for both sides.
export NVMETD_VM_SMP=${NVMETD_VM_SMP:-2}
guest_rc=0
if ((sweep)); then
	# clear and move-every-namespace at N for each pool size, floor and nvmetcfg side by side
	NVMETD_VM_TIMEOUT=${NVMETD_VM_TIMEOUT:-5400} "$top/tests/vm/vm.sh" run "$kernel" "$top/bench/guest-jobs.sh" \
		"${ns[0]:-1000}" 1 4 8 16 32 64 >"$out/jobs.log" 2>&1 || guest_rc=$?
	grep -v '^#jobs' "$out/jobs.log" >&2
	{
		echo "| jobs | clear: floor ms | clear: nvmetcfg ms | every namespace moved: floor ms | every namespace moved: nvmetcfg ms |"
		echo "|---:|---:|---:|---:|---:|"
		grep -P '^#jobs\t' "$out/jobs.log" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $3, $4, $5, $6, $7 }'
	} | tee "$out/jobs.md"
	exit "$guest_rc"
fi
NVMETD_VM_TIMEOUT=${NVMETD_VM_TIMEOUT:-5400} "$top/tests/vm/vm.sh" run "$kernel" "$top/bench/guest-bench.sh" \
	"$reps" "$idle" "${ns[@]}" >"$out/guest.log" 2>&1 || guest_rc=$?
grep -v -e '^#data' -e '^#daemon' "$out/guest.log" >&2
grep -P '^#data\t' "$out/guest.log" | cut -f2- >"$out/results.tsv" || true
grep -P '^#daemon\t' "$out/guest.log" | cut -f2- >"$out/daemon.tsv" || true
[[ -s $out/results.tsv ]] || { echo "bench/run.sh: the guest produced no results" >&2; exit 1; }

# nvmetcli (current upstream) in the 6.12 guest on the same kind of machine, from issue 8:
# N, restore on an empty target, restore again (clear + rebuild)
nvmetcli_ref="1 2914 2052
100 2232 4891
1000 7428 26630"

awk -v ref="$nvmetcli_ref" -v reps="$reps" -v machine="$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) host; guest: qemu TCG, $NVMETD_VM_SMP vCPUs, Debian kernel $(cat "${NVMETD_VM_CACHE:-/var/cache/nvmetd-vm}/$kernel.rel" 2>/dev/null || echo "$kernel")" \
	-v daemonf="$out/daemon.tsv" -F'\t' '
BEGIN {
	split(ref, lines, "\n")
	for (i in lines) { split(lines[i], f, " "); cli_cold[f[1]] = f[2]; cli_again[f[1]] = f[3] }
	name["cold"] = "apply, empty target"; name["reapply"] = "apply again, no change"
	name["change"] = "apply, 1 namespace changed"; name["show"] = "show"; name["clear"] = "clear"
	name["moveall"] = "apply, every namespace to another file"
	nops = split("cold reapply change show moveall clear", ops, " ")
}
{
	n = $1; op = $2; ms[n, op] = $3; w[n, op] = $4; fms[n, op] = $5; fw[n, op] = $6
	pms[n, op] = $7; sms[n, op] = $8
	if (!(n in seen)) { seen[n] = 1; order[++nn] = n }
}
function verdict(n, op,    r, lim) {
	r = ms[n, op] / (fms[n, op] > 0 ? fms[n, op] : 1)
	if (op == "cold") return r <= 1.5 ? "met (≤ 1.5× floor)" : sprintf("**missed** (%.2f× > 1.5× floor)", r)
	if (op == "reapply") {
		if (w[n, op] != 0) return "**missed**: " w[n, op] " writes"
		if (!(n in cli_again)) return "0 writes; no nvmetcli figure for this N"
		lim = cli_again[n] * 0.05
		if (ms[n, op] <= lim) return sprintf("met (0 writes, ≤ %.0f ms = 5%% of nvmetcli %d ms)", lim, cli_again[n])
		return sprintf("**missed** (%.0f ms > 5%% of nvmetcli %d ms%s)", ms[n, op], cli_again[n],
			fms[n, op] > lim ? sprintf("; the floor alone takes %.0f ms here", fms[n, op]) : "")
	}
	if (op == "change") return w[n, op] == fw[n, op] ? "met (only that subsystem: " w[n, op] " writes)" : "**missed**"
	if (op == "clear" || op == "moveall") {
		# the parallel executor: a quarter of the sequential floor at N = 1000, and never slower
		# than one operation at a time (--jobs 1, measured alongside)
		s = sprintf("%.2f× of --jobs 1", ms[n, op] / (sms[n, op] > 0 ? sms[n, op] : 1))
		if (n < 1000) return s
		return r <= 0.25 ? "met (≤ ¼ of the sequential floor; " s ")" : sprintf("**missed** (%.2f× > ¼ of the sequential floor; %s)", r, s)
	}
	return ""
}
function num(v, fmt) { return v == "-" || v == "" ? "–" : sprintf(fmt, v) }
END {
	printf "Measured %s; median of %d run(s) each, nvmetcfg and floor alternating in one guest boot.\n", machine, reps
	print "\"floor\" is the sequential floor: the same configfs calls one after the other; \"parallel floor\" makes"
	print "the same calls with the kernel-waiting ones (namespace disables) on as many threads as nvmetcfg'"'"'s"
	print "default --jobs. \"ratio to floor\" is always to the sequential floor.\n"
	print "| N | operation | nvmetcfg ms | configfs writes | floor ms | floor writes | ratio to floor | parallel floor ms | ratio to parallel floor | nvmetcfg --jobs 1 ms | target |"
	print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for (i = 1; i <= nn; i++) {
		n = order[i]
		for (j = 1; j <= nops; j++) {
			op = ops[j]
			if (!((n, op) in ms)) continue
			pr = pms[n, op] == "-" || pms[n, op] == "" ? "–" : sprintf("%.2f×", ms[n, op] / (pms[n, op] > 0 ? pms[n, op] : 1))
			printf "| %s | %s | %.1f | %d | %.1f | %d | %.2f× | %s | %s | %s | %s |\n", n, name[op], ms[n, op], w[n, op],
				fms[n, op], fw[n, op], ms[n, op] / (fms[n, op] > 0 ? fms[n, op] : 1), num(pms[n, op], "%.1f"), pr,
				num(sms[n, op], "%.1f"), verdict(n, op)
		}
	}
	# linearity: time per subsystem between the two largest N
	if (nn >= 2) {
		a = order[nn - 1]; b = order[nn]
		printf "\nGrowth from N = %s to N = %s (×%g subsystems; linear is ×%g, quadratic ×%g):\n\n", a, b, b / a, b / a, (b / a) ^ 2
		print "| operation | nvmetcfg | floor | verdict |"
		print "|---|---:|---:|---|"
		for (j = 1; j <= nops; j++) {
			op = ops[j]
			if (!((a, op) in ms) || !((b, op) in ms)) continue
			gt = ms[b, op] / ms[a, op]; gf = fms[b, op] / (fms[a, op] > 0 ? fms[a, op] : 1)
			printf "| %s | ×%.1f | ×%.1f | %s |\n", name[op], gt, gf,
				gt <= 1.3 * (b / a) ? "linear" : "**grows faster than N**"
		}
	}
	print "\nnvmetd, started before its address exists, N subsystems on one TCP and one RDMA (soft-RoCE) port:\n"
	print "| N | idle RSS | voluntary context switches while idle | address appears → both ports listen | RDMA device returns → RDMA port listens |"
	print "|---:|---:|---:|---:|---:|"
	while ((getline line < daemonf) > 0) {
		split(line, d, "\t")
		printf "| %s | %.1f MiB | %d in %d s | %s ms | %s ms |\n", d[1], d[2] / 1024, d[3], d[4], d[5], d[6]
	}
}' "$out/results.tsv" | tee "$out/results.md"

# time against N, log-log: nvmetcfg solid, floor dashed
# each operation's rows together, by N, so gnuplot joins them into one line
sort -t "$(printf '\t')" -k2,2 -k1,1n "$out/results.tsv" >"$out/plot.tsv"
if ! gnuplot -e "datafile='$out/plot.tsv'; outfile='$out/bench.png'" "$top/bench/plot.gp"; then
	echo "bench/run.sh: gnuplot could not draw $out/bench.png" >&2
	exit 1
fi
echo -e "\nplot: $out/bench.png"
exit "$guest_rc"
