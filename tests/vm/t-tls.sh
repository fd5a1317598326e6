#!/bin/bash
# Usage: t-tls.sh
# NVMe/TCP with TLS 1.3 PSKs (Debian 13 guest: kernel 6.12, nvme-cli 2.13, ktls-utils): Listen ... tls
# and [Host] TlsKey applied; a host with the right PSK connects with --tls and does I/O and its
# controller shows the negotiated key; the key nvmetd inserted is the one nvme check-tls-key
# --identity=1 derives; a plain connect and a wrong PSK are refused; discovery over the TLS port;
# re-apply writes nothing; a changed key file replaces that host's keys only; removing tls removes
# the keys; no secret in any output. Target and initiator share one kernel and so one .nvme keyring:
# the wrong-key host keeps its key in a session keyring of its own that the target's tlshd cannot see.
# On a kernel without CONFIG_NVME_TARGET_TCP_TLS (Debian 6.1): exit 2, nothing changed.
. "$(dirname "$0")/guest-lib.sh"
info "kernel $(uname -r)"
modprobe loop
H1=nqn.2014-08.org.nvmexpress:uuid:7d1e2b7a-5d3f-4e8a-9b1c-0d2e3f4a5b01
H2=nqn.2014-08.org.nvmexpress:uuid:7d1e2b7a-5d3f-4e8a-9b1c-0d2e3f4a5b02
NQN=nqn.2024-01.io.nvmetd:tls1
DISC=nqn.2014-08.org.nvmexpress.discovery
K=$T/keys; mkdir -m 700 -p $K
truncate -s 32M $T/disk.img; loopdev=$(losetup --show -f $T/disk.img)
write_conf() { # tls-word
	cat >$T/tls.conf <<EOC
[AIO]
  AIO $loopdev D
[Host1]
  NQN $H1
  TlsKey $K/h1.psk
[Host2]
  NQN $H2
  TlsKey $K/h2.psk
[Subsystem1]
  NQN $NQN
  Listen TCP $TARGET_IP:4420 $1
  AllowAnyHost No
  Host $H1
  Host $H2
  SN TLS00001
  Namespace D 1
EOC
}
secret() { install -m 600 /dev/null "$2"; printf '%s\n' "$1" >"$2"; }
SECRETS=()
leak_check() { local f s; for f in "$@"; do
	for s in "${SECRETS[@]}"; do grep -qF -- "${s:16:20}" "$f" && { echo "# secret found in $f"; return 1; }; done; done; return 0; }
psks() { keyctl rlist %:.nvme 2>/dev/null | tr ' ' '\n' | while read -r k; do
	[[ -n $k ]] && keyctl rdescribe "$k" 2>/dev/null | grep '^psk;' | sed "s/^[^;]*;[^;]*;[^;]*;[^;]*;/$k /"; done; }

modprobe nvmet; mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
mkdir $CFS/ports/9999; has_tls=$([[ -e $CFS/ports/9999/addr_tsas ]] && echo yes); rmdir $CFS/ports/9999
info "target TLS (addr_tsas): ${has_tls:-no}"
if [[ -z $has_tls ]]; then
	# Debian 6.1: no TLS in the target
	secret "NVMeTLSkey-1:01:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEebzGt:" $K/h1.psk
	cp $K/h1.psk $K/h2.psk
	write_conf tls
	before=$(cfs_snapshot)
	out=$("$NVMETCFG" apply $T/tls.conf 2>&1); rc=$?
	expect_eq "apply with Listen ... tls on a kernel without TLS: exit 2" "$rc" 2
	check "... naming CONFIG_NVME_TARGET_TCP_TLS" grep -q "CONFIG_NVME_TARGET_TCP_TLS" <<<"$out"
	expect_eq "... the configfs tree untouched" "$(cfs_snapshot)" "$before"
	losetup -d $loopdev
	finish
fi

