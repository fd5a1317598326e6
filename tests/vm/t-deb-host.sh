#!/bin/bash
# Host side of the package test: build the package (0.1.0-1, and the same files as 0.1.0-2 for the
# upgrade), lintian must be clean, then boot the 6.12 guest under real systemd and run
# t-deb.sh there. Usage: t-deb-host.sh KERNEL
# With NVMETD_VM_ROOT=trixie the packages are built, and checked by lintian, inside the Debian 13 root
# (tools/deb.sh --release trixie) and the guest boots that root (systemd 257).
set -u
here=$(cd "$(dirname "$0")" && pwd)
k=${1:-6.12}
build=${NVMETD_BUILD:-$here/../../build}
root=${NVMETD_VM_ROOT:-host}
rel=(); [[ $root == host ]] || rel=(--release "$root")
out=$build/deb-$root   # inside the project tree: the guest sees it at /nvtest-src
rm -rf "$out"; mkdir -p "$out"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
# the unit tests ran already (make check): the package builds without them; the upgrade's 0.1.0-2 is
# the same files repackaged with that version (dpkg-deb), as a rebuild of the same tree would be
t0=$SECONDS
if log=$("$here/../../tools/deb.sh" "${rel[@]}" --nocheck "$out/1" 2>&1); then ok "package 0.1.0-1 builds; $(grep '^lintian' <<<"$log")"; else nok "package build or lintian"; echo "$log" | tail -40; fi
echo "# --- package build and lintian: $((SECONDS - t0)) s"
deb1=$(ls "$out"/1/nvmetd_*.deb 2>/dev/null)
if [[ -n $deb1 ]]; then
	mkdir -p "$out/2" && rm -rf "$out/x" && dpkg-deb -R "$deb1" "$out/x" &&
		sed -i 's/^Version: .*/Version: 0.1.0-2/' "$out/x/DEBIAN/control" &&
		dpkg-deb -b -Zxz "$out/x" "$out/2/nvmetd_0.1.0-2_$(dpkg-deb -f "$deb1" Architecture).deb" >/dev/null &&
		ok "package 0.1.0-2: the same files as 0.1.0-1 (dpkg-deb)" || nok "package 0.1.0-2 (dpkg-deb)"
	rm -rf "$out/x"
fi
deb1=$(ls "$out"/1/nvmetd_*.deb 2>/dev/null); deb2=$(ls "$out"/2/nvmetd_*.deb 2>/dev/null)
if [[ -n $deb1 && -n $deb2 ]]; then
	t0=$SECONDS
	o=$(NVMETD_VM_INIT=systemd "$here/vm.sh" run "$k" "$here/t-deb.sh" "$deb1" "$deb2" 2>&1)
	echo "$o" | grep -vE '^#   (\./|  )'
	line=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' <<<"$o" | tail -n1)
	p=$(sed -n 's/^# \([0-9]*\) passed.*/\1/p' <<<"$line"); f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
	echo "# --- boot (systemd): $((SECONDS - t0)) s"
fi
echo "# $pass passed, $fail failed"
((fail == 0))
