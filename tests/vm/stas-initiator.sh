#!/bin/bash
# The initiator side of t-stas.sh, run inside the initiator's network namespace in a private mount
# namespace: its own system bus and avahi-daemon (two avahi-daemons cannot share one bus, and
# avahi's runtime directory is fixed), then nvme-stas's stafd and stacd configured only with
# zeroconf on. Writes "dbus avahi stafd stacd" pids to DIR/ini.pids, logs to DIR, then waits.
# It also runs a udevd of its own (see below).
# Usage: stas-initiator.sh DIR
set -u
d=$1
mount -t tmpfs tmpfs /run/dbus && mount -t tmpfs tmpfs /run/avahi-daemon || exit 1
# stafd follows its controllers through udev's events ("remove" is what makes it reconnect, fail and
# drop a withdrawn DC). The guest runs no udevd, and a listener in this network namespace would not
# hear one in the root's anyway: a udevd of our own, rules emptied (it only relays the kernel's
# events, which reach this namespace) — nothing of the guest's /dev or /run is changed by it
mkdir -p /run/udev $d/no-rules && mount -t tmpfs tmpfs /run/udev || exit 1
for r in /usr/lib/udev/rules.d /etc/udev/rules.d; do [[ -d $r ]] && mount --bind $d/no-rules $r; done
/usr/lib/systemd/systemd-udevd --daemon --resolve-names=never 2>>$d/udevd.log || exit 1
mkdir -p /run/stafd /run/stacd
cat >$d/ini-avahi.conf <<'EOC'
[server]
host-name=initiator
use-ipv6=no
allow-interfaces=veth-i
[publish]
disable-publishing=yes
[wide-area]
enable-wide-area=no
EOC
# zeroconf on (stafd's default, said explicitly). stafd keeps a discovered DC while the kernel
# reconnects it, even after its service is withdrawn; it drops one that is no longer advertised once
# the kernel gave its connection up (ctrl-loss-tmo, 600 s by default: 20 s here) and it cannot
# connect again, at once rather than after 72 hours (persistence 0); DCs are not left behind on exit
printf '[Global]\ntron=true\nip-family=ipv4\nkato=10\nctrl-loss-tmo=20\n[Service Discovery]\nzeroconf=enabled\n[Discovery controller connection management]\npersistent-connections=false\nzeroconf-connections-persistence=0\n' >$d/stafd.conf
dbus-daemon --system --fork --print-pid=3 --nopidfile 3>$d/dbus.pid || exit 1
avahi-daemon -f $d/ini-avahi.conf -D --no-chroot --no-drop-root 2>>$d/ini-avahi.log || exit 1
RUNTIME_DIRECTORY=/run/stafd python3 -u /usr/sbin/stafd -f $d/stafd.conf >$d/stafd.log 2>&1 &
stafd=$!
RUNTIME_DIRECTORY=/run/stacd python3 -u /usr/sbin/stacd >$d/stacd.log 2>&1 &
stacd=$!
echo "$(cat $d/dbus.pid) $(cat /run/avahi-daemon/pid 2>/dev/null) $stafd $stacd" >$d/ini.pids
wait