modprobe nvmet-tcp; modprobe nvme-tcp
check "the .nvme keyring exists (nvmet pulls nvme-keyring)" grep -qE 'keyring +\.nvme:' /proc/keys
net_setup tcp
# tlshd resolves the peer's name on each handshake: keep it local (reference §2.3, known problem 1)
printf '%s nvmet-target\n%s nvmet-initiator\n' $TARGET_IP $INIT_IP >>/etc/hosts
P1=$(nvme gen-tls-key 2>/dev/null | grep ^NVMeTLSkey); P2=$(nvme gen-tls-key 2>/dev/null | grep ^NVMeTLSkey)
P3=$(nvme gen-tls-key 2>/dev/null | grep ^NVMeTLSkey); W=$(nvme gen-tls-key 2>/dev/null | grep ^NVMeTLSkey)
[[ $P1 == NVMeTLSkey-1:* && $P2 == NVMeTLSkey-1:* && $W == NVMeTLSkey-1:* ]] && ok "nvme gen-tls-key made PSKs" || nok "gen-tls-key: '$P1'"
SECRETS=("$P1" "$P2" "$P3" "$W")
secret "$P1" $K/h1.psk; secret "$P2" $K/h2.psk
write_conf tls
out=$("$NVMETCFG" -v apply $T/tls.conf 2>&1); rc=$?; echo "$out" >$T/o.apply
expect_eq "apply with Listen ... tls and two TlsKeys" "$rc" 0
check "the apply names the key file" grep -q "insert .nvme psk for host $H1, subsystem $NQN (derived from $K/h1.psk)" $T/o.apply
check "... and says tlshd is missing (none runs yet)" grep -q "no tlshd\|need tlshd" $T/o.apply
port=$(grep -l "^$TARGET_IP\$" $CFS/ports/*/addr_traddr | head -1 | xargs dirname)
expect_eq "the port's addr_tsas" "$(cat $port/addr_tsas)" tls1.3
expect_eq "the port's addr_treq" "$(cat $port/addr_treq)" required
psks >$T/keys.1; cat $T/keys.1 | sed 's/^/#   /'
expect_eq "one key per (host, subsystem) and per host for discovery" "$(wc -l <$T/keys.1)" 4
id1=$(nvme check-tls-key -n $H1 -c $NQN -d "$P1" --identity=1 2>/dev/null | grep -o "NVMe1R0[12] .*" | head -1)
check "the key's identity is nvme check-tls-key --identity=1's" grep -qF " $id1" $T/keys.1
# (the identity's digest is an HMAC of the retained PSK: the same identity is the same key; the TLS
# I/O below proves the derived key too)

# tlshd, one per network namespace, started after .nvme exists
tlshd -s 2>$T/tlshd-target.log & TLSHD_T=$!
ip netns exec $NS tlshd -s 2>$T/tlshd-init.log & TLSHD_I=$!
sleep 1

connect() { ip netns exec $NS nvme connect -t tcp -n "${SUB:-$NQN}" -a $TARGET_IP -s 4420 "$@" >$T/conn 2>&1; }
disc() { ip netns exec $NS nvme disconnect -n $NQN >/dev/null 2>&1; sleep 0.5; }
check "host 1 with its PSK connects with --tls" connect --hostnqn=$H1 --tls
if dev=$(fabric_dev $NQN); then
	check "... writes and reads back through TLS" sh -c "dd if=/dev/urandom of=$T/blk bs=4k count=8 status=none &&
		dd if=$T/blk of=$dev bs=4k count=8 oflag=direct status=none &&
		dd if=$dev of=$T/blk2 bs=4k count=8 iflag=direct status=none && cmp $T/blk $T/blk2"
	c=$(grep -l "$NQN" /sys/class/nvme/nvme*/subsysnqn | head -1 | xargs dirname)
	check "... and the controller shows its negotiated key" test -n "$(cat $c/tls_key 2>/dev/null)"
else
	nok "fabric device over TLS"
fi
disc
connect --hostnqn=$H1 && { nok "a plain connect to the TLS port is refused"; disc; } || ok "a plain connect to the TLS port is refused"
# host 2 with a wrong PSK, kept in a session keyring of its own (the shared .nvme would hand the target
# the same wrong key): its identity's digest is one the target's tlshd cannot find
# (exit 3-5: that setup failed; 1: the connect was refused; 0: it connected). nvme-cli's --keyring
# does not keep the host from finding host 2's right key in .nvme: the connection names the wrong
# key by its serial (nvme connect --tls_key, the kernel's tls_key option), as a host with only that
# key would use it.
keyctl session - bash -c "
	r=\$(keyctl newring wrongring @s) || exit 3
	nvme check-tls-key -n $H2 -c $NQN -d '$W' --identity=1 --keyring=wrongring --insert >/dev/null 2>&1 || exit 4
	k=\$(keyctl rlist \$r 2>/dev/null); [[ -n \$k ]] || exit 5
	keyctl describe \$k
	ip netns exec $NS nvme connect -t tcp -n $NQN -a $TARGET_IP -s 4420 --hostnqn=$H2 --tls --tls_key=\$k && exit 0
	exit 1" >$T/conn.wrong 2>&1
