#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmetd's bdev_lvol_* methods on the host, against a fake lvm (fake-lvm.py, NVMET_LVM): the answers'
# shapes and SPDK's errors (spdk-csi's and Cinder's calls, `size` in bytes and size_in_mib, the
# "snapshot-..." name LVM refuses kept in a tag), the lvm commands nvmetd runs, bad params refused with
# nothing run. Real LVM (and exports) are proven in the guest: tests/vm/t-lvm.sh. TAP output.
#   t-lvol.py [NVMETD]
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NVMETD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build/src/nvmetd/nvmetd")
spec = importlib.util.spec_from_file_location("spdk_rpc", os.path.join(HERE, "spdk-rpc.py"))
spdk_rpc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(spdk_rpc)

T = tempfile.mkdtemp(prefix="t-lvol.")
SOCK = os.path.join(T, "spdk.sock")
STATE = os.path.join(T, "lvm.json")
LOG = STATE + ".log"
passed = failed = 0
LVS = "0b0a9ac1-8e1f-4f7e-9c2e-6f1d2a3b4c5d"


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)
    return cond


def call(method, params=None):
    return spdk_rpc.Client(SOCK, 30).call(method, params)


def result(method, params=None):
    r = call(method, params)
    return r.get("result", r)


def error(method, params=None):
    return call(method, params).get("error") or {}


def log():
    try:
        with open(LOG) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def setup():
    for d in ("cfs/nvmet/subsystems", "cfs/nvmet/ports", "cfs/nvmet/hosts", "sys", "run"):
        os.makedirs(os.path.join(T, d))
    with open(os.path.join(T, "nvmf.conf"), "w") as f:
        f.write("[Malloc]\n  NumberOfLuns 1\n  LunSizeInMB 16\n")
    with open(os.path.join(T, "nvmetd.conf"), "w") as f:
        f.write(f'nvmf_conf = "{T}/nvmf.conf";\nstate_file = "{T}/state.json";\nrpc_socket = "{SOCK}";\n'
                f'rpc_conf = "{T}/rpc.conf";\non_stop = "keep";\n')
    # an lvol store as bdev_lvol_create_lvstore leaves it (the host has no block device to make one on)
    tags = ["nvmetd.lvs", "nvmetd.uuid=" + LVS, "nvmetd.name=lvs0", "nvmetd.bdev=Nvme0n1", "nvmetd.bs=512"]
    with open(STATE, "w") as f:
        json.dump({"vgs": {"lvs0": {"pvs": ["/dev/nvme0n1"], "tags": tags, "size": 248 << 20, "lvs": {
            "nvmetd-pool": {"type": "thin-pool", "size": 248 << 20, "tags": [], "used": 0}}}}}, f)
    env = dict(os.environ, NVMET_CONFIGFS_ROOT=T + "/cfs", NVMET_SYSFS_ROOT=T + "/sys", NVMET_RUN_DIR=T + "/run",
               NVMET_LOCK_FILE=T + "/run/apply.lock", NVMET_LVM=os.path.join(HERE, "fake-lvm.py"),
               FAKE_LVM_STATE=STATE)
    env.pop("NOTIFY_SOCKET", None)
    p = subprocess.Popen([NVMETD, "-f", "-c", T + "/nvmetd.conf"], env=env, stdout=open(T + "/nvmetd.log", "w"),
                         stderr=subprocess.STDOUT)
    end = time.monotonic() + 10
    while not os.path.exists(SOCK) and time.monotonic() < end:
        time.sleep(0.05)
    return p


def stores():
    s = result("bdev_lvol_get_lvstores")
    ok(isinstance(s, list) and len(s) == 1 and s[0]["name"] == "lvs0" and s[0]["uuid"] == LVS and
       s[0]["base_bdev"] == "Nvme0n1" and s[0]["cluster_size"] == 65536 and
       s[0]["total_data_clusters"] == (248 << 20) // 65536 and s[0]["free_clusters"] == s[0]["total_data_clusters"],
       "bdev_lvol_get_lvstores: name, uuid, base_bdev, clusters from the pool's size and chunk")
    ok(error("bdev_lvol_get_lvstores", {"lvs_name": "nope"}).get("code") == -19, "unknown store: -19")


