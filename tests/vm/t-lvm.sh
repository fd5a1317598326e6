#!/bin/bash
# SPDK lvol stores on LVM thin provisioning, on the guest's NVMe SSD, through nvmetd's JSON-RPC socket:
# an lvol store on the SSD's bdev (refused while it holds a filesystem, naming it), then the call
# sequences of spdk-csi (thin volume, publish on a TCP subsystem, the host writes; a snapshot named
# "snapshot-<uuid>" as spdk-csi names them — a name LVM refuses for an LV; a clone published and read
# back with the same data; unpublish; delete) and of Cinder's SPDK driver (thick volume by store UUID,
# resize and inflate with `size` in bytes, cnode export, the discovery subsystem first), with nvmetd
# restarted in the middle and the LVs deactivated as at a reboot: the exports come back from rpc.conf
# and bdev_get_bdevs lists the same volumes; then spdk-csi's calls through SPDK's rpc_http_proxy.py with
# rename, decouple_parent, set_read_only and rename_lvstore on the real LVM.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
info "kernel $(uname -r), $(lvm version | head -n 1)"
SOCK=/run/nvmetd/spdk.sock
RPC="python3 $TOP/tests/rpc/spdk-rpc.py -s $SOCK -t 120"
rpc() { $RPC "$@"; }
# rpc_err METHOD PARAMS: the error response's message (the call must fail)
# jq is not in the Debian 13 root: JSON through python3. js [-e] EXPR [FILE]: EXPR (Python; r is the JSON
# of FILE or stdin, objects with .key access, by(NAME) the element whose name is NAME) printed, a string
# raw and the rest as compact JSON; with -e, EXPR's truth is the exit status.
js() { local e=0; [[ $1 == -e ]] && { e=1; shift; }
	python3 -c 'import json, re, sys
class O(dict):
    __getattr__ = dict.get
r = json.load(open(sys.argv[3]) if len(sys.argv) > 3 else sys.stdin, object_hook=O)
by = lambda n: next(x for x in r if x.name == n)
v = eval(sys.argv[2])
if sys.argv[1] == "1":
    sys.exit(0 if v else 1)
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$e" "$@"; }
export -f js
rpc_err() { local out; if out=$($RPC "$@" 2>&1); then echo "UNEXPECTED SUCCESS"; else echo "$out"; fi; }
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.2; done; }
net_setup tcp
bdf=$(ssd_bdf); dev=$(ssd_dev)
info "SSD $bdf = $dev"
modprobe dm-thin-pool 2>/dev/null
: >$T/nvmf.conf
printf 'nvmf_conf = "%s";\nstate_file = "/run/nvmetd/state.json";\nirq_affinity = false;\nrpc_socket = "%s";\nrpc_conf = "%s";\n' \
	$T/nvmf.conf $SOCK $T/rpc.conf >$T/nvmetd.conf
start() { "$NVMETD" -f -c $T/nvmetd.conf >>$T/nvmetd.log 2>&1 & pid=$!; wait_for 60 test -S $SOCK; }
check "nvmetd serves its RPC socket" start
expect_eq "bdev_nvme_attach_controller Nvme0 (PCIe $bdf)" \
	"$(rpc bdev_nvme_attach_controller "{\"name\": \"Nvme0\", \"trtype\": \"PCIe\", \"traddr\": \"$bdf\"}" | js r)" '["Nvme0n1"]'

