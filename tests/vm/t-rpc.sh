#!/bin/bash
# SPDK's JSON-RPC against the real kernel target: SPDK's nvmf walkthrough ("Using RPCs" in doc/nvmf.md)
# sent as rpc.py sends it (tests/rpc/spdk-rpc.py) to nvmetd's socket — a transport, a malloc and an
# AIO bdev, a subsystem, both namespaces, a listener — then an initiator connects and reads what the
# target side wrote; nvmetd restarted (the tree cleared in between, as at a reboot) serves it again
# from rpc.conf; a call the kernel or the config refuses changes neither configfs nor rpc.conf; an
# nvmf.conf object cannot be deleted over RPC; a non-root client gets nothing; deletes over RPC
# leave only what nvmf.conf defines. set_ana_state changes the ANA state the host sees; a referral is in
# the discovery log of every port; a controller-ID range holds the host's controller ID; a read and a
# change go through SPDK's rpc_http_proxy.py framing (tests/rpc/http-proxy.py). On 6.12 over TCP: a
# keyring key named by nvmf_subsystem_add_host's dhchap_key authenticates an nvme-cli host (save_config
# names the key, never its secret), nvmf_subsystem_set_keys replaces it in place, and a secure_channel
# listener makes a TLS port. nvmetcfg
# loads rpc.conf with nvmf.conf: plan has nothing to do,
# apply of nvmf.conf keeps the RPC-made subsystem, status names rpc.conf, save leaves it out. A change
# waiting for the apply lock (held as an nvmetcfg apply holds it) does not stop the socket answering.
# Usage: t-rpc.sh [tcp|rdma]
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
tr=${1:-tcp}
TR=${tr^^}
info "kernel $(uname -r), transport $tr"
SOCK=/run/nvmetd/spdk.sock
NQN=nqn.2016-06.io.spdk:cnode1
FILENQN=nqn.2016-06.io.spdk:fromfile
RPC="python3 $TOP/tests/rpc/spdk-rpc.py -s $SOCK -t 120"
rpc() { $RPC "$@"; }
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.2; done; }
net_setup $tr
modprobe loop
truncate -s 64M $T/aio.img $T/file.img
aio=$(losetup --show -f $T/aio.img); filedev=$(losetup --show -f $T/file.img)
printf 'NVTEST-RPC-AIO' | dd of=$aio conv=notrunc,fsync status=none
printf '[AIO]\n  AIO %s FILE0\n[Subsystem1]\n  NQN %s\n  Listen %s %s:4420\n  AllowAnyHost Yes\n  SN FROMFILE1\n  Namespace FILE0 1\n' \
	$filedev $FILENQN $TR $TARGET_IP >$T/nvmf.conf
printf 'nvmf_conf = "%s";\nstate_file = "/run/nvmetd/state.json";\nirq_affinity = false;\nrpc_socket = "%s";\nrpc_conf = "%s";\n' \
	$T/nvmf.conf $SOCK $T/rpc.conf >$T/nvmetd.conf
start() { "$NVMETD" -f -c $T/nvmetd.conf >>$T/nvmetd.log 2>&1 & pid=$!; wait_for 60 test -S $SOCK; }
check "nvmetd serves its RPC socket" start
check "spdk_get_version" rpc spdk_get_version

# SPDK's walkthrough
check "nvmf_create_transport $TR" rpc nvmf_create_transport "{\"trtype\": \"$TR\", \"in_capsule_data_size\": 8192}"
check "bdev_malloc_create Malloc0 (64 MiB, 512-byte blocks)" rpc bdev_malloc_create '{"num_blocks": 131072, "block_size": 512, "name": "Malloc0"}'
check "bdev_aio_create AIO1" rpc bdev_aio_create "{\"filename\": \"$aio\", \"name\": \"AIO1\"}"
check "nvmf_create_subsystem" rpc nvmf_create_subsystem "{\"nqn\": \"$NQN\", \"allow_any_host\": true, \"serial_number\": \"SPDK00000000000001\", \"model_number\": \"SPDK_Controller1\"}"
check "nvmf_subsystem_add_ns AIO1" rpc nvmf_subsystem_add_ns "{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"AIO1\"}}"
check "nvmf_subsystem_add_ns Malloc0" rpc nvmf_subsystem_add_ns "{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}"
# its own port: 4420 is nvmf.conf's, whose settings (in-capsule size) differ from this transport's
check "nvmf_subsystem_add_listener $TR $TARGET_IP:4421" rpc nvmf_subsystem_add_listener \
	"{\"nqn\": \"$NQN\", \"listen_address\": {\"trtype\": \"$TR\", \"adrfam\": \"IPv4\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4421\"}}"
