#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# An independent mDNS/DNS-SD browser (python3-zeroconf), run in the initiator's network namespace:
# prints one line per change of the _nvme-disc._tcp services it sees, until killed:
#   add NAME|PORT|ADDRESSES|TXT      (TXT as k=v,k=v sorted)
#   remove NAME
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

TYPE = "_nvme-disc._tcp.local."


def on_change(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed:
        print(f"remove {name}", flush=True)
        return
    info = zeroconf.get_service_info(service_type, name, timeout=3000)
    if info is None:
        print(f"unresolved {name}", flush=True)
        return
    txt = ",".join(sorted(f"{k.decode()}={(v or b'').decode()}" for k, v in info.properties.items()))
    addrs = ",".join(sorted(info.parsed_addresses()))
    print(f"add {name}|{info.port}|{addrs}|{txt}", flush=True)


zc = Zeroconf(ip_version=IPVersion.V4Only)
ServiceBrowser(zc, TYPE, handlers=[on_change])
print("browsing", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    zc.close()
