#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install (from Debian's archive) what building and testing nvmetd needs. Idempotent and quiet when
# everything is already there.
set -euo pipefail
. "$(dirname "$0")/packages.sh"
pkgs=("${build_pkgs[@]}" "${guest_pkgs[@]}" "${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	[[ $(id -u) == 0 ]] || { echo "deps.sh: run as root to install: ${missing[*]}" >&2; exit 1; }
	echo "deps.sh: installing ${missing[*]}" >&2
	apt-get update -qq
	avail=()
	for p in "${missing[@]}"; do
		if apt-cache show "$p" >/dev/null 2>&1; then avail+=("$p"); fi
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${avail[@]}" >/dev/null
	# avahi-daemon is here for the mDNS guest test, which starts it itself: the guests boot this root,
	# and the systemd guests should not start it at every boot
	if [[ " ${avail[*]} " == *" avahi-daemon "* ]]; then
		rm -f /etc/systemd/system/multi-user.target.wants/avahi-daemon.service \
		      /etc/systemd/system/sockets.target.wants/avahi-daemon.socket
	fi
	# corosync and pacemaker too: the two-node HA test writes their configuration, then starts them
	rm -f /etc/systemd/system/multi-user.target.wants/corosync.service \
	      /etc/systemd/system/multi-user.target.wants/pacemaker.service
fi
