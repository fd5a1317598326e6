#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot one of Debian's own kernels under qemu (TCG, no KVM) over the host's root filesystem and run
# a script inside it. The host kernel has no nvmet, so this is where every kernel claim is proven.
#
#   tests/vm/vm.sh setup                    install packages, fetch and prepare both kernels
#   tests/vm/vm.sh run KERNEL SCRIPT [ARGS] boot KERNEL (6.1 | 6.12), run SCRIPT as root inside
#
# The guest: 4 vCPUs on 2 NUMA nodes (CPUs 0-1 on node 0, 2-3 on node 1); a PCIe NVMe SSD (serial
# NVMETD-SSD-0001) and a virtio NIC behind a pxb-pcie bridge on node 1; the host root read-only via
# 9p under a tmpfs overlay; the kernel's modules via a second 9p share. SCRIPT's exit status is
# the result; on failure the console tail is printed.
#
# NVMETD_VM_DISK=IMG    an ext4 image used as the overlay's upper layer instead of tmpfs: what the guest
#                       writes survives into the next boot on the same image (persistence tests)
# NVMETD_VM_INIT=systemd  boot real systemd as PID 1; SCRIPT runs as nvtest.service once
#                       multi-user.target is reached, then the guest powers off
# NVMETD_VM_QEMU_EXTRA  more qemu arguments (e.g. another NVMe device enumerated first)
# NVMETD_VM_PIDFILE=F   write qemu's pid to F (a harness that crashes the guest with kill -9)
# NVMETD_VM_SMP=2       2 vCPUs (one per NUMA node) instead of 4; 1: one vCPU (node 1 without CPUs)
# NVMETD_VM_9P=MODE     9p cache mode of the read-only host root and modules (e.g. loose; default none:
#                       measured a few % faster, not worth a root that may lag the host's)
# NVMETD_VM_ROOT=trixie boot the cached Debian 13 tree (tests/vm/trixie-root.sh; `setup` makes it) as the
#                       lower root instead of the host's (default: host). Its programs are trixie's: give
#                       the guest a build made in that root (tools/in-root.sh trixie tools/build.sh
#                       build-trixie; NVMETCFG=/NVMETD= point at it), bookworm's nvmetd needs libconfig.so.9
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
proj=$(cd "$here/../.." && pwd -P)
# The project tree is shared into the guest at /nvtest-src: wherever it lives on the host (even under
# /tmp, which the guest covers with a tmpfs), guest paths under it are rewritten to that place.
guest_path() { local p; p=$(realpath -m "$1"); [[ $p == "$proj"/* || $p == "$proj" ]] && p=/nvtest-src${p#"$proj"}; printf '%s' "$p"; }
cache=${NVMETD_VM_CACHE:-/var/cache/nvmetd-vm}
export NVMETD_VM_CACHE=$cache   # trixie-root.sh keeps its tree there too
timeout_s=${NVMETD_VM_TIMEOUT:-900}

die() { echo "vm.sh: $*" >&2; exit 2; }

. "$proj/tools/packages.sh"
pkgs=("${guest_pkgs[@]}")

kernel_pkg() {
	case "$1" in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	*) die "unknown kernel '$1' (use 6.1 or 6.12)" ;;
	esac
}

need_install() {
	local p missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "vm.sh: installing ${missing[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# Resolve the metapackage to the versioned image package and extract it (once) into the cache.
prepare_kernel() {
	local k=$1 meta real dir rel
	meta=$(kernel_pkg "$k")
	if [[ -e $cache/$k.rel ]] && [[ -d $cache/k-$(cat "$cache/$k.rel") ]]; then
		dir=$cache/k-$(cat "$cache/$k.rel")
		# rebuild the initramfs when its init script changed
		[[ $dir/initramfs.gz -nt $here/initramfs-init && $dir/initramfs.gz -nt $here/vm.sh ]] ||
			make_initramfs "$dir" "$(cat "$cache/$k.rel")"
		return 0
	fi
	mkdir -p "$cache"
	real=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [[ -z $real ]]; then
		apt-get update -qq
		real=$(apt-cache depends "$meta" | awk '/Depends: linux-image-/{print $2; exit}')
	fi
	[[ -n $real ]] || die "cannot resolve $meta to a kernel image package"
	rel=${real#linux-image-}
	dir=$cache/k-$rel
	if [[ ! -d $dir/boot ]]; then
		(cd "$cache" && rm -f "$real"_*.deb && apt-get download -q "$real" >/dev/null 2>&1) ||
			die "apt-get download $real failed"
		rm -rf "$dir.tmp"
		dpkg -x "$cache/$real"_*.deb "$dir.tmp"
		rm -f "$cache/$real"_*.deb
		mv "$dir.tmp" "$dir"
	fi
	depmod -b "$dir" "$rel"
	make_initramfs "$dir" "$rel"
	echo "$rel" >"$cache/$k.rel"
}

# A busybox initramfs that loads 9p/overlay and switches to the host root.
make_initramfs() {
	local dir=$1 rel=$2 work mods m
	work=$(mktemp -d)
	mkdir -p "$work"/{bin,dev,proc,sys,mnt/lower,mnt/rw,newroot,mods}
	cp /bin/busybox "$work/bin/busybox"
	for m in sh mount umount mkdir insmod switch_root sleep cat echo ls poweroff grep sed ln rm; do
		ln -s busybox "$work/bin/$m"
	done
	mods=$(modprobe -d "$dir" -S "$rel" --show-depends -a virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4 2>/dev/null |
	       awk '$1=="insmod"{print $2}' | awk '!seen[$0]++')
	: >"$work/mods/order"
	for m in $mods; do
		local base
		base=$(basename "$m")
		case $m in
		*.xz) xz -dc "$dir/${m#/}" >"$work/mods/${base%.xz}" 2>/dev/null || xz -dc "$m" >"$work/mods/${base%.xz}"; base=${base%.xz} ;;
		*) cp "$dir/${m#/}" "$work/mods/$base" 2>/dev/null || cp "$m" "$work/mods/$base" ;;
		esac
		echo "$base" >>"$work/mods/order"
	done
	cp "$here/initramfs-init" "$work/init"
	chmod +x "$work/init"
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.gz"
	rm -rf "$work"
}

# The guest's lower root: the host's /, or the cached trixie tree (built on first use)
lower_root() {
	case ${NVMETD_VM_ROOT:-host} in
	host | "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")") echo / ;;
	trixie) "$here/trixie-root.sh" || die "the trixie root could not be made (tests/vm/trixie-root.sh, above)" ;;
	*) die "unknown NVMETD_VM_ROOT '${NVMETD_VM_ROOT}' (use host or trixie)" ;;
	esac
}

cmd_setup() {
	need_install
	prepare_kernel 6.1
	prepare_kernel 6.12
	echo "vm.sh: kernels ready: $(cat "$cache/6.1.rel") $(cat "$cache/6.12.rel")"
	echo "vm.sh: Debian 13 root ready: $(NVMETD_VM_ROOT=trixie lower_root)"
}

cmd_run() {
	local k=$1 script=$2; shift 2
	local rel dir out ssd rc qpid lower
	[[ -x $script || -f $script ]] || die "no such script: $script"
	need_install
	lower=$(lower_root)
	prepare_kernel "$k"
	rel=$(cat "$cache/$k.rel")
	dir=$cache/k-$rel
	out=$(mktemp -d /tmp/nvmetd-vm.XXXXXX)
	ssd=$out/ssd.img
	truncate -s "${NVMETD_VM_SSD_SIZE:-256M}" "$ssd"
	local -a gargs=()
	local a
	for a in "$@"; do
		if [[ -e $a ]]; then gargs+=("$(guest_path "$a")"); else gargs+=("$a"); fi
	done
	printf '%q ' "$(guest_path "$script")" "${gargs[@]}" >"$out/cmd"
	# what the guest script should use, if the caller says (e.g. an out-of-tree build)
	: >"$out/env"
	for v in NVMETCFG NVMETD; do
		[[ -n ${!v:-} ]] && printf 'export %s=%q\n' "$v" "$(guest_path "${!v}")" >>"$out/env"
	done
	echo "$rel" >"$out/kernel"

	local append=""
	local -a disk=()
	if [[ -n ${NVMETD_VM_DISK:-} ]]; then
		disk=(-drive "file=$(realpath "$NVMETD_VM_DISK"),if=none,id=upper,format=raw,cache=unsafe"
		      -device virtio-blk-pci,drive=upper,bus=pcie.0)
		append+=" nvtest_upper=vda"
	fi
	[[ -n ${NVMETD_VM_9P:-} ]] && append+=" nvtest_9p=$NVMETD_VM_9P"
	if [[ ${NVMETD_VM_INIT:-} == systemd ]]; then
		append+=" nvtest_systemd=1 systemd.show_status=${NVMETD_VM_SHOW_STATUS:-0}"
		timeout_s=${NVMETD_VM_TIMEOUT:-1200}
	fi
	# NVMETD_VM_SMP=2: one vCPU per node instead of two (fewer vCPU threads than host cores: process
	# start-up is several times faster under TCG, which the benchmark wants)
	local -a smp=(-smp 4,sockets=2,cores=2 -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1)
	[[ ${NVMETD_VM_SMP:-4} == 2 ]] &&
		smp=(-smp 2,sockets=2,cores=1 -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1)
	# NVMETD_VM_SMP=1: one vCPU, node 1 memory and PCIe only (two guests side by side on 2 host cores)
	[[ ${NVMETD_VM_SMP:-4} == 1 ]] &&
		smp=(-smp 1 -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,memdev=m1)
	local -a qemu=(
		qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 2048
		"${smp[@]}"
		-object memory-backend-ram,id=m0,size=1024M -object memory-backend-ram,id=m1,size=1024M
		-device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0
		-device pcie-root-port,id=rp1,bus=pxb1,chassis=1,slot=1
		-device pcie-root-port,id=rp2,bus=pxb1,chassis=2,slot=2
		-drive "file=$ssd,if=none,id=ssd0,format=raw,cache=unsafe"
		-device "nvme,serial=NVMETD-SSD-0001,drive=ssd0,bus=rp1"
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,bus=rp2,romfile=
		-device virtio-rng-pci,bus=pcie.0
		-fsdev "local,id=fsroot,path=$lower,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot,bus=pcie.0
		-fsdev "local,id=fsmod,path=$dir/lib/modules,security_model=none,readonly=on"
		-device virtio-9p-pci,fsdev=fsmod,mount_tag=modules,bus=pcie.0
		-fsdev "local,id=fsout,path=$out,security_model=none"
		-device virtio-9p-pci,fsdev=fsout,mount_tag=out,bus=pcie.0
		-fsdev "local,id=fssrc,path=$proj,security_model=none,readonly=on"
		-device virtio-9p-pci,fsdev=fssrc,mount_tag=src,bus=pcie.0
		-kernel "$dir/boot/vmlinuz-$rel" -initrd "$dir/initramfs.gz"
		-append "console=ttyS0 panic=-1 ${NVMETD_VM_CONSOLE:-quiet loglevel=4} nvtest_init=/nvtest-src/tests/vm/guest-init.sh $append"
		-display none -no-reboot -chardev "stdio,id=ser0,signal=off" -serial chardev:ser0 -monitor none
		"${disk[@]}"
	)
	# A guest kernel that panics (seen rarely in the emulated initiator's TCP stack under TCG) leaves no
	# result: the boot is said to have panicked, with the trace, and run once more.
	local attempt=0 retries=${NVMETD_VM_PANIC_RETRIES:-1}
	while :; do
		rm -f "$out/rc" "$out/output.log"
		"${qemu[@]}" ${NVMETD_VM_QEMU_EXTRA:-} </dev/null >"$out/console.log" 2>&1 &
		qpid=$!
		[[ -n ${NVMETD_VM_PIDFILE:-} ]] && echo "$qpid" >"$NVMETD_VM_PIDFILE"
		local waited=0
		while kill -0 "$qpid" 2>/dev/null; do
			if ((waited >= timeout_s)); then
				echo "vm.sh: guest ($k) timed out after ${timeout_s}s" >&2
				kill "$qpid" 2>/dev/null || true
				break
			fi
			sleep 1
			waited=$((waited + 1))
		done
		wait "$qpid" 2>/dev/null || true
		[[ ! -f $out/rc ]] && grep -q 'Kernel panic' "$out/console.log" && ((attempt < retries)) || break
		attempt=$((attempt + 1))
		echo "vm.sh: the guest kernel ($rel) panicked, the script's result is lost; booting again. The panic:" >&2
		grep -m1 -B2 -A12 -E 'BUG:|Oops|general protection|invalid opcode|Kernel panic' "$out/console.log" | sed 's/^/vm.sh:   /' >&2 || true
	done
	rc=$(cat "$out/rc" 2>/dev/null || echo 124)
	[[ -f $out/output.log ]] && cat "$out/output.log"
	if [[ $rc != 0 ]]; then
		echo "vm.sh: guest script failed (rc=$rc, kernel $rel); console tail:" >&2
		tail -n 40 "$out/console.log" >&2 || true
	fi
	if [[ -z ${NVMETD_VM_KEEP:-} ]]; then rm -rf "$out"; else echo "vm.sh: kept $out" >&2; fi
	return "$rc"
}

case "${1:-}" in
setup) cmd_setup ;;
run) shift; [[ $# -ge 2 ]] || die "usage: vm.sh run KERNEL SCRIPT [ARGS...]"; cmd_run "$@" ;;
*) die "usage: vm.sh setup | run KERNEL SCRIPT [ARGS...]" ;;
esac