# the store: refused on a device that holds something, made on a blank one
mkfs.ext4 -q -F $dev
err=$(rpc_err bdev_lvol_create_lvstore '{"bdev_name": "Nvme0n1", "lvs_name": "lvs0"}')
check "create_lvstore on an ext4 SSD: refused, naming ext4 and the device" bash -c "grep -q 'ext4 filesystem' <<<'$err' && grep -q '$dev' <<<'$err'"
check "... the filesystem is still there" bash -c "blkid -p $dev | grep -q ext4"
wipefs -q -a $dev
out=$(rpc bdev_lvol_create_lvstore '{"bdev_name": "Nvme0n1", "lvs_name": "lvs0", "clear_method": "unmap"}')
LVS=$(js r <<<"$out" 2>/dev/null)
check "bdev_lvol_create_lvstore lvs0 on Nvme0n1: a UUID ($LVS)" bash -c "[[ '$LVS' =~ ^[0-9a-f-]{36}\$ ]]"
if ! [[ $LVS =~ ^[0-9a-f-]{36}$ ]]; then # nothing below can work
	sed 's/^/#   /' <<<"$out"; sed 's/^/#   nvmetd: /' $T/nvmetd.log | tail -n 20; pvs; vgs; finish
fi
check "LVM has VG lvs0 tagged with the UUID, a thin pool on $dev" bash -c \
	"vgs --noheadings -o vg_tags lvs0 | grep -q 'nvmetd.uuid=$LVS' && lvs --noheadings -o segtype lvs0/nvmetd-pool | grep -q thin-pool && pvs --noheadings -o vg_name $dev | grep -q lvs0"
check "create_lvstore lvs0 again: File exists" bash -c "$RPC bdev_lvol_create_lvstore '{\"bdev_name\": \"Nvme0n1\", \"lvs_name\": \"lvs0\"}' 2>&1 | grep -q 'File exists'"
rpc bdev_lvol_get_lvstores >$T/lvs.json
js 'r[0]' $T/lvs.json | sed 's/^/#   /'
check "bdev_lvol_get_lvstores: name, uuid, base_bdev, clusters" js -e \
	"r[0].name == 'lvs0' and r[0].uuid == '$LVS' and r[0].base_bdev == 'Nvme0n1' and r[0].cluster_size > 0 and r[0].free_clusters > 0 and r[0].total_data_clusters >= r[0].free_clusters" $T/lvs.json

# --- spdk-csi: CreateVolume, Publish (pkg/util/nvmf.go), the host writes
check "csi: bdev_get_bdevs lvs0/pvc-1 before: No such device" bash -c "$RPC bdev_get_bdevs '{\"name\": \"lvs0/pvc-1\"}' 2>&1 | grep -q 'No such device'"
V1=$(rpc bdev_lvol_create '{"lvol_name": "pvc-1", "size": 67108864, "lvs_name": "lvs0", "clear_method": "unmap", "thin_provision": true}' | js r)
check "csi: bdev_lvol_create pvc-1 (size in bytes, thin): $V1" bash -c "[[ '$V1' =~ ^[0-9a-f-]{36}\$ ]]"
rpc bdev_get_bdevs "{\"name\": \"$V1\"}" >$T/b1.json
js 'r[0]' $T/b1.json | sed 's/^/#   /'
check "csi: bdev_get_bdevs by UUID: name, alias, size, lvol_store_uuid, thin" js -e \
	"r[0].name == '$V1' and r[0].uuid == '$V1' and r[0].aliases == ['lvs0/pvc-1'] and r[0].block_size * r[0].num_blocks == 67108864 and r[0].driver_specific.lvol.lvol_store_uuid == '$LVS' and r[0].driver_specific.lvol.thin_provision is True" $T/b1.json