S=$CFS/subsystems/$NQN
tree_ok() {
	[[ $(tr -d ' ' <$S/attr_model) == SPDK_Controller1 && $(cat $S/namespaces/1/device_path) == "$aio" &&
		$(cat $S/namespaces/1/enable) == 1 && $(cat $S/namespaces/2/enable) == 1 ]] &&
		[[ $(readlink -f /sys/class/block/$(basename "$(cat $S/namespaces/2/device_path)")) == */virtual/block/* ]] &&
		ls $CFS/ports/*/subsystems/ | grep -qx $NQN
}
check "the kernel target has it: model, the AIO namespace, a RAM disk for Malloc0, the listener" tree_ok
check "rpc.conf holds it (mode 600)" bash -c "grep -q '$NQN' $T/rpc.conf && [[ \$(stat -c %a $T/rpc.conf) == 600 ]]"
sed 's/^/#   rpc.conf: /' $T/rpc.conf | head -n 30
check "nvmf_get_subsystems lists both subsystems" bash -c "$RPC nvmf_get_subsystems | grep -q '$FILENQN' && $RPC nvmf_get_subsystems | grep -q '$NQN'"
ip netns exec $NS nvme connect -t $tr -a $TARGET_IP -s 4421 -n $NQN >/dev/null 2>&1
dev=$(fabric_dev $NQN 1)
check "the initiator reads the AIO bdev through the fabric ($dev)" bash -c "[[ -n '$dev' ]] && head -c 14 $dev | grep -q NVTEST-RPC-AIO"
ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1

# refusals change nothing
before=$(cfs_snapshot); cp $T/rpc.conf $T/rpc.before
check "add_ns of a missing bdev: refused" bash -c "! $RPC nvmf_subsystem_add_ns '{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"Nope\"}}'"
check "deleting nvmf.conf's subsystem over RPC: refused, naming nvmf.conf" bash -c "$RPC nvmf_delete_subsystem '{\"nqn\": \"$FILENQN\"}' 2>&1 | grep -q nvmf.conf"
check "... configfs unchanged" test "$(cfs_snapshot)" == "$before"
check "... rpc.conf unchanged" cmp $T/rpc.conf $T/rpc.before
check "a non-root client gets nothing" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups python3 $TOP/tests/rpc/spdk-rpc.py -s $SOCK -t 10 spdk_get_version"

# nvmetcfg reads the same two files as nvmetd (nvmetd.conf's rpc_conf)
export NVMETD_CONF=$T/nvmetd.conf NVMETD_STATE=/run/nvmetd/state.json
check "nvmetcfg plan nvmf.conf: no changes (rpc.conf loaded beside it)" bash -c "'$NVMETCFG' plan $T/nvmf.conf | grep -q 'no changes: .*$T/rpc.conf'"
check "nvmetcfg plan --rpc-conf none: would remove the RPC subsystem" bash -c "'$NVMETCFG' plan --rpc-conf none $T/nvmf.conf | grep -q 'rmdir.*$NQN'"
check "nvmetcfg apply nvmf.conf: writes nothing, keeps the RPC subsystem" bash -c "'$NVMETCFG' apply $T/nvmf.conf | grep -q ': 0 changes applied'"
check "... the tree as before" tree_ok
check "nvmetcfg status: the RPC namespace says [from rpc.conf]" bash -c "'$NVMETCFG' status | grep '^namespace $NQN/1 ' | grep -qF '[from $T/rpc.conf]'"
check "nvmetcfg save: nvmf.conf's subsystem only" bash -c "'$NVMETCFG' save $T/saved.conf && grep -q '$FILENQN' $T/saved.conf && ! grep -q '$NQN' $T/saved.conf"

# a change waits for the apply lock off nvmetd's loop: the socket answers meanwhile. The lock is held
# until the checks are done (no clock: a slow guest only takes longer)
rm -f $T/release
flock /run/nvmet/apply.lock bash -c "until [ -e $T/release ]; do sleep 0.2; done" & holder=$!
wait_lock() { local i; for i in $(seq 1 100); do flock -n /run/nvmet/apply.lock true || return 0; sleep 0.2; done; return 1; }
wait_lock
rpc nvmf_create_subsystem '{"nqn": "nqn.2016-06.io.spdk:cnode9", "allow_any_host": true}' >$T/slow.out 2>&1 & slow=$!
sleep 0.5
check "while a change waits for the lock, spdk_get_version answers" timeout 60 $RPC spdk_get_version
check "... and nvmf_get_subsystems does not show it yet" bash -c "! timeout 60 $RPC nvmf_get_subsystems | grep -q cnode9"
check "... the change is still waiting" kill -0 $slow
touch $T/release; wait $holder
check "the change is answered once applied" wait $slow
check "... it is in configfs and rpc.conf" bash -c "test -d $CFS/subsystems/nqn.2016-06.io.spdk:cnode9 && grep -q cnode9 $T/rpc.conf"
check "nvmf_delete_subsystem cnode9" rpc nvmf_delete_subsystem '{"nqn": "nqn.2016-06.io.spdk:cnode9"}'

# a restart that clears the target (on_stop = clear) serves it again from rpc.conf
kill $pid; wait $pid
check "stopped: the target is cleared" test ! -d $S
start; check "started again: the socket is back" test -S $SOCK
check "... the same tree" wait_for 60 tree_ok

# ANA over RPC: set_ana_state on the RPC-made listener (the port's ANA group 1); the host sees it change
port_of() { local p; for p in $CFS/ports/*; do [[ $(cat $p/addr_trsvcid) == "$1" ]] && basename $p; done; }
P4421=$(port_of 4421)
LA4421="\"listen_address\": {\"trtype\": \"$tr\", \"adrfam\": \"IPv4\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4421\"}"
ip netns exec $NS nvme connect -t $tr -a $TARGET_IP -s 4421 -n $NQN >/dev/null 2>&1
dev=$(fabric_dev $NQN 1)
# the host's view: the ANA state of its path to $NQN (the hidden path device nvmeXcYn1 of native multipath)
host_ana() {
	local c s
	for c in /sys/class/nvme/nvme*; do
		[[ $(cat $c/subsysnqn 2>/dev/null) == "$NQN" && $(cat $c/transport 2>/dev/null) != pcie ]] || continue
		for s in /sys/block/nvme*c${c##*/nvme}n1/ana_state; do [[ -e $s ]] && cat $s; done
	done | head -n1
}
ana_is() { [[ $(host_ana) == "$1" ]]; }
check "the host's path to $NQN is optimized at first" wait_for 20 ana_is optimized
check "nvmf_subsystem_listener_set_ana_state non_optimized" rpc nvmf_subsystem_listener_set_ana_state \
	"{\"nqn\": \"$NQN\", \"ana_state\": \"non_optimized\", $LA4421}"
expect_eq "configfs: port $P4421's ANA group 1" "$(cat $CFS/ports/$P4421/ana_groups/1/ana_state)" non-optimized
check "the host's path is non-optimized ($dev)" wait_for 20 ana_is non-optimized
check "nvmf_subsystem_get_listeners says non_optimized" bash -c "$RPC nvmf_subsystem_get_listeners '{\"nqn\": \"$NQN\"}' | grep -q '\"non_optimized\"'"
check "rpc.conf: Listen $TR $TARGET_IP:4421 non-optimized" grep -q "Listen $TR $TARGET_IP:4421 non-optimized" $T/rpc.conf
check "set_ana_state persistent_loss: refused" bash -c "! $RPC nvmf_subsystem_listener_set_ana_state '{\"nqn\": \"$NQN\", \"ana_state\": \"persistent_loss\", $LA4421}'"
check "set_ana_state optimized again" rpc nvmf_subsystem_listener_set_ana_state "{\"nqn\": \"$NQN\", \"ana_state\": \"optimized\", $LA4421}"
check "... the host's path is optimized" wait_for 20 ana_is optimized
ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1

# referrals over RPC: on every port (nvmf.conf's too), in the discovery log the host reads
REF='{"address": {"trtype": "tcp", "adrfam": "IPv4", "traddr": "192.0.2.9", "trsvcid": "8009"}}'
check "nvmf_discovery_add_referral 192.0.2.9:8009" rpc nvmf_discovery_add_referral "$REF"
check "configfs: the referral on every port, enabled" bash -c "for p in $CFS/ports/*; do [[ \$(cat \$p/referrals/tcp-192.0.2.9-8009/enable) == 1 ]] || exit 1; done"
check "nvme discover (nvmf.conf's port 4420) lists it" bash -c "ip netns exec $NS nvme discover -t $tr -a $TARGET_IP -s 4420 | grep -q 192.0.2.9"
check "nvmf_discovery_get_referrals lists it" bash -c "$RPC nvmf_discovery_get_referrals | grep -q 192.0.2.9"
check "nvmf_discovery_remove_referral" rpc nvmf_discovery_remove_referral "$REF"
check "... gone from every port" bash -c "! ls -d $CFS/ports/*/referrals/tcp-192.0.2.9-8009 2>/dev/null"

# a controller-ID range (nvmf_create_subsystem min_cntlid/max_cntlid): the host's controller gets an ID in it
CNQN=nqn.2016-06.io.spdk:cntlid7
check "nvmf_create_subsystem min_cntlid 100 max_cntlid 199" rpc nvmf_create_subsystem "{\"nqn\": \"$CNQN\", \"allow_any_host\": true, \"min_cntlid\": 100, \"max_cntlid\": 199}"
expect_eq "configfs: attr_cntlid_min-max" "$(cat $CFS/subsystems/$CNQN/attr_cntlid_min)-$(cat $CFS/subsystems/$CNQN/attr_cntlid_max)" 100-199
check "... add_listener $TR $TARGET_IP:4421" rpc nvmf_subsystem_add_listener "{\"nqn\": \"$CNQN\", $LA4421}"
ip netns exec $NS nvme connect -t $tr -a $TARGET_IP -s 4421 -n $CNQN >/dev/null 2>&1
cntlid=$(for c in /sys/class/nvme/nvme*; do [[ $(cat $c/subsysnqn 2>/dev/null) == "$CNQN" ]] && cat $c/cntlid; done | head -n1)
check "the host's controller ID is in 100-199 (${cntlid:-none})" bash -c "[[ -n '$cntlid' ]] && ((${cntlid:-0} >= 100 && ${cntlid:-0} <= 199))"
ip netns exec $NS nvme disconnect -n $CNQN >/dev/null 2>&1
check "save_config writes min_cntlid 100" bash -c "$RPC save_config | grep -q '\"min_cntlid\": 100'"
check "nvmf_delete_subsystem $CNQN" rpc nvmf_delete_subsystem "{\"nqn\": \"$CNQN\"}"

# SPDK's rpc_http_proxy.py framing (tests/rpc/http-proxy.py does what it does): a read and a change over HTTP
python3 $TOP/tests/rpc/http-proxy.py 127.0.0.1 0 spdk pw -s $SOCK >$T/proxy.out 2>&1 & proxy=$!
wait_for 10 grep -q Started $T/proxy.out
URL=http://$(sed -n 's/.* on //p' $T/proxy.out)/
# POST $1 with Basic auth as spdk-csi does; the reply must contain $2
hpost() { python3 -c 'import base64, sys, urllib.request as u
auth = "Basic " + base64.b64encode(b"spdk:pw").decode()
print(u.urlopen(u.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Authorization": auth}), timeout=60).read().decode())' \
	"$URL" "$1" | grep -qF "$2"; }
check "HTTP: nvmf_get_subsystems" hpost '{"jsonrpc": "2.0", "id": 1, "method": "nvmf_get_subsystems"}' "$FILENQN"
check "HTTP: nvmf_create_subsystem http1" hpost \
	'{"jsonrpc": "2.0", "id": 2, "method": "nvmf_create_subsystem", "params": {"nqn": "nqn.2016-06.io.spdk:http1"}}' '"result":true'
check "... in configfs" test -d $CFS/subsystems/nqn.2016-06.io.spdk:http1
check "HTTP: an unknown NQN is a JSON-RPC error" hpost \
	'{"jsonrpc": "2.0", "id": 3, "method": "nvmf_subsystem_get_listeners", "params": {"nqn": "nqn.x:none"}}' '"code":-32602'
check "HTTP: nvmf_delete_subsystem http1" hpost \
	'{"jsonrpc": "2.0", "id": 4, "method": "nvmf_delete_subsystem", "params": {"nqn": "nqn.2016-06.io.spdk:http1"}}' '"result":true'
kill $proxy; wait $proxy 2>/dev/null

# DH-HMAC-CHAP over RPC (SPDK's doc/nvmf.md): a keyring key, a host given it by name; the kernel
# authenticates the host with it (6.12; Debian's 6.1 has no CONFIG_NVME_TARGET_AUTH: skipped)
mkdir $CFS/hosts/nqn.test:probe 2>/dev/null; has_auth=$([[ -e $CFS/hosts/nqn.test:probe/dhchap_key ]] && echo yes)
rmdir $CFS/hosts/nqn.test:probe 2>/dev/null
if [[ -n $has_auth && $tr == tcp ]]; then
	ANQN=nqn.2016-06.io.spdk:auth2; AHOST=nqn.2014-08.org.nvmexpress:uuid:$(cat /proc/sys/kernel/random/uuid)
	truncate -s 16M $T/auth.img; authdev=$(losetup --show -f $T/auth.img)
	S1=$(nvme gen-dhchap-key --nqn=$AHOST | tr -d '\n'); (umask 077; mkdir -p $T/keys; printf '%s\n' "$S1" >$T/keys/key0)
	check "keyring_file_add_key key0" rpc keyring_file_add_key key0 $T/keys/key0
	check "bdev_aio_create AIO2" rpc bdev_aio_create "{\"filename\": \"$authdev\", \"name\": \"AIO2\"}"
	check "nvmf_create_subsystem auth2" rpc nvmf_create_subsystem "{\"nqn\": \"$ANQN\", \"serial_number\": \"AUTH2\"}"
	check "... add_ns AIO2" rpc nvmf_subsystem_add_ns "{\"nqn\": \"$ANQN\", \"namespace\": {\"bdev_name\": \"AIO2\"}}"
	check "... add_listener TCP $TARGET_IP:4422" rpc nvmf_subsystem_add_listener \
		"{\"nqn\": \"$ANQN\", \"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4422\"}}"
	check "nvmf_subsystem_add_host --dhchap-key key0" rpc nvmf_subsystem_add_host $ANQN $AHOST --dhchap-key key0
	check "configfs: the host's dhchap_key holds key0's secret" bash -c "[[ \$(cat $CFS/hosts/$AHOST/dhchap_key) == '$S1' ]]"
	check "rpc.conf: [Keyring] key0 and the host's DhchapKey" bash -c "grep -q 'Key key0 $T/keys/key0' $T/rpc.conf && grep -q 'DhchapKey $T/keys/key0' $T/rpc.conf"
	check "keyring_file_remove_key of a key in use: refused" bash -c "! $RPC keyring_file_remove_key key0"
	aconnect() { ip netns exec $NS nvme connect -t tcp -n $ANQN -a $TARGET_IP -s 4422 --hostnqn=$AHOST "$@" >$T/aconn 2>&1; }
	adisc() { ip netns exec $NS nvme disconnect -n $ANQN >/dev/null 2>&1; sleep 0.5; }
	check "the host connects with key0's secret (nvme-cli)" aconnect --dhchap-secret="$S1"
	adisc
	aconnect && { nok "... without the secret it is refused"; adisc; } || ok "... without the secret it is refused"
	check "save_config names key0 and its file, never the secret" bash -c "$RPC save_config >$T/saved.json && grep -q '\"key0\"' $T/saved.json && ! grep -qF '$S1' $T/saved.json"
	# nvmf_subsystem_set_keys: the key changed in place; the host authenticates with the new one only
	S2=$(nvme gen-dhchap-key --nqn=$AHOST | tr -d '\n'); (umask 077; printf '%s\n' "$S2" >$T/keys/key1)
	check "keyring_file_add_key key1" rpc keyring_file_add_key key1 $T/keys/key1
	check "nvmf_subsystem_set_keys --dhchap-key key1" rpc nvmf_subsystem_set_keys $ANQN $AHOST --dhchap-key key1
	check "configfs: the host's dhchap_key holds key1's secret" bash -c "[[ \$(cat $CFS/hosts/$AHOST/dhchap_key) == '$S2' ]]"
	check "the host connects with key1's secret" aconnect --dhchap-secret="$S2"
	adisc
	admin_timeout_bound 15	# a refusal (guest-lib.sh says why)
	aconnect --dhchap-secret="$S1" && { nok "... with key0's it is refused"; adisc; } || ok "... with key0's it is refused"
	admin_timeout_restore
	check "set_keys without a key: refused, the key stays" bash -c "! $RPC nvmf_subsystem_set_keys $ANQN $AHOST && [[ \$(cat $CFS/hosts/$AHOST/dhchap_key) == '$S2' ]]"
	# a TLS listener (SPDK's --secure-channel): the port requires TLS 1.3; allow_any_host is refused with it
	check "add_listener --secure-channel TCP $TARGET_IP:4423" rpc nvmf_subsystem_add_listener \
		"{\"nqn\": \"$ANQN\", \"secure_channel\": true, \"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4423\"}}"
	P4423=$(port_of 4423)
	expect_eq "configfs: port 4423 addr_tsas, addr_treq" "$(cat $CFS/ports/$P4423/addr_tsas 2>/dev/null) $(cat $CFS/ports/$P4423/addr_treq 2>/dev/null)" "tls1.3 required"
	check "rpc.conf: Listen TCP $TARGET_IP:4423 tls" grep -q "Listen TCP $TARGET_IP:4423 tls" $T/rpc.conf
	check "save_config: secure_channel true" bash -c "$RPC save_config | grep -q '\"secure_channel\": true'"
	check "remove_listener 4423" rpc nvmf_subsystem_remove_listener \
		"{\"nqn\": \"$ANQN\", \"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"$TARGET_IP\", \"trsvcid\": \"4423\"}}"
	check "nvmf_subsystem_remove_host" rpc nvmf_subsystem_remove_host "{\"nqn\": \"$ANQN\", \"host\": \"$AHOST\"}"
	check "nvmf_delete_subsystem auth2" rpc nvmf_delete_subsystem "{\"nqn\": \"$ANQN\"}"
	check "bdev_aio_delete AIO2" rpc bdev_aio_delete '{"name": "AIO2"}'
	check "keyring_file_remove_key key0 once unused" rpc keyring_file_remove_key key0
	check "keyring_file_remove_key key1" rpc keyring_file_remove_key key1
	losetup -d $authdev
else
	info "DH-HMAC-CHAP over RPC skipped: transport $tr, target DH-HMAC-CHAP ${has_auth:-no}"
fi

# teardown over RPC leaves only nvmf.conf's objects
check "nvmf_delete_subsystem" rpc nvmf_delete_subsystem "{\"nqn\": \"$NQN\"}"
check "bdev_malloc_delete Malloc0" rpc bdev_malloc_delete '{"name": "Malloc0"}'
check "bdev_aio_delete AIO1" rpc bdev_aio_delete '{"name": "AIO1"}'
expect_eq "configfs keeps nvmf.conf's subsystem only" "$(ls $CFS/subsystems)" "$FILENQN"
check "nvmetd's RAM disk is gone" bash -c "! ls /sys/kernel/config/nullb 2>/dev/null | grep -q nvmetd-"
kill $pid; wait $pid
grep -iE "error|rpc" $T/nvmetd.log | head -n 10 | sed 's/^/#   nvmetd: /'
finish
