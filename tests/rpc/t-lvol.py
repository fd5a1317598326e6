#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmetd's bdev_lvol_* methods on the host, against a fake lvm (fake-lvm.py, NVMET_LVM): the answers'
# shapes and SPDK's errors (spdk-csi's and Cinder's calls, `size` in bytes and size_in_mib, the
# "snapshot-..." name LVM refuses kept in a tag), the lvm commands nvmetd runs, bad params refused with
# nothing run; spdk-csi's sequence through the HTTP proxy (http-proxy.py) with a publish on nvmetd-fake's
# configfs; rename, rename_lvstore, decouple_parent, set_read_only; lvm commands failing on purpose
# ($FAKE_LVM_STATE.fail). Real LVM (and exports) are proven in the guest: tests/vm/t-lvm.sh. TAP output.
#   t-lvol.py [NVMETD]
import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
NVMETD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build/src/nvmetd/nvmetd")
# nvmetd on the unit tests' fake configfs, which acts as the kernel's (make check builds it): exports work
NVMETD_FAKE = os.path.join(os.path.dirname(os.path.abspath(NVMETD)), "../../tests/rpc/nvmetd-fake")
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
    p = subprocess.Popen([NVMETD_FAKE, "-f", "-c", T + "/nvmetd.conf"], env=env, stdout=open(T + "/nvmetd.log", "w"),
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


class Http:
    """SPDK's scripts/rpc_http_proxy.py in front of the socket (http-proxy.py does what it does), posted
    to as spdk-csi's pkg/util/jsonrpc.go does: one request per POST, Basic auth."""

    def __init__(self):
        self.proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "http-proxy.py"), "127.0.0.1", "0",
                                       "spdkcsiuser", "spdkcsipass", "-s", SOCK], stdout=subprocess.PIPE, text=True)
        self.url = "http://" + self.proxy.stdout.readline().split(" on ")[-1].strip() + "/"
        self.id = 0

    def post(self, method, params=None, password="spdkcsipass"):
        self.id += 1
        req = {"jsonrpc": "2.0", "id": self.id, "method": method, "params": params or {}}
        auth = base64.b64encode(("spdkcsiuser:" + password).encode()).decode()
        r = urllib.request.Request(self.url, data=json.dumps(req).encode(), method="POST",
                                   headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=60) as resp:
            body = json.loads(resp.read())
        if "error" in body:
            return None, body["error"]
        return body["result"], None

    def close(self):
        self.proxy.terminate()
        self.proxy.wait(10)


