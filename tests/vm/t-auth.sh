#!/bin/bash
# Usage: t-auth.sh
# DH-HMAC-CHAP against the real kernel target with nvme-cli as the initiator: one-way and
# bidirectional, wrong and missing secrets refused, re-apply writes nothing, rotation, refusals, and
# the secrets in no output. On a kernel without CONFIG_NVME_TARGET_AUTH (Debian 6.1): the apply is
# refused with the tree untouched.
. "$(dirname "$0")/guest-lib.sh"
NVMETD=${NVMETD:-$(dirname "$NVMETCFG")/../nvmetd/nvmetd}
info "kernel $(uname -r)"
modprobe virtio_rng 2>/dev/null; modprobe loop
HOST=nqn.2014-08.org.nvmexpress:uuid:6c1e2b7a-5d3f-4e8a-9b1c-0d2e3f4a5b6c
NQN=nqn.2016-06.io.spdk:auth1
K=$T/keys; mkdir -m 700 -p $K
truncate -s 32M $T/disk.img; loopdev=$(losetup --show -f $T/disk.img)
write_conf() { # AllowAnyHost [ctrl]
	cat >$T/auth.conf <<EOC
[AIO]
  AIO $loopdev D
[Host1]
  NQN $HOST
  DhchapKey $K/host1.key
${2:+  DhchapCtrlKey $K/host1.ctrl}
[Subsystem1]
  NQN $NQN
  Listen TCP 192.168.20.200:4420
  AllowAnyHost $1
  Host $HOST
  SN AUTH0001
  Namespace D 1
EOC
}
secret() { install -m 600 /dev/null "$2"; printf '%s\n' "$1" >"$2"; }
# every command's output must be free of every secret made here
leak_check() { local f; for f in "$@"; do
	for s in "${SECRETS[@]}"; do grep -qF -- "${s:10:20}" "$f" && { echo "# secret found in $f"; return 1; }; done; done; return 0; }
SECRETS=()

modprobe nvmet; mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
mkdir $CFS/hosts/nqn.test:probe; has_auth=$([[ -e $CFS/hosts/nqn.test:probe/dhchap_key ]] && echo yes); rmdir $CFS/hosts/nqn.test:probe
info "target DH-HMAC-CHAP: ${has_auth:-no}"
if [[ -z $has_auth ]]; then
	# Debian 6.1: no DH-HMAC-CHAP in the target
	printf '%s\n' "DHHC-1:00:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:" >$K/host1.key; chmod 600 $K/host1.key
	write_conf No
	before=$(cfs_snapshot)
	out=$("$NVMETCFG" apply $T/auth.conf 2>&1); rc=$?
	expect_eq "apply with [Host] keys on a kernel without auth: exit 2" "$rc" 2
	check "... naming the missing kernel feature" grep -q "CONFIG_NVME_TARGET_AUTH" <<<"$out"
	expect_eq "... the configfs tree untouched" "$(cfs_snapshot)" "$before"
	losetup -d $loopdev
	finish
fi

net_setup tcp
admin_timeout_bound 15	# refusals below (guest-lib.sh says why)
gen() { nvme gen-dhchap-key --nqn=$HOST 2>/dev/null | tr -d '\n'; }
S1=$(gen); S2=$(gen); C1=$(gen); W=$(gen)
[[ $S1 == DHHC-1:* && $S2 == DHHC-1:* && $C1 == DHHC-1:* ]] && ok "nvme gen-dhchap-key made secrets" || nok "gen-dhchap-key: '$S1'"
SECRETS=("$S1" "$S2" "$C1" "$W")
secret "$S1" $K/host1.key
write_conf No
out=$("$NVMETCFG" -v apply $T/auth.conf 2>&1); rc=$?; echo "$out" >$T/o.apply
expect_eq "apply with a host key" "$rc" 0
check "the plan names the key file, not the key" grep -q "dhchap_key = (secret from $K/host1.key)" $T/o.apply
connect() { ip netns exec $NS nvme connect -t tcp -n $NQN -a $TARGET_IP -s 4420 --hostnqn=$HOST "$@" >$T/conn 2>&1; }
disc() { ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1; sleep 0.5; }
check "initiator with the right secret connects" connect --dhchap-secret="$S1"
dev=$(fabric_dev $NQN) && check "... and reads" dd if=$dev of=/dev/null bs=4k count=4 iflag=direct status=none || nok "fabric device"
disc
connect --dhchap-secret="$W" && { nok "a wrong secret is refused"; disc; } || ok "a wrong secret is refused"
connect && { nok "no secret is refused"; disc; } || ok "no secret is refused"
"$NVMETCFG" apply $T/auth.conf >$T/o.reapply 2>&1
check "re-apply writes nothing" grep -q ": 0 changes applied" $T/o.reapply