def csi():
    ok("No such device" in error("bdev_get_bdevs", {"name": "lvs0/pvc-1"}).get("message", ""),
       "spdk-csi's probe: bdev_get_bdevs lvs0/pvc-1 before it exists: No such device")
    v1 = result("bdev_lvol_create", {"lvol_name": "pvc-1", "size": 64 << 20, "lvs_name": "lvs0",
                                     "clear_method": "unmap", "thin_provision": True})
    ok(isinstance(v1, str) and re.fullmatch(r"[0-9a-f-]{36}", v1), "bdev_lvol_create, size in bytes: a UUID")
    ok("lvcreate --type thin -V 67108864b --thinpool lvs0/nvmetd-pool -n pvc-1" in log(), "... lvcreate of a thin LV")
    b = result("bdev_get_bdevs", {"name": v1})
    lv = b[0]["driver_specific"]["lvol"] if isinstance(b, list) and b else {}
    ok(b[0]["name"] == v1 and b[0]["aliases"] == ["lvs0/pvc-1"] and b[0]["block_size"] * b[0]["num_blocks"] == 64 << 20
       and lv.get("lvol_store_uuid") == LVS and lv.get("thin_provision") is True and lv.get("snapshot") is False,
       "bdev_get_bdevs by UUID: SPDK's lvol fields")
    ok(result("bdev_get_bdevs", {"name": "lvs0/pvc-1"})[0]["name"] == v1, "bdev_get_bdevs by alias")
    ok(error("bdev_lvol_create", {"lvol_name": "pvc-1", "size": 1 << 20, "lvs_name": "lvs0"}).get("code") == -17,
       "the same name again: -17 File exists")
    snap = "snapshot-4f1c2d3e-0000-4000-8000-000000000001"
    s1 = result("bdev_lvol_snapshot", {"lvol_name": v1, "snapshot_name": snap})
    ok(isinstance(s1, str) and f"-n lv-{s1} " in log() and "nvmetd.name=snapshot-4f1c" in log(),
       "a snapshot named snapshot-<uuid>: LV lv-<uuid>, the name in a tag")
    c1 = result("bdev_lvol_clone", {"snapshot_name": "lvs0/" + snap, "clone_name": "pvc-2"})
    ok(isinstance(c1, str) and re.fullmatch(r"[0-9a-f-]{36}", c1), "bdev_lvol_clone of lvs0/snapshot-...")
    allb = {x["name"]: x for x in result("bdev_get_bdevs")}
    ok(sorted(allb[s1]["driver_specific"]["lvol"].get("clones", [])) == ["pvc-1", "pvc-2"] and
       allb[c1]["driver_specific"]["lvol"]["base_snapshot"] == snap and allb[v1]["driver_specific"]["lvol"]["clone"],
       "the snapshot's clones are pvc-1 and pvc-2 (as SPDK's blobstore has it); pvc-2's base_snapshot")
    e = error("bdev_lvol_delete", {"name": s1})
    ok(e.get("code") == -1 and "Operation not permitted" in e.get("message", ""),
       "deleting a snapshot with two clones: -1 Operation not permitted")
    ok(error("bdev_lvol_clone", {"snapshot_name": v1, "clone_name": "x"}).get("code") == -22,
       "cloning what is not a snapshot: -22")
    return v1, s1, c1


