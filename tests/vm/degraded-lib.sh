#!/bin/bash
# The degraded boot (sourced by t-persist.sh): one nvmf.conf with healthy objects and broken ones —
# an SSD subsystem over RDMA, files under /var/lib and /srv over TCP, a file on a read-only mount,
# a namespace whose SSD is absent, a file under /tmp created only after boot. After the reboot the
# unit must be active without restarts, serve every healthy object, name every broken one, keep the
# kernel log short, and bring each broken one up when it is fixed, touching nothing else.
DG_DIR=/var/lib/nvtest-aio
DG_SRV=/srv/nvtest
DG_LATE=/tmp/nvtest-late.img
NQN=nqn.2016-06.io.spdk

# a file of SIZE with a signature at offset 0
sigfile() { truncate -s "$2" "$1" && printf '%s' "$3" | dd of="$1" conv=notrunc status=none; }

# The backing files live on real filesystems mounted where an administrator would have them (the
# guest's root is an overlay, and the kernel exports a file on overlayfs with a zero size): ext4
# images mounted at /var/lib/nvtest-aio and /srv/nvtest, a tmpfs on /tmp (as many distributions
# have), and a read-only bind mount at /mnt/ro of a directory on the first.
prepare_degraded() {
	local bdf=$1 img=/var/cache/nvtest
	mkdir -p $img $DG_DIR $DG_SRV /mnt/ro
	for f in varlib srv; do truncate -s 64M $img/$f.img; mkfs.ext4 -q -F $img/$f.img; done
	cat >>/etc/fstab <<EOF2
$img/varlib.img $DG_DIR ext4 loop 0 0
$img/srv.img $DG_SRV ext4 loop 0 0
$DG_DIR/ro /mnt/ro none bind,ro,x-systemd.requires-mounts-for=$DG_DIR 0 0
tmpfs /tmp tmpfs mode=1777 0 0
EOF2
	echo loop >/etc/modules-load.d/nvtest-loop.conf
	modprobe loop
	mount $DG_DIR && mount $DG_SRV && mkdir -p $DG_DIR/ro && mount /mnt/ro
	sigfile $DG_DIR/aio0.img 16M NVTEST-VARLIB
	sigfile $DG_SRV/aio1.img 16M NVTEST-SRV
	sigfile $DG_DIR/ro/c.img 8M NVTEST-RO
	check "the read-only mount is read-only" bash -c "! touch /mnt/ro/x 2>/dev/null"
	cat >/etc/nvmet/nvmf.conf <<EOC
[Nvmf]
  MaxQueuesPerSession 4
[Nvme]
  TransportId "trtype:PCIe traddr:$bdf" Nvme0
  TransportId "trtype:PCIe traddr:0000:99:00.0" Nvme9
  HotplugEnable Yes
[AIO]
  AIO $DG_DIR/aio0.img VARLIB
  AIO $DG_SRV/aio1.img SRV
  AIO /mnt/ro/c.img RO
  AIO $DG_LATE LATE
[Subsystem1]
  NQN $NQN:cnode1
  Listen RDMA 192.168.20.200:4791
  AllowAnyHost Yes
  SN SPDK00000000000001
  Namespace Nvme0n1 1
[Subsystem2]
  NQN $NQN:cnode2
  Listen TCP 192.168.20.200:4420
  AllowAnyHost Yes
  SN SPDK00000000000002
  Namespace VARLIB 1
  Namespace LATE 2
[Subsystem3]
  NQN $NQN:cnode3
  Listen TCP 192.168.20.200:4420
  AllowAnyHost Yes
  SN SPDK00000000000003
  Namespace SRV 1
[Subsystem4]
  NQN $NQN:cnode4
  Listen TCP 192.168.20.200:4420
  AllowAnyHost Yes
  SN SPDK00000000000004
  Namespace RO 1
[Subsystem5]
  NQN $NQN:cnode5
  Listen TCP 192.168.20.200:4420
  AllowAnyHost Yes
  SN SPDK00000000000005
  Namespace Nvme9n1 1
EOC
	# the service logs every configfs operation it makes (the fix below must make only its own)
	sed -i 's/^#* *log_level = .*/log_level = "info";/' /etc/nvmet/nvmetd.conf
	grep -q '^log_level' /etc/nvmet/nvmetd.conf || echo 'log_level = "info";' >>/etc/nvmet/nvmetd.conf
	# check resolves devices as apply does: exactly the three broken namespaces are reported
	"$NVMETCFG" check /etc/nvmet/nvmf.conf >$T/check.txt 2>&1
	check "check names the missing devices (the read-only one only the kernel can tell)" \
		bash -c "grep -q '0000:99:00.0' $T/check.txt && grep -q '$DG_LATE' $T/check.txt && grep -q '^2 errors' $T/check.txt"
	sync
}

