#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Make (once) the Debian 13 (trixie) tree the guests can boot instead of the host's root, and print its
# path. The tree is built with mmdebstrap from the Debian mirror the host's apt already uses, from the
# packages and unit masks in tests/vm/trixie-root.list; the list's hash names it
# ($NVMETD_VM_CACHE/root-trixie-HASH, default cache /var/cache/nvmetd-vm), so changing the list makes
# the next call build a new tree (the old one is removed). Built into DIR.tmp and renamed when complete:
# an interrupted build leaves no tree that looks finished. A cached tree costs one hash.
#
#   tests/vm/trixie-root.sh          build if needed; print the tree's path
#   NVMETD_VM_MIRROR=URI             the Debian archive to use (default: the host's apt sources')
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cache=${NVMETD_VM_CACHE:-/var/cache/nvmetd-vm}
list=$here/trixie-root.list
die() { echo "trixie-root.sh: $*" >&2; exit 2; }

hash=$(sha256sum "$list" | cut -c1-12)
dir=$cache/root-trixie-$hash
if [[ -f $dir/.nvmetd-root ]]; then echo "$dir"; exit 0; fi

[[ $(id -u) == 0 ]] || die "building the trixie root needs root (mmdebstrap in root mode)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run tools/deps.sh (or apt-get install mmdebstrap)"
mkdir -p "$cache"
exec 9>"$cache/root-trixie.lock"
flock 9   # another setup may be building the same tree
if [[ -f $dir/.nvmetd-root ]]; then echo "$dir"; exit 0; fi

# The archive and its security archive, as the host's apt sources name them (indextargets lists every
# source apt uses, one-line or deb822)
if [[ -n ${NVMETD_VM_MIRROR:-} ]]; then
	mirror=${NVMETD_VM_MIRROR%/} security=""
else
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	targets=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(COMPONENT)' 'Created-By: Packages' 2>/dev/null | sort -u)
	mirror=$(awk -v c="$codename" '$2 == c && $3 == "main" {print $1; exit}' <<<"$targets")
	security=$(awk -v c="$codename-security" '$2 == c && $3 == "main" {print $1; exit}' <<<"$targets")
	mirror=${mirror%/} security=${security%/}
	[[ -n $mirror ]] || die "no Debian archive for '$codename' main in the host's apt sources; set NVMETD_VM_MIRROR=URI"
fi
sources=("deb $mirror trixie main" "deb $mirror trixie-updates main")
[[ -n $security ]] && sources+=("deb $security trixie-security main")

pkgs=() mask=() disable=()
while read -r a b; do
	case $a in
	'' | '#'*) ;;
	mask) mask+=("$b") ;;
	disable) disable+=("$b") ;;
	*) [[ -z $b ]] || die "$list: bad line '$a $b'"; pkgs+=("$a") ;;
	esac
done <"$list"

tmp=$dir.tmp
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
echo "trixie-root.sh: building $dir from $mirror (${#pkgs[@]} packages; about a minute and 200 MB of downloads)" >&2
# hooks run in the tree with /proc, /sys and /dev mounted by mmdebstrap: `systemctl disable` fails on
# a unit that does not exist
hooks=()
((${#disable[@]})) && hooks+=(--customize-hook="chroot \"\$1\" systemctl disable --quiet $(printf '%q ' "${disable[@]}")")
# in a private mount namespace: whatever mmdebstrap mounts in the tree goes away with it, even if killed.
# The apt lists are kept: `chroot DIR apt-get install/download` works without an update
incl=$(IFS=,; echo "${pkgs[*]}")
unshare --mount --propagation private \
	mmdebstrap --variant=apt --quiet --skip=cleanup/apt/lists --aptopt='Acquire::Retries "3"' \
	--include="$incl" "${hooks[@]}" trixie "$tmp" "${sources[@]}" >&2 ||
	die "mmdebstrap failed (output above); the mirror is $mirror (NVMETD_VM_MIRROR overrides it)"
for u in "${mask[@]}"; do
	[[ -e $tmp/usr/lib/systemd/system/$u ]] || die "$list: 'mask $u': no such unit in the tree"
	ln -sfn /dev/null "$tmp/etc/systemd/system/$u"
done
# a machine id (mmdebstrap leaves the file empty, last): no first boot for systemd in the guests, which
# would run systemd-firstboot and friends
tr -d - </proc/sys/kernel/random/uuid >"$tmp/etc/machine-id"
printf 'list %s\nbuilt %s\nmirror %s\npackages %s\n' "$hash" "$(date -u +%FT%TZ)" "$mirror" \
	"$(chroot "$tmp" dpkg-query -W -f='.\n' | wc -l)" >"$tmp/.nvmetd-root"
mv -T "$tmp" "$dir"
trap - EXIT
ln -sfn "root-trixie-$hash" "$cache/root-trixie.new" && mv -T "$cache/root-trixie.new" "$cache/root-trixie"
# trees of older lists
for old in "$cache"/root-trixie-*; do
	[[ $old != "$dir" && -d $old ]] && rm -rf "$old"
done
echo "trixie-root.sh: built in $((SECONDS - t0)) s, $(du -sh "$dir" | cut -f1) on disk" >&2
echo "$dir"
