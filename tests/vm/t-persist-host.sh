#!/bin/bash
# Host side of the persistence test: boot the same persistent disk three times with real systemd —
# install + enable + change + save; reboot (which ends by writing a config where some objects cannot
# be served: read-only mount, absent SSD, missing file); reboot with another NVMe SSD enumerated
# first, serving that config.
# Usage: t-persist-host.sh KERNEL
set -u
here=$(cd "$(dirname "$0")" && pwd)
k=${1:-6.12}
work=$(mktemp -d /var/tmp/nvmetd-persist.XXXXXX)
trap 'rm -rf "$work" "${stage:-}"' EXIT
truncate -s 1G "$work/upper.img"
mkfs.ext4 -q -F "$work/upper.img"
truncate -s 64M "$work/other.img"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }

# make install, prefix- and DESTDIR-aware, into a staging tree the guest copies into its root
build=${NVMETD_BUILD:-$here/../../build}
stage=$build/persist-stage   # inside the project tree: the guest sees it at /nvtest-src
# a build made in the Debian 13 root is installed from inside it: make on the host would relink what
# it finds out of date against the host's libraries (nvmetd then wants bookworm's libconfig.so.9)
inroot=(); [[ ${NVMETD_VM_ROOT:-host} == trixie ]] && inroot=("$here/../../tools/in-root.sh" trixie)
rm -rf "$stage"
if "${inroot[@]}" make -C "$build" install DESTDIR="$stage" >"$work/install.log" 2>&1; then ok "make install DESTDIR=…"; else nok "make install"; cat "$work/install.log"; fi
unit=$(find "$stage" -name nvmetd.service | head -n1)
[[ -n $unit && -x $stage/usr/local/sbin/nvmetd && -f $stage/etc/nvmet/nvmf.conf && -f $stage/etc/nvmet/nvmetd.conf ]] &&
	ok "installed: binaries, unit (${unit#$stage}), /etc/nvmet/nvmf.conf and nvmetd.conf" || nok "installed files"
echo "# an admin's edit" >>"$stage/etc/nvmet/nvmf.conf"
cp "$stage/etc/nvmet/nvmf.conf" "$work/admin.conf"
"${inroot[@]}" make -C "$build" install DESTDIR="$stage" >/dev/null 2>&1
cmp -s "$stage/etc/nvmet/nvmf.conf" "$work/admin.conf" && ok "install again never overwrites /etc/nvmet/nvmf.conf" ||
	nok "install overwrote /etc/nvmet/nvmf.conf"

for phase in install reboot renamed; do
	extra=""
	[[ $phase == renamed ]] && extra="-drive file=$work/other.img,if=none,id=other,format=raw -device nvme,serial=OTHER-SSD,drive=other,bus=pcie.0"
	echo "# boot: $phase"
	t0=$SECONDS
	out=$(NVMETD_VM_DISK=$work/upper.img NVMETD_VM_INIT=systemd NVMETD_VM_QEMU_EXTRA="$extra" \
		"$here/vm.sh" run "$k" "$here/t-persist.sh" "$phase" "$stage" 2>&1)
	echo "$out" | grep -vE '^#   (\./|  )'
	line=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n1)
	p=$(sed -n 's/^# \([0-9]*\) passed.*/\1/p' <<<"$line"); f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
	[[ -n $line ]] || { echo "not ok - boot $phase produced no result"; }
	echo "# --- boot $phase: $((SECONDS - t0)) s"
done
echo "# $pass passed, $fail failed"
((fail == 0))