# bidirectional: the target proves itself with the controller key
secret "$C1" $K/host1.ctrl
write_conf No ctrl
"$NVMETCFG" apply $T/auth.conf >$T/o.ctrl 2>&1
check "bidirectional: right secrets connect" connect --dhchap-secret="$S1" --dhchap-ctrl-secret="$C1"
disc
connect --dhchap-secret="$S1" --dhchap-ctrl-secret="$W" && { nok "a wrong controller secret is refused"; disc; } ||
	ok "a wrong controller secret is refused"

# refusals: a key file others can read; AllowAnyHost Yes with keys
chmod 644 $K/host1.key
before=$(cfs_snapshot)
out=$("$NVMETCFG" apply $T/auth.conf 2>&1); rc=$?; echo "$out" >$T/o.mode
expect_eq "a 0644 key file: exit 2" "$rc" 2
check "... naming the file and its mode" grep -q "$K/host1.key has mode 0644" $T/o.mode
chmod 600 $K/host1.key
write_conf Yes ctrl
out=$("$NVMETCFG" apply $T/auth.conf 2>&1); rc=$?; echo "$out" >$T/o.any
expect_eq "AllowAnyHost Yes with a keyed host: exit 2" "$rc" 2
expect_eq "... nothing changed" "$(cfs_snapshot)" "$before"
write_conf No ctrl

# rotation: a connected host stays connected; the next connection needs the new secret
check "connect before rotating" connect --dhchap-secret="$S1" --dhchap-ctrl-secret="$C1"
dev=$(fabric_dev $NQN)
secret "$S2" $K/host1.key
"$NVMETCFG" -v apply $T/auth.conf >$T/o.rot 2>&1
check "rotation writes that host's key only (1 change)" grep -q ": 1 change applied" $T/o.rot
check "the connected host keeps reading" dd if=$dev of=/dev/null bs=4k count=4 iflag=direct status=none
disc
connect --dhchap-secret="$S1" --dhchap-ctrl-secret="$C1" && { nok "the old secret is refused after rotation"; disc; } ||
	ok "the old secret is refused after rotation"
check "the new secret connects" connect --dhchap-secret="$S2" --dhchap-ctrl-secret="$C1"
disc

# outputs: plan, check, show, show --json, status and nvmetd's log and state file
"$NVMETCFG" plan $T/auth.conf >$T/o.plan 2>&1
"$NVMETCFG" check $T/auth.conf >$T/o.check 2>&1
"$NVMETCFG" show >$T/o.show 2>&1
"$NVMETCFG" show --json >$T/o.json 2>&1
"$NVMETCFG" show --format nvmetcli >$T/o.nvmetcli 2>&1
"$NVMETCFG" show --format nvmetcli --with-secrets >$T/o.with 2>&1
check "--with-secrets is the one output with the key" grep -qF "$S2" $T/o.with
cat >$T/nvmetd.conf <<EOC
nvmf_conf = "$T/auth.conf";
state_file = "$T/state.json";
log_level = "debug";
on_stop = "keep";
EOC
"$NVMETD" --foreground --config $T/nvmetd.conf >$T/o.nvmetd 2>&1 &
pid=$!
wait_for() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do (( $(date +%s) >= end )) && return 1; sleep 0.2; done; }
wait_for 20 test -s $T/state.json
secret "$S1" $K/host1.key; kill -HUP $pid; sleep 3   # a reload that rotates, logged at debug level
NVMETD_STATE=$T/state.json "$NVMETCFG" status >$T/o.status 2>&1
cp $T/state.json $T/o.state
kill -TERM $pid; wait $pid
check "no secret in apply, plan, check, show, JSON, status, nvmetd's log and state" \
	leak_check $T/o.apply $T/o.reapply $T/o.ctrl $T/o.mode $T/o.any $T/o.rot $T/o.plan $T/o.check $T/o.show \
	$T/o.json $T/o.nvmetcli $T/o.status $T/o.nvmetd $T/o.state
check "nvmetd applied the rotated key on reload" bash -c "[[ \$(cat $CFS/hosts/$HOST/dhchap_key) == '$S1' ]]"
"$NVMETCFG" clear >/dev/null
losetup -d $loopdev
admin_timeout_restore
finish