def cinder():
    v = result("bdev_lvol_create", {"lvol_name": "volume-1", "size": 32 << 20, "uuid": LVS})
    b = [x for x in result("bdev_get_bdevs") if any("volume-1" in a for a in x["aliases"])]
    ok(len(b) == 1 and b[0]["name"] == v and b[0]["driver_specific"]["lvol"]["thin_provision"] is False,
       "Cinder: bdev_lvol_create by store uuid is thick; found by alias substring")
    ok(result("bdev_lvol_resize", {"name": v, "size": 64 << 20}) is True and
       result("bdev_get_bdevs", {"name": v})[0]["num_blocks"] * 512 == 64 << 20, "bdev_lvol_resize, size in bytes")
    ok(result("bdev_lvol_resize", {"name": v, "size_in_mib": 72}) is True and
       result("bdev_get_bdevs", {"name": v})[0]["num_blocks"] * 512 == 72 << 20, "bdev_lvol_resize, size_in_mib")
    s = result("bdev_lvol_snapshot", {"lvol_name": "lvs0/volume-1", "snapshot_name": "snapshot-1"})
    c = result("bdev_lvol_clone", {"snapshot_name": s, "clone_name": "volume-2"})
    ok(result("bdev_lvol_inflate", {"name": c}) is True, "bdev_lvol_inflate")
    lv = result("bdev_get_bdevs", {"name": c})[0]["driver_specific"]["lvol"]
    ok(lv["clone"] is False and lv["thin_provision"] is False, "... no longer a clone, thick")
    for n in (c, s, v):
        ok(result("bdev_lvol_delete", {"name": n}) is True, "bdev_lvol_delete " + n)


def refusals():
    before = log()
    ok(error("bdev_lvol_create", {"lvol_name": "x", "size": 1, "size_in_mib": 1, "lvs_name": "lvs0"}).get("code") == -22,
       "size and size_in_mib both: -22")
    ok(error("bdev_lvol_create", {"lvol_name": "x", "size": -5, "lvs_name": "lvs0"}).get("code") == -22, "negative size")
    ok(error("bdev_lvol_create", {"lvol_name": "x", "size": 5}).get("code") == -22, "no store named")
    ok(error("bdev_lvol_create", {"lvol_name": 7, "size": 5, "lvs_name": "lvs0"}).get("code") == -32603,
       "a name that is not a string: spdk_json_decode_object failed")
    ok(log() == before, "... nothing was run for any of them")
    ok(error("bdev_lvol_create", {"lvol_name": "x", "size": 5, "lvs_name": "nope"}).get("code") == -19, "unknown store: -19")
    ok(error("bdev_lvol_delete", {"name": "nope"}).get("code") == -19, "unknown lvol: -19")
    ok(error("bdev_lvol_create_lvstore", {"bdev_name": "Nope0n1", "lvs_name": "x"}).get("code") == -19,
       "create_lvstore on an unknown bdev: -19")
    e = error("bdev_lvol_create_lvstore", {"bdev_name": "Malloc0", "lvs_name": "x"})
    ok(e.get("code") == -22 and "RAM disk" in e.get("message", ""), "create_lvstore on Malloc0: refused, a RAM disk")
    e = error("nvmf_subsystem_add_ns", {"nqn": "nqn.2016-06.io.spdk:cnode1", "namespace": {"bdev_name": "nope"}})
    ok(e.get("code") == -32602, "add_ns of a bdev that is neither configured nor an lvol: -32602")


def main():
    p = setup()
    try:
        stores()
        v1, s1, c1 = csi()
        cinder()
        for n in (v1, c1, s1):
            ok(result("bdev_lvol_delete", {"name": n}) is True, "deleted " + n)
        ok(result("bdev_lvol_get_lvols") == [], "bdev_lvol_get_lvols: none left")
        refusals()
        ok(result("bdev_lvol_delete_lvstore", {"uuid": LVS}) is True and result("bdev_lvol_get_lvstores") == [],
           "bdev_lvol_delete_lvstore")
        ok(p.poll() is None, "nvmetd still running")
    finally:
        p.terminate()
        p.wait()
    print("# %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
