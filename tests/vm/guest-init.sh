#!/bin/bash
# Runs as PID 1 inside the guest on the host's (overlaid) root: set up the minimum a test needs,
# run the requested script, record its exit status in the shared out dir, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=/nvtest-out
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmpfs /run -o mode=755
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
# what systemd links in /dev (bash process substitution needs /dev/fd)
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
[[ -e /dev/stdin ]] || { ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr; }
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /var/tmp
mount -t tmpfs tmpfs /var/run 2>/dev/null || true
ip link set lo up
hostname nvmetd-guest
echo "guest: kernel $(uname -r), $(nproc) CPUs, $(. /etc/os-release && echo "$PRETTY_NAME")" >"$out/output.log"
cmd=()
eval "cmd=($(cat $out/cmd))"
export NVTEST_OUT=$out
. $out/env
"${cmd[@]}" >>"$out/output.log" 2>&1
rc=$?
echo $rc >"$out/rc"
sync
exec busybox poweroff -f
