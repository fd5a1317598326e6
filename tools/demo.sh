#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job: install what is needed, build, and show the kernel NVMe-oF target serving an NVMe SSD
# over RoCEv2 to an initiator, from the SPDK guide's nvmf.conf, inside a Debian 6.12 guest
# (this host's kernel has no nvmet). Choose the guest kernel with NVMETD_DEMO_KERNEL=6.1.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
tools/build.sh "$top/build"
export NVMETCFG=$top/build/src/nvmetcfg/nvmetcfg
exec tests/vm/vm.sh run "${NVMETD_DEMO_KERNEL:-6.12}" tests/vm/demo.sh
