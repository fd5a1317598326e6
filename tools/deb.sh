#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian package from the tracked files of this tree and check it with lintian.
#   tools/deb.sh [--release R] [--nocheck] OUTDIR [VERSION]
# VERSION (e.g. 0.1.0-2) rewrites debian/changelog's top entry (for upgrade tests). --release trixie
# builds and runs lintian inside the cached Debian 13 root (tools/in-root.sh): binaries do not cross
# releases (libconfig.so.9 against .11, glibc 2.36 against 2.38), and each release's lintian judges its
# own package. Without it, or with the host's own release, both run on the host. Prints the .deb's path
# last; exits 1 if the build fails or lintian reports any error or warning. --nocheck skips the unit
# tests inside the package build (DEB_BUILD_OPTIONS=nocheck: for a test that ran them already).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
nocheck=
if [[ ${1:-} == --release ]]; then rel=${2:?--release needs a release name}; shift 2; fi
if [[ ${1:-} == --nocheck ]]; then nocheck=nocheck; shift; fi
[[ $# -ge 1 ]] || { echo "usage: deb.sh [--release R] [--nocheck] OUTDIR [VERSION]" >&2; exit 2; }
out=$(realpath -m "$1"); ver=${2:-}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/nvmetd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/nvmetd"
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -C "$work/nvmetd" -xf -
if [[ -n $ver ]]; then
	sed -i "1s/(.*)/($ver)/" "$work/nvmetd/debian/changelog"
	sed -i "0,/^  \* /s//  * Rebuilt as $ver.\n  * /" "$work/nvmetd/debian/changelog"
fi
run=("$top/tools/in-root.sh" --bind "$work" "$rel" --)
"${run[@]}" env DEB_BUILD_OPTIONS="$nocheck" bash -c 'cd "$1" && dpkg-buildpackage -us -uc -b' build "$work/nvmetd" >"$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log"; echo "deb.sh: the package build on $rel failed (log above)" >&2; exit 1; }
deb=$(ls "$work"/nvmetd_*_*.deb)
cp "$deb" "$work"/*.changes "$out/"
# every tag lintian has at warning level or above, overrides applied
if "${run[@]}" bash -c 'lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$@" >"$0" 2>&1' "$work/lintian.log" "$work"/*.changes; then
	echo "lintian ($rel, $("${run[@]}" lintian --version)): clean ($(wc -l <"$work/lintian.log") lines of output)"
else
	cat "$work/lintian.log"; echo "lintian ($rel): problems above"; exit 1
fi
echo "$out/$(basename "$deb")"
