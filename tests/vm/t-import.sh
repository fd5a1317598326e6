#!/bin/bash
# Moving over: nvmetcli's JSON and SPDK's JSON config imported, applied to the real kernel target,
# exported again and compared; an initiator uses the result.
. "$(dirname "$0")/guest-lib.sh"
bdf=$(ssd_bdf) || { nok "guest SSD found"; finish; }
dev=$(ssd_dev)
net_setup tcp
modprobe nvme-tcp

# nvmetcli -> nvmf.conf -> kernel -> nvmetcli
sed "s|@DISK@|$dev|; s|192.168.122.33|$TARGET_IP|" "$TOP/tests/unit/data/nvmetcli-tcp.json" >$T/in.json
check "import --from nvmetcli" bash -c "'$NVMETCFG' import --from nvmetcli $T/in.json >$T/from-nvmetcli.conf"
sed 's/^/#   /' $T/from-nvmetcli.conf
check "the SSD is named by its PCI address, not $dev" grep -q "traddr:$bdf" $T/from-nvmetcli.conf
check "apply the imported config" "$NVMETCFG" apply $T/from-nvmetcli.conf
"$NVMETCFG" show --format nvmetcli >$T/out.json
check "export matches what was imported (hosts, ports, subsystems, namespaces)" python3 - $T/in.json $T/out.json <<'EOP'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def norm(d):
    subs = {s["nqn"]: (s["attr"]["serial"], s["attr"]["allow_any_host"], sorted(s["allowed_hosts"]),
                       sorted((n["nsid"], n["device"]["path"], n["device"]["uuid"], int(n["enable"])) for n in s["namespaces"]))
            for s in d["subsystems"]}
    ports = sorted((p["addr"]["trtype"], p["addr"]["traddr"], p["addr"]["trsvcid"], p["param"]["inline_data_size"],
                    tuple(sorted(p["subsystems"]))) for p in d["ports"])
    return sorted(h["nqn"] for h in d["hosts"]), ports, subs
na, nb = norm(a), norm(b)
if na != nb:
    print(na); print(nb); sys.exit(1)
EOP
check "the allowed host connects" ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4420 \
	-n nqn.2014-08.org.nvmexpress:NVMf:testnqn --hostnqn=nqn.2014-08.org.nvmexpress:uuid:0f3a0e2c-8b9d-4b8e-9c2d-2f6d5a7e1b01
fabric_dev nqn.2014-08.org.nvmexpress:NVMf:testnqn >/dev/null && ok "imported target serves the SSD" || nok "imported target serves the SSD"
ip netns exec $NS nvme disconnect-all >/dev/null

# SPDK JSON (save_config) -> nvmf.conf -> kernel
modprobe loop
truncate -s 32M $T/aio.img
loopdev=$(losetup --show -f $T/aio.img)
sed "s|0000:04:00.0|$bdf|; s|/dev/sdb|$loopdev|; s|\"RDMA\"|\"TCP\"|g; s|4791|4420|" "$TOP/tests/unit/data/spdk.json" >$T/spdk.json
check "import --from spdk" bash -c "'$NVMETCFG' import --from spdk $T/spdk.json >$T/from-spdk.conf"
sed 's/^/#   /' $T/from-spdk.conf
check "apply the imported SPDK config" "$NVMETCFG" apply $T/from-spdk.conf
S=$CFS/subsystems/nqn.2016-06.io.spdk:cnode1
expect_eq "namespace 1 is the SSD" "$(cat $S/namespaces/1/device_path)" "$dev"
expect_eq "namespace 2 is the AIO device" "$(cat $S/namespaces/2/device_path)" "$loopdev"
check "namespace 3 is a RAM disk (null_blk)" bash -c "[[ \$(readlink -f /sys/class/block/\$(basename \$(cat $S/namespaces/3/device_path))) == */virtual/block/* ]]"
expect_eq "SPDK's serial" "$(xargs <$S/attr_serial)" SPDK00000000000001
expect_eq "max_io_qpairs_per_ctrlr 3 -> attr_qid_max 3" "$(cat $S/attr_qid_max)" 3
expect_eq "min_cntlid/max_cntlid 1-32000 -> ControllerIDs" "$(cat $S/attr_cntlid_min)-$(cat $S/attr_cntlid_max)" 1-32000
check "only the listed host connects" ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4420 \
	-n nqn.2016-06.io.spdk:cnode1 --hostnqn=nqn.2016-06.io.spdk:init
ip netns exec $NS nvme disconnect-all >/dev/null
check "clear" "$NVMETCFG" clear
finish