check "csi: bdev_get_bdevs by alias lvs0/pvc-1" bash -c "$RPC bdev_get_bdevs '{\"name\": \"lvs0/pvc-1\"}' | js -e 'r[0].name == \"$V1\"'"
publish() { # publish UUID PORT: spdk-csi's calls
	local nqn=nqn.2020-04.io.spdk.csi:uuid:$1
	$RPC nvmf_create_transport '{"trtype": "TCP"}' >/dev/null 2>&1 # "already exists" is fine
	$RPC nvmf_subsystem_get_listeners "{\"nqn\": \"$nqn\"}" 2>&1 | grep -q 'Invalid parameters' &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn\", \"allow_any_host\": true, \"serial_number\": \"spdkcsi-sn\", \"model_number\": \"$1\"}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"$1\"}}" &&
		rpc nvmf_subsystem_add_listener "{\"nqn\": \"$nqn\", \"listen_address\": {\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"$2\"}}"
}
unpublish() { # unpublish UUID
	local nqn=nqn.2020-04.io.spdk.csi:uuid:$1 nsid
	nsid=$($RPC nvmf_get_subsystems | js "[x for x in r if x.nqn == '$nqn'][0].namespaces[0].nsid")
	rpc nvmf_subsystem_remove_ns "{\"nqn\": \"$nqn\", \"nsid\": $nsid}" && rpc nvmf_delete_subsystem "{\"nqn\": \"$nqn\"}"
}
check "csi: publish pvc-1 (subsystem, add_ns by UUID, TCP listener)" publish $V1 4420
check "configfs: pvc-1's namespace is /dev/lvs0/pvc-1, enabled" bash -c \
	"[[ \$(cat $CFS/subsystems/nqn.2020-04.io.spdk.csi:uuid:$V1/namespaces/1/device_path) == /dev/lvs0/pvc-1 && \$(cat $CFS/subsystems/nqn.2020-04.io.spdk.csi:uuid:$V1/namespaces/1/enable) == 1 ]]"
sed 's/^/#   rpc.conf: /' $T/rpc.conf | grep -E 'AIO|Namespace'
head -c 4M /dev/urandom >$T/data; printf 'NVTEST-LVM-CSI' | dd of=$T/data conv=notrunc status=none
sum=$(md5sum <$T/data | cut -d' ' -f1)
connect() { ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s ${2:-4420} -n nqn.2020-04.io.spdk.csi:uuid:$1 >/dev/null 2>&1; fabric_dev nqn.2020-04.io.spdk.csi:uuid:$1 1; }
disconnect() { ip netns exec $NS nvme disconnect -n nqn.2020-04.io.spdk.csi:uuid:$1 >/dev/null 2>&1; }
d1=$(connect $V1 4420)
check "csi: the host writes 4 MiB to pvc-1 over TCP ($d1)" bash -c "[[ -n '$d1' ]] && dd if=$T/data of=$d1 bs=1M oflag=direct status=none"
disconnect $V1

# --- spdk-csi: CreateSnapshot ("snapshot-<uuid>"), a volume from it (clone), published, read back
SNAPNAME=snapshot-$(cat /proc/sys/kernel/random/uuid)
S1=$(rpc bdev_lvol_snapshot "{\"lvol_name\": \"$V1\", \"snapshot_name\": \"$SNAPNAME\"}" | js r)
check "csi: bdev_lvol_snapshot $SNAPNAME (LVM refuses that LV name): $S1" bash -c "[[ '$S1' =~ ^[0-9a-f-]{36}\$ ]]"
check "... its LV is lv-$S1, the SPDK name in a tag" bash -c "lvs --noheadings -o lv_tags lvs0/lv-$S1 | grep -q 'nvmetd.name=$SNAPNAME'"
C1=$(rpc bdev_lvol_clone "{\"snapshot_name\": \"lvs0/$SNAPNAME\", \"clone_name\": \"pvc-2\"}" | js r)
check "csi: bdev_lvol_clone pvc-2 of lvs0/$SNAPNAME: $C1" bash -c "[[ '$C1' =~ ^[0-9a-f-]{36}\$ ]]"
rpc bdev_get_bdevs >$T/all.json
check "bdev_get_bdevs: the snapshot has clones pvc-1 and pvc-2, read-only" js -e \
	"by('$S1').driver_specific.lvol.snapshot is True and sorted(by('$S1').driver_specific.lvol.clones) == ['pvc-1', 'pvc-2']" $T/all.json
