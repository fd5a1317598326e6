#!/bin/bash
# The SPDK guide's scenario against the real kernel target: its nvmf.conf applied with nvmetcfg,
# an initiator in a network namespace discovers, connects, moves data both ways and runs fio.
# Usage: t-guide.sh [rdma|tcp]
. "$(dirname "$0")/guest-lib.sh"
tr=${1:-rdma}
info "transport $tr, kernel $(uname -r)"

bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
ok "guest SSD at $bdf ($(ssd_dev))"
net_setup "$tr"
conf=$T/nvmf.conf
guide_conf "$bdf" "$conf"
[[ $tr == tcp ]] && sed -i 's/Listen RDMA/Listen TCP/' "$conf"

check "nvmetcfg check accepts the guide's config" "$NVMETCFG" check "$conf"
"$NVMETCFG" -v apply "$conf" >"$T/apply1" 2>&1; rc=$?
cat "$T/apply1" | sed 's/^/#   /'
expect_eq "nvmetcfg apply succeeds" "$rc" 0

S=$CFS/subsystems/nqn.2016-06.io.spdk:cnode1
expect_eq "attr_serial" "$(xargs <$S/attr_serial)" SPDK00000000000001
expect_eq "attr_allow_any_host (AllowAnyHost Yes wins over Host)" "$(cat $S/attr_allow_any_host)" 1
expect_eq "no allowed_hosts links" "$(ls $S/allowed_hosts | wc -l)" 0
expect_eq "attr_qid_max = MaxQueuesPerSession - 1" "$(cat $S/attr_qid_max)" 3
expect_eq "namespace 1 device_path is the SSD found by PCI address" "$(cat $S/namespaces/1/device_path)" "$(ssd_dev)"
expect_eq "namespace 1 enabled" "$(cat $S/namespaces/1/enable)" 1
P=$(ls -d $CFS/ports/* | head -n1)
expect_eq "port addr_trtype" "$(cat $P/addr_trtype)" "$tr"
expect_eq "port addr_traddr" "$(cat $P/addr_traddr)" $TARGET_IP
expect_eq "port addr_trsvcid" "$(cat $P/addr_trsvcid)" 4791
check "port links the subsystem" test -L "$P/subsystems/nqn.2016-06.io.spdk:cnode1"
if [[ -e $P/param_max_queue_size ]]; then
	info "param_max_queue_size = $(cat $P/param_max_queue_size) (MaxQueueDepth 1024)"
	expect_eq "MaxQueueDepth 1024 as the transport allows it" "$(cat $P/param_max_queue_size)" "$([[ $tr == rdma ]] && echo 128 || echo 1024)"
else
	info "this kernel has no param_max_queue_size: MaxQueueDepth reported, not applied"
fi

before=$(cfs_snapshot)
out=$("$NVMETCFG" apply "$conf" 2>/dev/null); rc=$?
expect_eq "second apply succeeds" "$rc" 0
expect_eq "second apply writes nothing" "$out" "$conf: 0 changes applied"
expect_eq "configfs unchanged by second apply" "$(cfs_snapshot)" "$before"

"$NVMETCFG" show >"$T/show.conf"
info "nvmetcfg show:"; sed 's/^/#   /' "$T/show.conf"
out=$("$NVMETCFG" apply "$T/show.conf" 2>/dev/null); rc=$?
expect_eq "show output re-applies with no change" "$out (rc=$rc)" "$T/show.conf: 0 changes applied (rc=0)"
expect_eq "configfs identical after re-applying show" "$(cfs_snapshot)" "$before"
"$NVMETCFG" show --json >"$T/show.json"
check "show --json is valid JSON naming the subsystem" python3 -c "import json,sys; d=json.load(open('$T/show.json')); assert d['subsystems'][0]['nqn']=='nqn.2016-06.io.spdk:cnode1'"

# A config with an error anywhere leaves the live state byte-for-byte as it was.
for bad in 's/SN SPDK00000000000001/SN THIS-SERIAL-IS-FAR-TOO-LONG/' 's/traddr:[0-9a-f:.]*"/traddr:0000:7f:1f.7"/' \
	   '$a [Subsystem2]\n  NQN nqn.2016-06.io.spdk:cnode2\n  Namespace Nvme0n9 1\n  AllowAnyHost Yes'; do
	sed "$bad" "$conf" >"$T/bad.conf"
	out=$("$NVMETCFG" apply "$T/bad.conf" 2>&1); rc=$?
	info "bad config ($bad): $(grep error: <<<"$out" | head -n1)"
	expect_eq "bad config refused with exit 2" "$rc" 2
	expect_eq "bad config left configfs untouched" "$(cfs_snapshot)" "$before"
done

# The initiator.
modprobe nvme-$tr
out=$(ip netns exec $NS nvme discover -t $tr -a $TARGET_IP -s 4791 2>&1)
echo "$out" | sed 's/^/#   /'
check "discover lists cnode1" grep -q "subnqn: *nqn.2016-06.io.spdk:cnode1" <<<"$out"
check "nvme connect" ip netns exec $NS nvme connect -t $tr -n nqn.2016-06.io.spdk:cnode1 -a $TARGET_IP -s 4791
dev=$(fabric_dev nqn.2016-06.io.spdk:cnode1)
if [[ -n $dev ]]; then
	ok "fabric namespace appeared as $dev"
	nvme list >"$T/list" 2>&1; sed 's/^/#   /' "$T/list"
	check "nvme list shows serial SPDK00000000000001 for $dev" grep -q "^$dev .*SPDK00000000000001" "$T/list"
	backing=$(ssd_dev)
	head -c 1M /dev/urandom >"$T/a"
	dd if="$T/a" of="$dev" bs=1M count=1 seek=3 oflag=direct status=none
	dd if="$backing" of="$T/a.back" bs=1M count=1 skip=3 iflag=direct status=none
	check "data written through the fabric is on the SSD" cmp "$T/a" "$T/a.back"
	head -c 1M /dev/urandom >"$T/b"
	dd if="$T/b" of="$backing" bs=1M count=1 seek=7 oflag=direct status=none
	dd if="$dev" of="$T/b.fab" bs=1M count=1 skip=7 iflag=direct status=none
	check "data written to the SSD reads back through the fabric" cmp "$T/b" "$T/b.fab"
	fio --name=guide-seqread --filename="$dev" --rw=read --bs=128k --iodepth=16 --numjobs=1 --direct=1 \
		--ioengine=libaio --size=32M --runtime=20 --time_based=0 --output-format=json >"$T/fio.json" 2>"$T/fio.err"
	bw=$(python3 -c "import json; j=json.load(open('$T/fio.json')); print(round(j['jobs'][0]['read']['bw_bytes']/1e6,1))" 2>/dev/null)
	if [[ -n $bw ]]; then ok "fio sequential read through $tr: $bw MB/s"; else nok "fio ran"; cat "$T/fio.err"; fi
	check "nvme disconnect" ip netns exec $NS nvme disconnect -n nqn.2016-06.io.spdk:cnode1
else
	nok "fabric namespace appeared"
fi

check "nvmetcfg clear" "$NVMETCFG" clear
expect_eq "configfs empty after clear" "$(ls $CFS/subsystems $CFS/ports $CFS/hosts | grep -v '^/' | grep -v '^$' | wc -l)" 0
finish