def csi_http():
    """spdk-csi's CreateVolume, Publish, CreateSnapshot, a volume from it, Unpublish, DeleteVolume
    (pkg/spdk/nodenvmf.go and pkg/util/nvmf.go's calls), all through the HTTP proxy."""
    h = Http()
    try:
        res, err = h.post("bdev_get_bdevs", {"name": "lvs0/pvc-h1"})
        ok(res is None and "No such device" in err["message"], "HTTP csi: probe lvs0/pvc-h1: No such device")
        v, err = h.post("bdev_lvol_create", {"lvol_name": "pvc-h1", "size": 16 << 20, "lvs_name": "lvs0",
                                             "clear_method": "unmap", "thin_provision": True})
        ok(isinstance(v, str) and re.fullmatch(r"[0-9a-f-]{36}", v), "HTTP csi: bdev_lvol_create thin: a UUID")
        nqn = "nqn.2020-04.io.spdk.csi:uuid:" + str(v)
        res, err = h.post("nvmf_subsystem_get_listeners", {"nqn": nqn})
        ok(err and "Invalid parameters" in err["message"], "HTTP csi: get_listeners of the unpublished NQN: Invalid parameters")
        steps = [h.post("nvmf_create_transport", {"trtype": "TCP"}),
                 h.post("nvmf_create_subsystem", {"nqn": nqn, "allow_any_host": True, "serial_number": "spdkcsi-sn",
                                                  "model_number": v}),
                 h.post("nvmf_subsystem_add_ns", {"nqn": nqn, "namespace": {"bdev_name": v}}),
                 h.post("nvmf_subsystem_add_listener", {"nqn": nqn, "listen_address": {
                     "trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4420"}})]
        ok(all(e is None for r, e in steps[1:]) and os.path.isdir(os.path.join(T, "cfs/nvmet/subsystems", nqn)),
           "HTTP csi: publish (subsystem, add_ns by UUID, listener): " + json.dumps([e for r, e in steps if e]))
        ok("AIO /dev/lvs0/pvc-h1 " + v in open(T + "/rpc.conf").read(), "... rpc.conf keeps the export")
        ok(h.post("bdev_lvol_rename_lvstore", {"old_name": "lvs0", "new_name": "lvs-h"}) == (True, None) and
           h.post("bdev_lvol_rename", {"old_name": v, "new_name": "pvc-h9"}) == (True, None) and
           h.post("bdev_get_bdevs", {"name": v})[0][0]["aliases"] == ["lvs-h/pvc-h9"],
           "HTTP: rename_lvstore and rename of a published volume: its alias lvs-h/pvc-h9")
        ok("vgrename" not in log() and "lvrename" not in log() and "AIO /dev/lvs0/pvc-h1 " + v in
           open(T + "/rpc.conf").read(), "... the VG and LV keep their names: the export's device path stays")
        ok(h.post("bdev_lvol_rename_lvstore", {"old_name": "lvs-h", "new_name": "lvs0"}) == (True, None) and
           h.post("bdev_lvol_rename", {"old_name": "lvs0/pvc-h9", "new_name": "pvc-h1"}) == (True, None),
           "... and back")
        snap = "snapshot-4f1c2d3e-0000-4000-8000-0000000000h1"
        s, err = h.post("bdev_lvol_snapshot", {"lvol_name": v, "snapshot_name": snap})
        c, err2 = h.post("bdev_lvol_clone", {"snapshot_name": "lvs0/" + snap, "clone_name": "pvc-h2"})
        ok(isinstance(s, str) and isinstance(c, str), "HTTP csi: snapshot of the published volume, a clone of it")
        res, err = h.post("bdev_lvol_delete", {"name": v})
        ok(err and err["code"] == -16, "HTTP csi: deleting the published volume: -16 (busy)")
        res, err = h.post("nvmf_get_subsystems")
        ns = [x for x in res if x["nqn"] == nqn][0]["namespaces"]
        steps = [h.post("nvmf_subsystem_remove_ns", {"nqn": nqn, "nsid": ns[0]["nsid"]}),
                 h.post("nvmf_delete_subsystem", {"nqn": nqn})]
        ok(all(e is None for r, e in steps) and "pvc-h1" not in open(T + "/rpc.conf").read(),
           "HTTP csi: unpublish (remove_ns, delete_subsystem); rpc.conf keeps no export")
        ok(all(h.post("bdev_lvol_delete", {"name": n}) == (True, None) for n in (v, c, s)),
           "HTTP csi: delete the volume, the clone, the snapshot")
        res, err = h.post("bdev_lvol_delete", {"name": v})
        ok(err and "No such device" in err["message"], "HTTP csi: deleted: No such device")
        try:
            h.post("bdev_lvol_get_lvstores", password="wrong")
            ok(False, "HTTP: a wrong password is refused")
        except urllib.error.HTTPError as e:
            ok(e.code == 401, "HTTP: a wrong password is 401")
    finally:
        h.close()


