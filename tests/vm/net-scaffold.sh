#!/bin/bash
# Test scaffolding for the systemd guests (run by nvtest-net.service): the "NIC" — a veth pair with
# soft-RoCE on both ends and an initiator network namespace. The target address is added only after
# a delay, like a slow DHCP lease, so nvmetd starts before its address exists.
. "$(dirname "$0")/guest-lib.sh"
net_setup rdma noaddr
modprobe nvme-tcp
(sleep "${1:-5}"; ip addr add $TARGET_IP/24 dev veth-t) >/dev/null 2>&1 &
disown
