#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configure and build out of tree in build/ (or $1). Extra arguments go to configure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
shift || true
cd "$top"
if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt Makefile.in ]]; then
	autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
fi
mkdir -p "$dir"
cd "$dir"
if [[ ! -f Makefile ]]; then
	"$top/configure" --enable-werror --sysconfdir=/etc --localstatedir=/var "$@" >configure.out ||
		{ cat configure.out; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