def renames():
    v = result("bdev_lvol_create", {"lvol_name": "r-1", "size": 8 << 20, "lvs_name": "lvs0", "thin_provision": True})
    r3 = result("bdev_lvol_create", {"lvol_name": "r-3", "size": 8 << 20, "lvs_name": "lvs0", "thin_provision": True})
    ok(result("bdev_lvol_rename", {"old_name": "lvs0/r-1", "new_name": "r-2"}) is True and
       "lvrename lvs0 r-1 r-2" in log() and "--deltag nvmetd.name=r-1 --addtag nvmetd.name=r-2 lvs0/r-1" in log() and
       result("bdev_get_bdevs", {"name": v})[0]["aliases"] == ["lvs0/r-2"], "bdev_lvol_rename: tag and LV, alias lvs0/r-2")
    before = log()
    ok(result("bdev_lvol_rename", {"old_name": v, "new_name": "r-2"}) is True and log().count("\n") == before.count("\n") + 1,
       "... to its own name: true, nothing changed (one lvs)")
    e = error("bdev_lvol_rename", {"old_name": v, "new_name": "r-3"})
    ok(e.get("code") == -32602 and e.get("message", "").startswith("File exists"), "... to a name taken: -32602 File exists")
    ok(error("bdev_lvol_rename", {"old_name": "lvs0/nope", "new_name": "x"}).get("code") == -19, "... an unknown lvol: -19")
    before = log()
    ok(error("bdev_lvol_rename", {"old_name": v}).get("message") == "spdk_json_decode_object failed" and log() == before,
       "... without new_name: spdk_json_decode_object failed, nothing run")
    ok(result("bdev_lvol_rename", {"old_name": v, "new_name": "snapshot-r"}) is True and f"lvrename lvs0 r-2 lv-{v}" in log()
       and result("bdev_get_bdevs", {"name": v})[0]["aliases"] == ["lvs0/snapshot-r"],
       "... to a name LVM refuses: LV lv-<uuid>, the name in its tag")
    with open(STATE + ".fail", "w") as f:
        f.write("lvrename")
    e = error("bdev_lvol_rename", {"old_name": v, "new_name": "r-4"})
    os.unlink(STATE + ".fail")
    ok(e.get("code") == -32602 and "Input/output error" in e.get("message", "") and "fake failure of lvrename" in e["message"]
       and result("bdev_get_bdevs", {"name": v})[0]["aliases"] == ["lvs0/snapshot-r"],
       "... lvrename failing: -32602 Input/output error with LVM's words; the name tag put back")
    s = result("bdev_lvol_snapshot", {"lvol_name": v, "snapshot_name": "r-snap"})
    c = result("bdev_lvol_clone", {"snapshot_name": s, "clone_name": "r-clone"})
    ok(result("bdev_lvol_decouple_parent", {"name": c}) is True, "bdev_lvol_decouple_parent of a clone")
    b = {x["name"]: x["driver_specific"].get("lvol") for x in result("bdev_get_bdevs")}
    ok(b[c]["clone"] is False and b[c]["thin_provision"] is True and b[s]["clones"] == ["snapshot-r"],
       "... no longer a clone, still thin; the snapshot's clones: the origin only")
    e = error("bdev_lvol_decouple_parent", {"name": c})
    ok(e.get("code") == -32602 and e.get("message", "").startswith("Invalid argument"), "... again: -32602 Invalid argument")
    ok(result("bdev_lvol_set_read_only", {"name": c}) is True and f"-p r lvs0/r-clone" in log() and
       result("bdev_get_bdevs", {"name": c})[0]["supported_io_types"]["write"] is False,
       "bdev_lvol_set_read_only: lvchange -p r; no write io type")
    c2 = result("bdev_lvol_clone", {"snapshot_name": c, "clone_name": "r-clone2"})
    ok(result("bdev_get_bdevs", {"name": c2})[0]["driver_specific"]["lvol"]["base_snapshot"] == "r-clone",
       "... a read-only lvol can be cloned (as in SPDK)")
    for n in (c2, c, v, s, r3):
        ok(result("bdev_lvol_delete", {"name": n}) is True, "deleted " + n)
    e = error("bdev_lvol_rename_lvstore", {"old_name": "nope", "new_name": "x"})
    ok(e == {"code": -2, "message": "Lvol store nope not found"}, "bdev_lvol_rename_lvstore of an unknown store: SPDK's -2")
    ok(result("bdev_lvol_rename_lvstore", {"old_name": "lvs0", "new_name": "lvs1"}) is True and "vgrename lvs0 lvs1" in log()
       and [(x["name"], x["uuid"]) for x in result("bdev_lvol_get_lvstores")] == [("lvs1", LVS)],
       "bdev_lvol_rename_lvstore lvs0 lvs1: VG and tag renamed, the same UUID")
    ok(result("bdev_lvol_rename_lvstore", {"old_name": "lvs1", "new_name": "lvs0"}) is True, "... and back")


def store_failures():
    with open(STATE) as f:
        st = json.load(f)
    u9 = "9b0a9ac1-8e1f-4f7e-9c2e-6f1d2a3b4c5d"
    st["vgs"]["lvs9"] = {"pvs": ["/dev/nvme9n1"], "tags": ["nvmetd.lvs", "nvmetd.uuid=" + u9, "nvmetd.name=lvs9"],
                         "size": 64 << 20, "lvs": {"nvmetd-pool": {"type": "thin-pool", "size": 64 << 20, "tags": []}}}
    with open(STATE, "w") as f:
        json.dump(st, f)
    e = error("bdev_lvol_rename_lvstore", {"old_name": "lvs0", "new_name": "lvs9"})
    ok(e.get("code") == -32602 and e.get("message", "").startswith("File exists"), "rename_lvstore to a name taken: File exists")
    ok(result("bdev_lvol_delete_lvstore", {"lvs_name": "lvs9"}) is True and "vgchange -an lvs9" in log() and
       "pvremove -f /dev/nvme9n1" in log(), "bdev_lvol_delete_lvstore: LVs off, VG and PV label removed")
    for cmd, code, text, left in (("vgchange", -16, "nothing was removed", True), ("vgremove", -32602, "Input/output error", True),
                                  ("pvremove", -32602, "pvremove -f /dev/nvme0n1", False)):
        with open(STATE + ".fail", "w") as f:
            f.write(cmd)
        e = error("bdev_lvol_delete_lvstore", {"uuid": LVS})
        os.unlink(STATE + ".fail")
        ok(e.get("code") == code and text in e.get("message", "") and
           (len(result("bdev_lvol_get_lvstores")) == 1) == left, f"delete_lvstore with {cmd} failing: {code}, {text!r}, " +
           ("the store intact" if left else "the store gone, the label named"))


def main():
    p = setup()
    try:
        stores()
        v1, s1, c1 = csi()
        cinder()
        csi_http()
        for n in (v1, c1, s1):
            ok(result("bdev_lvol_delete", {"name": n}) is True, "deleted " + n)
        ok(result("bdev_lvol_get_lvols") == [], "bdev_lvol_get_lvols: none left")
        refusals()
        renames()
        store_failures()
        ok(p.poll() is None, "nvmetd still running")
    finally:
        p.terminate()
        p.wait()
    print("# %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
