# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages nvmetd needs, in one place (sourced): tools/deps.sh installs all of them,
# tests/vm/vm.sh checks the ones booting and driving the guests need.
# building
build_pkgs=(build-essential autoconf automake pkg-config scdoc
	libnl-3-dev libnl-route-3-dev libkmod-dev libudev-dev libconfig-dev libsystemd-dev
	libjson-c-dev libavahi-client-dev libblkid-dev)
# the guests: qemu, their init, the initiator side and the tools the guest tests run (from the host's root)
guest_pkgs=(qemu-system-x86 busybox-static kmod nvme-cli fio rdma-core ibverbs-utils iproute2 xz-utils cpio
	procps util-linux python3 dbus avahi-daemon avahi-utils python3-zeroconf
	lvm2 thin-provisioning-tools   # SPDK lvol stores on LVM thin pools (tests/vm/t-lvm.sh)
	corosync pacemaker pacemaker-cli-utils resource-agents libxml2-utils iputils-ping   # the two-node HA rig
	mmdebstrap)   # makes the Debian 13 guest root (tests/vm/trixie-root.sh); bookworm's keyring has trixie's keys
# unit tests, fuzzing, the benchmark's plots, packaging
test_pkgs=(libcmocka-dev strace gnuplot-nox clang libclang-rt-14-dev debhelper dpkg-dev lintian
	resource-agents pacemaker-cli-utils libxml2-utils)   # the OCF agent's tests (ocf-tester, DTD, xmllint)
