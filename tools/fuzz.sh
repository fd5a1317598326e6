#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer targets (tests/fuzz): the nvmf.conf loader (parse -> plan -> print -> parse -> print),
# both importers and the JSON-RPC wire protocol, under ASan/UBSan.
#   tools/fuzz.sh build              clang build in build-fuzz/ (NVMETD_FUZZ_BUILD)
#   tools/fuzz.sh run [SECONDS]      replay each seed corpus, then fuzz each target SECONDS (default 20)
# Seeds: tests/fuzz/corpus/<target>/ (the shipped configs and JSON, and every hostile input found).
# Prints one "fuzz <target>: N executions, M findings" line per target; exits 1 on any finding.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${NVMETD_FUZZ_BUILD:-$top/build-fuzz}
targets=(fuzz-conf fuzz-nvmetcli fuzz-spdk fuzz-rpc fuzz-lvreport)
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

build() {
	command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed (tools/deps.sh)" >&2; exit 1; }
	"$top/tools/build.sh" "$dir" CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $san"
	make -C "$dir" src/lib/libnvmetcore.a >/dev/null
	local libs common
	libs="$dir/src/lib/libnvmetcore.a $(pkg-config --libs libudev json-c) -ldl -pthread"
	common=(-O1 -g -fsanitize=fuzzer $san -I"$top/src/lib" -include "$dir/config.h")
	clang "${common[@]}" "$top/tests/fuzz/fuzz-conf.c" $libs -o "$dir/fuzz-conf"
	clang "${common[@]}" "$top/tests/fuzz/fuzz-import.c" $libs -o "$dir/fuzz-nvmetcli"
	clang "${common[@]}" -DIMPORT_SPDK "$top/tests/fuzz/fuzz-import.c" $libs -o "$dir/fuzz-spdk"
	clang "${common[@]}" "$top/tests/fuzz/fuzz-rpc.c" $libs -o "$dir/fuzz-rpc"
	clang "${common[@]}" "$top/tests/fuzz/fuzz-lvreport.c" $libs -o "$dir/fuzz-lvreport"
	echo "fuzz.sh: built ${targets[*]} in $dir"
}

run() {
	local secs=${1:-20} t work out execs findings rc fail=0
	build >/dev/null
	for t in "${targets[@]}"; do
		work=$(mktemp -d)
		# replay the seeds, then fuzz for a bounded time (new inputs go to a scratch corpus)
		set +e
		out=$(cd "$work" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			"$dir/$t" -runs=0 "$top/tests/fuzz/corpus/${t#fuzz-}" 2>&1 &&
		      cd "$work" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			"$dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
			-print_final_stats=1 "$work" "$top/tests/fuzz/corpus/${t#fuzz-}" 2>&1)
		rc=$?
		set -e
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<<"$out" | tail -n1)
		findings=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-' || true)
		if ((rc != 0)); then
			findings=$((findings > 0 ? findings : 1))
			# the target's own diagnosis (what it printed before aborting), the sanitizer's report,
			# and the input itself, so a CI log alone reproduces the finding
			echo "$out" | grep -v -E '^(#[0-9]+|INFO:|MS:|stat::|Done |NOTE:|      Combine)' |
				grep -E -B30 -A25 'ERROR|SUMMARY' | head -n 80
			mkdir -p "$dir/findings"
			for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
				[[ -e $f ]] || continue
				cp "$f" "$dir/findings/$t-${f##*/}"
				echo "fuzz $t: input kept in $dir/findings/$t-${f##*/}; base64:"
				head -c 4096 "$f" | base64 -w 100
			done
		fi
		echo "fuzz $t: ${execs:-0} executions in ${secs} s, $findings findings"
		((findings == 0)) || fail=1
		rm -rf "$work"
	done
	return $fail
}

case ${1:-run} in
build) build ;;
run) shift || true; run "${1:-20}" ;;
*) echo "usage: tools/fuzz.sh build | run [SECONDS]" >&2; exit 2 ;;
esac