check "bdev_get_bdevs: pvc-2 is a clone of the snapshot" js -e \
	"by('$C1').driver_specific.lvol.clone is True and by('$C1').driver_specific.lvol.base_snapshot == '$SNAPNAME'" $T/all.json
check "csi: publish pvc-2" publish $C1 4420
d2=$(connect $C1 4420)
check "csi: the host reads pvc-2: the data written to pvc-1 ($d2)" bash -c "[[ -n '$d2' ]] && [[ \$(head -c 4M $d2 | md5sum | cut -d' ' -f1) == $sum ]]"
disconnect $C1
check "deleting the snapshot with two clones: Operation not permitted" bash -c "$RPC bdev_lvol_delete '{\"name\": \"$S1\"}' 2>&1 | grep -q 'Operation not permitted'"
check "deleting exported pvc-1: refused (busy)" bash -c "$RPC bdev_lvol_delete '{\"name\": \"$V1\"}' 2>&1 | grep -q 'busy'"
check "... pvc-1's LV is still there" lvs lvs0/pvc-1

# --- a restart in the middle, the LVs deactivated as after a reboot
rpc bdev_get_bdevs | js 'sorted(x.name for x in r)' >$T/before
kill $pid; wait $pid
# the guest runs no udev: LVM removes its nodes itself only when told (nvmetd tells it so)
DM_DISABLE_UDEV=1 vgchange -q -an lvs0 >/dev/null 2>&1
check "stopped, LVs deactivated: no /dev/lvs0/pvc-2" bash -c "! blockdev --getsize64 /dev/lvs0/pvc-2"
start
check "started again: both exports enabled (nvmetd activated their LVs)" wait_for 60 bash -c \
	"[[ \$(cat $CFS/subsystems/nqn.2020-04.io.spdk.csi:uuid:$V1/namespaces/1/enable) == 1 && \$(cat $CFS/subsystems/nqn.2020-04.io.spdk.csi:uuid:$C1/namespaces/1/enable) == 1 ]]"
rpc bdev_get_bdevs | js 'sorted(x.name for x in r)' >$T/after
check "bdev_get_bdevs lists the same volumes" cmp $T/before $T/after
d2=$(connect $C1 4420)
check "the host reads pvc-2 again after the restart" bash -c "[[ -n '$d2' ]] && [[ \$(head -c 4M $d2 | md5sum | cut -d' ' -f1) == $sum ]]"
disconnect $C1

# --- spdk-csi: unpublish, delete
check "csi: unpublish pvc-1 and pvc-2" bash -c "$(declare -f unpublish rpc); RPC='$RPC'; unpublish $V1 && unpublish $C1"
check "rpc.conf keeps no lvol export" bash -c "! grep -q AIO $T/rpc.conf"
check "csi: delete pvc-1, pvc-2, then the snapshot (no clones left)" bash -c \
	"$RPC bdev_lvol_delete '{\"name\": \"$V1\"}' && $RPC bdev_lvol_delete '{\"name\": \"$C1\"}' && $RPC bdev_lvol_delete '{\"name\": \"$S1\"}'"
check "csi: deleted: No such device" bash -c "$RPC bdev_lvol_delete '{\"name\": \"$V1\"}' 2>&1 | grep -q 'No such device'"

# --- Cinder's SPDK driver (cinder/volume/drivers/spdk.py) and target (targets/spdknvmf.py)
VOL=volume-$(cat /proc/sys/kernel/random/uuid)
CV=$(rpc bdev_lvol_create "{\"lvol_name\": \"$VOL\", \"size\": 33554432, \"uuid\": \"$LVS\"}" | js r)
check "cinder: bdev_lvol_create $VOL by store uuid (thick): $CV" bash -c "[[ '$CV' =~ ^[0-9a-f-]{36}\$ ]]"
check "cinder: found by alias substring in bdev_get_bdevs, thick" bash -c \
	"$RPC bdev_get_bdevs | js -e '[x for x in r if any(\"$VOL\" in a for a in x.aliases or [])] == [by(\"$CV\")] and by(\"$CV\").driver_specific.lvol.thin_provision is False'"