# the first 16 bytes the initiator reads from a fabric namespace
fabric_sig() { dd if="$1" bs=4096 count=1 iflag=direct status=none | head -c "$2"; }
connect_tcp() { ip netns exec $NS nvme connect -t tcp -n "$1" -a $TARGET_IP -s 4420 >/dev/null; }
kopen_failures() { dmesg | grep -cE 'nvmet: failed to open (file|block device)'; }

# fix_writes_only WHAT SUBSYS NSID CMD...: run CMD while strace watches nvmetd ($pid); the namespace
# must come up, and every configfs write nvmetd made must be to that namespace
fix_writes_only() {
	local what=$1 ss=$2 nsid=$3 sp rest; shift 3
	strace -f -qq -y -e trace=write,mkdir,mkdirat,rmdir,unlink,unlinkat,symlink,symlinkat -p "$pid" -o $T/st &
	sp=$!; sleep 1
	"$@"
	check "$what" wait_for 30 bash -c "[[ \$(cat $CFS/subsystems/$NQN:$ss/namespaces/$nsid/enable 2>/dev/null) == 1 ]]"
	sleep 1; kill $sp; wait $sp 2>/dev/null
	grep '/sys/kernel/config/' $T/st >$T/w || true
	rest=$(grep -v "subsystems/$NQN:$ss/namespaces/$nsid" $T/w | head -n 5)
	check "... and nvmetd wrote only that namespace ($(wc -l <$T/w) configfs writes)" test -s $T/w -a -z "$rest"
	[[ -z $rest ]] || echo "$rest" | sed 's/^/#   /'
}

