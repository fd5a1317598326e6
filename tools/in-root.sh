#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a command on a Debian release: on the host itself when it is that release, else chrooted into
# a throwaway overlay on the release's cached root (tests/vm/trixie-root.sh builds it once). The project
# tree, and each --bind DIR, appear at their host paths, writable; everything else the command writes
# into the root is gone when it exits, so the cached tree (the guests' lower root) stays as built.
# Mounts live in a private mount namespace and vanish with it, whatever way the command ends.
#
#   tools/in-root.sh [--bind DIR]... RELEASE [--] COMMAND [ARGS...]     (RELEASE: bookworm | trixie)
#
# The command starts in the project tree with a clean environment (PATH, HOME, LANG=C.UTF-8; for more,
# use `env VAR=value COMMAND`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
die() { echo "in-root.sh: $*" >&2; exit 2; }
binds=()
while [[ ${1:-} == --bind ]]; do
	[[ -d ${2:-} ]] || die "--bind: no such directory '${2:-}'"
	binds+=("$(cd "$2" && pwd -P)"); shift 2
done
rel=${1:-}; shift || true
[[ ${1:-} == -- ]] && shift
[[ $# -ge 1 ]] || die "usage: in-root.sh [--bind DIR]... RELEASE [--] COMMAND [ARGS...]"
host=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [[ $rel == "$host" ]]; then cd "$top"; exec "$@"; fi
case $rel in
trixie) root=$("$top/tests/vm/trixie-root.sh") || die "no trixie root (tests/vm/trixie-root.sh failed above)" ;;
*) die "no root for '$rel' (the host is $host; RELEASE is $host or trixie)" ;;
esac
[[ $(id -u) == 0 ]] || die "chrooting into the $rel root needs root"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/nvmetd-in-$rel.XXXXXX")
# the mounts below exist only in the namespace: in this one $work/merged is an empty directory
trap 'rm -rf "$work"' EXIT
mkdir "$work/upper" "$work/work" "$work/merged"
unshare --mount --propagation private --fork bash -euo pipefail -c '
	root=$1 work=$2 top=$3 nb=$4; shift 4
	m=$work/merged
	mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/work" "$m"
	mount -t proc proc "$m/proc"
	mount --rbind /sys "$m/sys"
	mount --rbind /dev "$m/dev"
	mount -t tmpfs tmpfs "$m/run"
	for d in "$top" "${@:1:nb}"; do mkdir -p "$m$d"; mount --bind "$d" "$m$d"; done
	shift "$nb"
	exec chroot "$m" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" /bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$top" "$@"
' in-root "$root" "$work" "$top" "${#binds[@]}" "${binds[@]}" "$@"