check "cinder: bdev_lvol_resize to 64 MiB (size in bytes)" rpc bdev_lvol_resize "{\"name\": \"$CV\", \"size\": 67108864}"
check "... 64 MiB" bash -c "$RPC bdev_get_bdevs '{\"name\": \"$CV\"}' | js -e 'r[0].block_size * r[0].num_blocks == 67108864'"
CS=$(rpc bdev_lvol_snapshot "{\"lvol_name\": \"lvs0/$VOL\", \"snapshot_name\": \"snapshot-$CV\"}" | js r)
CC=$(rpc bdev_lvol_clone "{\"snapshot_name\": \"lvs0/snapshot-$CV\", \"clone_name\": \"volume-clone\"}" | js r)
check "cinder: snapshot and clone" bash -c "[[ '$CS' =~ ^[0-9a-f-]{36}\$ && '$CC' =~ ^[0-9a-f-]{36}\$ ]]"
check "cinder: bdev_lvol_inflate the clone: no longer a clone, thick" bash -c \
	"$RPC bdev_lvol_inflate '{\"name\": \"$CC\"}' && $RPC bdev_get_bdevs '{\"name\": \"$CC\"}' | js -e 'r[0].driver_specific.lvol.clone is False and r[0].driver_specific.lvol.thin_provision is False'"
$RPC nvmf_create_transport '{"trtype": "tcp", "max_queue_depth": 64}' >/dev/null 2>&1 # errors ignored
n=$($RPC nvmf_get_subsystems | js "max([int(x.nqn.split('cnode')[1]) for x in r[1:] if re.search('cnode[0-9]+$', x.nqn)] + [0])")
CN=nqn.2016-06.io.spdk:cnode$((n + 1))
check "cinder: export $CN (listener without adrfam, add_ns with nsid)" bash -c \
	"$RPC nvmf_create_subsystem '{\"nqn\": \"$CN\", \"allow_any_host\": true, \"serial_number\": \"1234567890ab\"}' &&
	 $RPC nvmf_subsystem_add_listener '{\"nqn\": \"$CN\", \"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4421\"}}' &&
	 $RPC nvmf_subsystem_add_ns '{\"nqn\": \"$CN\", \"namespace\": {\"bdev_name\": \"$CV\", \"nsid\": 1}}'"
check "cinder: nvmf_get_subsystems: discovery first, then cnode NQNs only" bash -c \
	"$RPC nvmf_get_subsystems | js -e 'r[0].subtype == \"Discovery\" and all(re.search(\"cnode[0-9]+\$\", x.nqn) for x in r[1:])'"
ip netns exec $NS nvme connect -t tcp -a $TARGET_IP -s 4421 -n $CN >/dev/null 2>&1
d3=$(fabric_dev $CN 1)
check "cinder: the host sees the 64 MiB volume ($d3)" bash -c "[[ -n '$d3' && \$(blockdev --getsize64 $d3) == 67108864 ]]"
ip netns exec $NS nvme disconnect -n $CN >/dev/null 2>&1
check "cinder: nvmf_delete_subsystem" rpc nvmf_delete_subsystem "{\"nqn\": \"$CN\"}"
check "cinder: delete clone, snapshot (one clone left: allowed, as SPDK), volume" bash -c \
	"$RPC bdev_lvol_delete '{\"name\": \"$CC\"}' && $RPC bdev_lvol_delete '{\"name\": \"$CS\"}' && $RPC bdev_lvol_delete '{\"name\": \"$CV\"}'"