degraded_checks() {
	local dev n
	check "nvmetd active after the reboot" wait_for 90 bash -c '[[ $(systemctl is-active nvmetd) == active ]]'
	expect_eq "NRestarts=0 (no restart loop)" "$(systemctl show -p NRestarts --value nvmetd)" 0
	check "every port listening" wait_for 90 listening
	info "unit: $(systemctl show -p StatusText --value nvmetd)"
	check "STATUS= names what is served and the first problem" bash -c \
		"systemctl show -p StatusText --value nvmetd | grep -E 'serving 5 of 5 subsystems, 3 of 6 namespaces, 2 of 2 ports; .+'"
	"$NVMETCFG" status >$T/status 2>&1; sed 's/^/#   /' $T/status
	check "status: read-only mount named with the kernel's reason and a hint" \
		grep -E "^namespace $NQN:cnode4/1 .*failed: /mnt/ro/c.img: Read-only file system — .*remount" $T/status
	check "status: absent SSD named with its PCI address" \
		grep -E "^namespace $NQN:cnode5/1 .*device missing: .*0000:99:00.0" $T/status
	check "status: file under /tmp named (not there yet)" \
		grep -E "^namespace $NQN:cnode2/2 .*device missing: $DG_LATE: No such file or directory" $T/status
	check "status --json carries the same problems" bash -c \
		"'$NVMETCFG' status --json | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"problems\"]; assert len(p)==3, p; assert any(\"Read-only\" in x[\"reason\"] for x in p)'"
	# every healthy subsystem serves the right data
	dev=$(ssd_dev) && printf 'NVTEST-SSD' | dd of="$dev" bs=4096 count=1 conv=sync,notrunc oflag=direct status=none
	check "initiator connects to the SSD subsystem over RDMA" wait_for 30 bash -c \
		"ip netns exec $NS nvme connect -t rdma -n $NQN:cnode1 -a $TARGET_IP -s 4791 >/dev/null"
	dev=$(fabric_dev $NQN:cnode1) && expect_eq "cnode1 (SSD over RDMA) reads the SSD's data" "$(fabric_sig "$dev" 10)" NVTEST-SSD ||
		nok "cnode1 fabric device"
	check "connect cnode2 (TCP)" connect_tcp $NQN:cnode2
	dev=$(fabric_dev $NQN:cnode2 1) && expect_eq "cnode2 namespace 1 (/var/lib file) reads its data" "$(fabric_sig "$dev" 13)" NVTEST-VARLIB ||
		nok "cnode2 fabric device"
	check "connect cnode3 (TCP)" connect_tcp $NQN:cnode3
	dev=$(fabric_dev $NQN:cnode3 1) && expect_eq "cnode3 (/srv file) reads its data" "$(fabric_sig "$dev" 10)" NVTEST-SRV ||
		nok "cnode3 fabric device"
	# the read-only file is tried again only when its filesystem changes: the kernel log stays short
	sleep 20
	n=$(kopen_failures)
	info "kernel open failures logged so far: $n"
	check "kernel log: at most 5 open failures for the read-only file since boot ($n)" test "$n" -le 5
	check "... nvmetd said it waits for its filesystem to change" bash -c \
		"journalctl -u nvmetd -b --no-pager | grep -q 'tried again when its filesystem changes'"
	dmesg | grep -E 'nvmet: failed to open' | tail -n 4 | sed 's/^/#   /'

	# fix 1: remount rw — the mount event alone brings the namespace up (no reload)
	pid=$(systemctl show -p MainPID --value nvmetd)
	fix_writes_only "remounted rw: namespace enabled on the mount event, no reload" cnode4 1 \
		mount -o remount,bind,rw /mnt/ro
	check "connect cnode4" connect_tcp $NQN:cnode4
	dev=$(fabric_dev $NQN:cnode4 1) && expect_eq "cnode4 reads the file from the remounted filesystem" "$(fabric_sig "$dev" 9)" NVTEST-RO ||
		nok "cnode4 fabric device"

	# fix 2: the /tmp file appears; systemctl reload brings it up and touches nothing else
	sigfile $DG_LATE 16M NVTEST-LATE
	fix_writes_only "created the /tmp file, systemctl reload: namespace enabled" cnode2 2 systemctl reload nvmetd
	dev=$(fabric_dev $NQN:cnode2 2) && expect_eq "cnode2 namespace 2 (/tmp file) reads its data" "$(fabric_sig "$dev" 11)" NVTEST-LATE ||
		nok "cnode2 namespace 2 on the initiator"
	dev=$(fabric_dev $NQN:cnode1) && expect_eq "cnode1 still connected and reading" "$(fabric_sig "$dev" 10)" NVTEST-SSD ||
		nok "cnode1 lost"
	"$NVMETCFG" status >$T/status 2>&1; sed 's/^/#   /' $T/status
	check "status: only the absent SSD is left" bash -c "grep -q '^1 object not serving' $T/status && grep -q 'cnode5/1 .*device missing' $T/status"
	expect_eq "still NRestarts=0" "$(systemctl show -p NRestarts --value nvmetd)" 0
	systemd-analyze security nvmetd.service 2>/dev/null | tail -n1 | sed 's/^/# /'
	journalctl -u nvmetd -b --no-pager | grep -vE '^\s*(write|mkdir|link|unlink|rmdir) ' | tail -n 12 | sed 's/^/#   /'
	ip netns exec $NS nvme disconnect-all >/dev/null 2>&1
}