rc=$?
expect_eq "a host with a wrong PSK (in a keyring of its own) is refused" "$rc" 1
if ((rc == 0)); then # which key the connection got: the host's own, or the one in .nvme?
	c=$(grep -l "$NQN" /sys/class/nvme/nvme*/subsysnqn | head -1 | xargs dirname)
	kid=$(cat $c/tls_key 2>/dev/null); info "the refused host's controller got key $kid: $(keyctl describe 0x$kid 2>&1 || keyctl describe $kid 2>&1)"
	info "$(keyctl show %:.nvme 2>&1 | tail -n +2 | head -n 8)"
	disc
fi
check "... by the target, not for want of a key on the host" bash -c "! grep -q 'Required key not available' $T/conn.wrong"
sed 's/^/#   /' $T/conn.wrong | head -n 3
# the same way with host 2's right key (the one apply put in .nvme) connects
k2=$(psks | awk -v h=$H2 -v s=$NQN '$3 == h && $4 == s {print $1}')
check "... while host 2's right key, named the same way, connects" \
	ip netns exec $NS nvme connect -t tcp -n $NQN -a $TARGET_IP -s 4420 --hostnqn=$H2 --tls --tls_key=$k2
disc
check "discovery over the TLS port" sh -c "ip netns exec $NS nvme discover -t tcp -a $TARGET_IP -s 4420 --hostnqn=$H1 --tls | grep -q 'subnqn: *$NQN'"

out=$("$NVMETCFG" -v apply $T/tls.conf 2>&1); echo "$out" >$T/o.reapply
check "re-apply writes nothing" grep -q ": 0 changes applied" $T/o.reapply
psks >$T/keys.2
expect_eq "... and leaves the keys as they are" "$(cat $T/keys.2)" "$(cat $T/keys.1)"

# rotation: a new PSK in host 1's file replaces host 1's keys; host 2's stay (same serials)
check "host 1 connected before the rotation" connect --hostnqn=$H1 --tls
secret "$P3" $K/h1.psk
"$NVMETCFG" -v apply $T/tls.conf >$T/o.rotate 2>&1
psks >$T/keys.3
expect_eq "rotation: host 2's keys untouched" "$(grep -F "$H2" $T/keys.3)" "$(grep -F "$H2" $T/keys.1)"
kept=$(for s in $(grep -F "$H1" $T/keys.1 | cut -d' ' -f1); do grep -q "^$s " $T/keys.3 && echo "$s"; done)
expect_eq "rotation: host 1's keys replaced" "$kept" ""
expect_eq "rotation: still four keys" "$(wc -l <$T/keys.3)" 4
# the connection made with the old key lives on (TLS keys only matter at the handshake)
c=$(grep -l "$NQN" /sys/class/nvme/nvme*/subsysnqn 2>/dev/null | head -n1 | xargs -r dirname)
check "rotation: host 1's connection stays live" grep -qx live "${c:-/nonexistent}/state"
dev=$(fabric_dev $NQN)
check "... and reads through it" dd if="$dev" of=/dev/null bs=4k count=8 iflag=direct status=none
disc
check "host 1 reconnects with its new PSK" connect --hostnqn=$H1 --tls
disc

# removing the tls word: keys gone, the port plain again
write_conf ""
"$NVMETCFG" -v apply $T/tls.conf >$T/o.plain 2>&1
expect_eq "without tls: no key left" "$(psks | wc -l)" 0
expect_eq "without tls: addr_tsas none" "$(cat $port/addr_tsas)" none
check "without tls: a plain connect works" connect --hostnqn=$H1
disc

# the secrets in no output, no state file, no saved config
"$NVMETCFG" save $T/saved.conf >$T/o.save 2>&1 || true
"$NVMETCFG" show >$T/o.show 2>&1 || true
check "no secret in any output" leak_check $T/o.* $T/saved.conf
kill $TLSHD_T $TLSHD_I 2>/dev/null; wait $TLSHD_T $TLSHD_I 2>/dev/null
sed -i '/nvmet-target\|nvmet-initiator/d' /etc/hosts
finish