# --- spdk-csi through SPDK's rpc_http_proxy.py (tests/rpc/http-proxy.py does what it does: POST, Basic
# auth), with the rest of the lvol methods: rename (exported: the LV keeps its name, the export its
# path), decouple_parent (no data moves: the clone reads the same with its snapshot deleted),
# set_read_only, rename_lvstore (the VG follows)
python3 $TOP/tests/rpc/http-proxy.py 127.0.0.1 0 spdkcsiuser spdkcsipass -s $SOCK >$T/proxy.out 2>&1 & proxy=$!
wait_for 10 grep -q Started $T/proxy.out
URL=http://$(sed -n 's/.* on //p' $T/proxy.out)/
# hrpc METHOD [PARAMS]: one POST as spdk-csi sends it; prints the result (or the error, and fails)
hrpc() { python3 -c 'import base64, json, sys, urllib.request as u
auth = "Basic " + base64.b64encode(b"spdkcsiuser:spdkcsipass").decode()
req = {"jsonrpc": "2.0", "id": 1, "method": sys.argv[2], "params": json.loads(sys.argv[3] or "{}")}
r = json.loads(u.urlopen(u.Request(sys.argv[1], data=json.dumps(req).encode(), headers={"Authorization": auth}), timeout=120).read())
print(json.dumps(r.get("result", r.get("error"))))
sys.exit("error" in r)' "$URL" "$1" "${2:-}"; }
HV=$(hrpc bdev_lvol_create '{"lvol_name": "pvc-h", "size": 33554432, "lvs_name": "lvs0", "clear_method": "unmap", "thin_provision": true}' | js r)
check "HTTP csi: bdev_lvol_create pvc-h: $HV" bash -c "[[ '$HV' =~ ^[0-9a-f-]{36}\$ ]]"
HN=nqn.2020-04.io.spdk.csi:uuid:$HV
hpublish() {
	hrpc nvmf_create_subsystem "{\"nqn\": \"$HN\", \"allow_any_host\": true, \"serial_number\": \"spdkcsi-sn\", \"model_number\": \"$HV\"}" &&
		hrpc nvmf_subsystem_add_ns "{\"nqn\": \"$HN\", \"namespace\": {\"bdev_name\": \"$HV\"}}" &&
		hrpc nvmf_subsystem_add_listener "{\"nqn\": \"$HN\", \"listen_address\": {\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4422\"}}"
}
check "HTTP csi: publish pvc-h (subsystem, add_ns by UUID, TCP listener)" hpublish
d4=$(connect $HV 4422)
check "HTTP csi: the host writes 4 MiB to pvc-h ($d4)" bash -c "[[ -n '$d4' ]] && dd if=$T/data of=$d4 bs=1M oflag=direct status=none"
check "HTTP: bdev_lvol_rename of the published pvc-h to pvc-h2" hrpc bdev_lvol_rename "{\"old_name\": \"lvs0/pvc-h\", \"new_name\": \"pvc-h2\"}"
check "... alias lvs0/pvc-h2; the LV keeps its name (the export's path), the name in its tag" bash -c \
	"$RPC bdev_get_bdevs '{\"name\": \"lvs0/pvc-h2\"}' | js -e 'r[0].name == \"$HV\"' && lvs --noheadings -o lv_tags lvs0/pvc-h | grep -q 'nvmetd.name=pvc-h2'"
check "... the host still reads pvc-h2: the data" bash -c "[[ \$(head -c 4M $d4 | md5sum | cut -d' ' -f1) == $sum ]]"
disconnect $HV
HSN=snapshot-$(cat /proc/sys/kernel/random/uuid)
HS=$(hrpc bdev_lvol_snapshot "{\"lvol_name\": \"$HV\", \"snapshot_name\": \"$HSN\"}" | js r)
HC=$(hrpc bdev_lvol_clone "{\"snapshot_name\": \"lvs0/$HSN\", \"clone_name\": \"pvc-hc\"}" | js r)
check "HTTP csi: snapshot and clone pvc-hc" bash -c "[[ '$HS' =~ ^[0-9a-f-]{36}\$ && '$HC' =~ ^[0-9a-f-]{36}\$ ]]"
check "HTTP: bdev_lvol_decouple_parent pvc-hc: no longer a clone, still thin" bash -c \
	"$(declare -f hrpc); URL='$URL'; hrpc bdev_lvol_decouple_parent '{\"name\": \"$HC\"}' && $RPC bdev_get_bdevs '{\"name\": \"$HC\"}' | js -e 'r[0].driver_specific.lvol.clone is False and r[0].driver_specific.lvol.thin_provision is True'"
check "... decouple_parent again: Invalid argument" bash -c "$RPC bdev_lvol_decouple_parent '{\"name\": \"$HC\"}' 2>&1 | grep -q 'Invalid argument'"
check "HTTP: the snapshot deleted (one clone left, pvc-h2)" hrpc bdev_lvol_delete "{\"name\": \"$HS\"}"
check "... pvc-hc reads the same data without it (thin LVs share chunks, they do not depend)" bash -c \
	"[[ \$(head -c 4M /dev/lvs0/pvc-hc | md5sum | cut -d' ' -f1) == $sum ]]"
check "HTTP: bdev_lvol_set_read_only pvc-hc: LVM's permission r, writes refused" bash -c \
	"$(declare -f hrpc); URL='$URL'; hrpc bdev_lvol_set_read_only '{\"name\": \"$HC\"}' && lvs --noheadings -o lv_attr lvs0/pvc-hc | grep -q '^ *Vr' && ! dd if=/dev/zero of=/dev/lvs0/pvc-hc bs=4k count=1 oflag=direct status=none"
check "bdev_lvol_rename pvc-hc (not exported) to pvc-hc2: the LV too" bash -c \
	"$RPC bdev_lvol_rename '{\"old_name\": \"$HC\", \"new_name\": \"pvc-hc2\"}' && lvs lvs0/pvc-hc2"
hunpublish() { hrpc nvmf_subsystem_remove_ns "{\"nqn\": \"$HN\", \"nsid\": 1}" && hrpc nvmf_delete_subsystem "{\"nqn\": \"$HN\"}"; }
check "HTTP csi: unpublish pvc-h2" hunpublish
check "bdev_lvol_rename_lvstore lvs0 lvs1 (nothing exported): VG lvs1, its LVs' nodes" bash -c \
	"$RPC bdev_lvol_rename_lvstore '{\"old_name\": \"lvs0\", \"new_name\": \"lvs1\"}' && vgs lvs1 && test -b /dev/lvs1/pvc-hc2 && $RPC bdev_lvol_get_lvstores | js -e 'r[0].name == \"lvs1\" and r[0].uuid == \"$LVS\"'"
check "... an unknown store: Lvol store lvs0 not found" bash -c "$RPC bdev_lvol_rename_lvstore '{\"old_name\": \"lvs0\", \"new_name\": \"x\"}' 2>&1 | grep -q 'Lvol store lvs0 not found'"
check "... and back to lvs0" rpc bdev_lvol_rename_lvstore '{"old_name": "lvs1", "new_name": "lvs0"}'
check "HTTP csi: delete pvc-h2 and pvc-hc2" bash -c "$(declare -f hrpc); URL='$URL'; hrpc bdev_lvol_delete '{\"name\": \"$HV\"}' && hrpc bdev_lvol_delete '{\"name\": \"$HC\"}'"
kill $proxy; wait $proxy 2>/dev/null
check "bdev_lvol_get_lvols: empty" bash -c "$RPC bdev_lvol_get_lvols | js -e 'len(r) == 0'"
check "bdev_lvol_delete_lvstore lvs0" rpc bdev_lvol_delete_lvstore '{"lvs_name": "lvs0"}'
check "... no VG, no PV label left on $dev" bash -c "! vgs lvs0 && ! blkid -p $dev"
kill $pid; wait $pid
grep -iE "error|lvm|lvol" $T/nvmetd.log | head -n 20 | sed 's/^/#   nvmetd: /'
finish
