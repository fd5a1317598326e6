#!/bin/bash
# Test scaffolding for the systemd guests (run by nvtest-net.service): the "NIC" — a veth pair with
# soft-RoCE on both ends and an initiator network namespace. The target address is added only after
# a delay, like a slow DHCP lease, so nvmetd starts before its address exists.
. "$(dirname "$0")/guest-lib.sh"
ip link add veth-t type veth peer name veth-i
ip netns add $NS
ip link set veth-i netns $NS
ip link set veth-t up
ip netns exec $NS ip addr add $INIT_IP/24 dev veth-i
ip netns exec $NS ip link set veth-i up
ip netns exec $NS ip link set lo up
modprobe rdma_rxe
rdma link add rxe_t type rxe netdev veth-t
ip netns exec $NS rdma link add rxe_i type rxe netdev veth-i
modprobe nvme-rdma
modprobe nvme-tcp
(sleep "${1:-5}"; ip addr add $TARGET_IP/24 dev veth-t) >/dev/null 2>&1 &
disown
