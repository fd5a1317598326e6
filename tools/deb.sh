#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian package from the tracked files of this tree and check it with lintian.
#   tools/deb.sh OUTDIR [VERSION]   VERSION (e.g. 0.1.0-2) rewrites debian/changelog's top entry
# (for upgrade tests). Prints the .deb's path last; exits 1 if the build fails or lintian reports
# any error or warning.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "$1"); ver=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/nvmetd"
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -C "$work/nvmetd" -xf -
if [[ -n $ver ]]; then
	sed -i "1s/(.*)/($ver)/" "$work/nvmetd/debian/changelog"
	sed -i "0,/^  \* /s//  * Rebuilt as $ver.\n  * /" "$work/nvmetd/debian/changelog"
fi
(cd "$work/nvmetd" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { tail -n 60 "$work/build.log"; exit 1; }
deb=$(ls "$work"/nvmetd_*_*.deb)
cp "$deb" "$work"/*.changes "$out/"
# every tag lintian has at warning level or above, overrides applied
if lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$work"/*.changes >"$work/lintian.log" 2>&1; then
	echo "lintian: clean ($(wc -l <"$work/lintian.log") lines of output)"
else
	cat "$work/lintian.log"; echo "lintian: problems above"; exit 1
fi
echo "$out/$(basename "$deb")"
