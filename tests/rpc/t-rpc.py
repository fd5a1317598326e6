#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmetd's SPDK JSON-RPC socket on the host, against a fake configfs root (no kernel target needed:
# the read-only methods answer from nvmetd's configuration). Requests are framed exactly as SPDK's
# rpc.py frames them (spdk-rpc.py). Checks the methods' shapes and errors, the framing, hostile
# clients (garbage, oversized, deep, disconnecting, not reading, not root, too many), the lock-file
# protocol, and that nvmetd keeps serving through all of it. TAP output; must run as root.
#   t-rpc.py [NVMETD]
import base64
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
NVMETD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build/src/nvmetd/nvmetd")
# nvmetd on the unit tests' fake configfs, which acts as the kernel's (make check builds it)
NVMETD_FAKE = os.path.join(os.path.dirname(os.path.abspath(NVMETD)), "../../tests/rpc/nvmetd-fake")
NVMETCFG = os.path.join(os.path.dirname(os.path.abspath(NVMETD)), "../nvmetcfg/nvmetcfg")
spec = importlib.util.spec_from_file_location("spdk_rpc", os.path.join(HERE, "spdk-rpc.py"))
spdk_rpc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(spdk_rpc)

T = tempfile.mkdtemp(prefix="t-rpc.")
SOCK = os.path.join(T, "spdk.sock")
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)
    return cond


def write(name, text, mode=0o644):
    path = os.path.join(T, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def dhchap_secret():
    key = os.urandom(32)
    return "DHHC-1:00:" + base64.b64encode(key + zlib.crc32(key).to_bytes(4, "little")).decode() + ":"


SECRET = dhchap_secret()
KEYFILE = write("host1.key", SECRET + "\n", 0o600)
AIOFILE = write("aio.img", "")
os.truncate(AIOFILE, 8 << 20)
CONF = f"""[Malloc]
  NumberOfLuns 2
  LunSizeInMB 64
  BlockSize 4096
[AIO]
  AIO {AIOFILE} AIO0 512
[Host1]
  NQN nqn.2014-08.org.nvmexpress:uuid:host1
  DhchapKey {KEYFILE}
[Subsystem1]
  NQN nqn.2016-06.io.spdk:cnode1
  Listen TCP 127.0.0.1:4420
  Listen RDMA 192.168.20.200:4791
  AllowAnyHost No
  Host nqn.2014-08.org.nvmexpress:uuid:host1
  SN SPDK00000000000001
  MN nvmetd_ctrl
  Namespace Malloc0 1
  Namespace AIO0 2 6c3e5d3c-0f2a-4b0e-9a55-3c1f2e7b9a01
[Subsystem2]
  NQN nqn.2016-06.io.spdk:cnode2
  Listen TCP 127.0.0.1:4420
  AllowAnyHost Yes
  Namespace Malloc1 1
[Discovery]
  Referral TCP 192.168.30.200:8009
"""
write("nvmf.conf", CONF)


def settings(sock):
    return write("nvmetd.conf", f'nvmf_conf = "{T}/nvmf.conf";\nstate_file = "{T}/state.json";\n'
                 f'rpc_socket = "{sock}";\non_stop = "keep";\n')


for d in ("cfs/nvmet/subsystems", "cfs/nvmet/ports", "cfs/nvmet/hosts", "sys", "run"):
    os.makedirs(os.path.join(T, d))
ENV = dict(os.environ, NVMET_CONFIGFS_ROOT=T + "/cfs", NVMET_SYSFS_ROOT=T + "/sys", NVMET_RUN_DIR=T + "/run",
           NVMET_LVM=T + "/no-lvm",  # no LVM: no lvol stores (tests/rpc/t-lvol.py has a fake one)
           NVMET_LOCK_FILE=T + "/run/apply.lock")
ENV.pop("NOTIFY_SOCKET", None)


def start(conf, log):
    return subprocess.Popen([NVMETD, "-f", "-c", conf], env=ENV, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def wait_for(pred, secs=10):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def call(method, params=None, sock=None):
    return spdk_rpc.Client(sock or SOCK, 10).call(method, params)


def result(method, params=None, sock=None):
    r = call(method, params, sock)
    return r.get("result", r)


def error(method, params=None, sock=None):
    return call(method, params, sock).get("error")


def alive():
    try:
        return call("spdk_get_version").get("result", {}).get("fields", {}).get("major") == 24
    except OSError:
        return False


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.settimeout(10)
    return s


# What the server sent before it closed. A server that closes with the client's bytes unread resets the
# connection (ECONNRESET after the data it did send): closed all the same.
def read_until_eof(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data, True
        except socket.timeout:
            return data, False
        if not chunk:
            return data, True
        data += chunk


def test_methods():
    methods = result("rpc_get_methods")
    ok({"nvmf_get_subsystems", "bdev_get_bdevs", "framework_start_init"} <= set(methods), "rpc_get_methods lists them")
    ok("framework_start_init" not in result("rpc_get_methods", {"current": True}), "current: no start-up-only method")
    v = result("spdk_get_version")
    ok(v["version"].startswith("SPDK v24.09") and v["fields"]["minor"] == 9, "spdk_get_version: " + v["version"])
    ok(error("spdk_get_version", {"x": 1}) == {"code": -32602, "message": "spdk_get_version method requires no parameters"},
       "spdk_get_version refuses params")
    ok(result("framework_wait_init") is True, "framework_wait_init: true")
    e = error("framework_start_init")
    ok(e["code"] == -1 and e["message"].startswith("Method may only be called before framework is initialized"),
       "framework_start_init: SPDK's state error")
    subs = result("framework_get_subsystems")
    ok([(s["subsystem"], s["depends_on"]) for s in subs] == [("keyring", []), ("bdev", ["keyring"]),
                                                            ("nvmf", ["bdev", "keyring"])], "framework_get_subsystems")
    ok(error("framework_get_config", {"name": "vhost"}) == {"code": -32602, "message": "Subsystem 'vhost' not found"},
       "framework_get_config of an unknown subsystem: SPDK's error")
    ok(error("framework_get_config") == {"code": -32602, "message": "Invalid arguments"}, "framework_get_config: name")
    ok(error("nvmf_no_such") == {"code": -32601, "message": "Method not found"}, "unknown method: -32601")


def test_nvmf():
    subs = result("nvmf_get_subsystems")
    ok(subs[0]["subtype"] == "Discovery" and subs[0]["nqn"] == "nqn.2014-08.org.nvmexpress.discovery",
       "nvmf_get_subsystems: discovery first")
    c1 = subs[1]
    ok(c1["nqn"] == "nqn.2016-06.io.spdk:cnode1" and c1["serial_number"] == "SPDK00000000000001" and
       c1["model_number"] == "nvmetd_ctrl" and c1["allow_any_host"] is False, "cnode1's fields")
    ok(sorted((a["trtype"], a["adrfam"], a["traddr"], a["trsvcid"]) for a in c1["listen_addresses"]) ==
       [("RDMA", "IPv4", "192.168.20.200", "4791"), ("TCP", "IPv4", "127.0.0.1", "4420")], "listen addresses, SPDK case")
    ok(c1["hosts"] == [{"nqn": "nqn.2014-08.org.nvmexpress:uuid:host1", "dhchap_key": "nvmetd-host1-key"}],
       "hosts by NQN and key name ([HostN] files without a [Keyring] name: nvmetd-host<N>-key)")
    ok([(n["nsid"], n["bdev_name"]) for n in c1["namespaces"]] == [(1, "Malloc0"), (2, "AIO0")] and
       c1["namespaces"][1]["uuid"] == "6c3e5d3c-0f2a-4b0e-9a55-3c1f2e7b9a01", "namespaces")
    ok(subs[2]["allow_any_host"] is True and len(subs) == 3, "cnode2")
    one = result("nvmf_get_subsystems", {"nqn": "nqn.2016-06.io.spdk:cnode2"})
    ok(len(one) == 1 and one[0]["nqn"] == "nqn.2016-06.io.spdk:cnode2", "nvmf_get_subsystems by nqn")
    ok(error("nvmf_get_subsystems", {"nqn": "nqn.x:none"}) == {"code": -19, "message": "No such device"},
       "unknown nqn: -19 No such device")
    ok(error("nvmf_get_subsystems", {"tgt_name": "other"}) == {"code": -32603, "message": "Unable to find a target."},
       "another target: -32603")
    ls = result("nvmf_subsystem_get_listeners", {"nqn": "nqn.2016-06.io.spdk:cnode2"})
    ok(ls == [{"address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4420"},
               "ana_states": [{"ana_group": 1, "ana_state": "optimized"}]}], "nvmf_subsystem_get_listeners")
    ok(error("nvmf_subsystem_get_listeners", {"nqn": "nqn.x:none"}) == {"code": -32602, "message": "Invalid parameters"},
       "get_listeners of an unknown nqn: released wording")
    ok(error("nvmf_subsystem_get_listeners") == {"code": -32602, "message": "Invalid parameters"}, "missing nqn")
    ok(error("nvmf_get_subsystems", {"nqn": 5})["code"] == -32602, "a param of the wrong type")
    ok(error("nvmf_get_subsystems", {"bogus": "x"})["code"] == -32602, "an unknown param")
    ok(result("nvmf_discovery_get_referrals") == [{"address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "192.168.30.200",
       "trsvcid": "8009"}, "secure_channel": False, "subnqn": "nqn.2014-08.org.nvmexpress.discovery"}],
       "nvmf_discovery_get_referrals: nvmf.conf's [Discovery] referral, SPDK's shape")
    ok(error("nvmf_discovery_get_referrals", {"tgt_name": "x"}) == {"code": -32603, "message": "Unable to find a target"},
       "get_referrals of another target: SPDK's wording")
    tr = result("nvmf_get_transports")
    ok(sorted(t["trtype"] for t in tr) == ["RDMA", "TCP"], "nvmf_get_transports")
    ok(error("nvmf_get_transports", {"trtype": "FC"}) == {"code": -19, "message": "No such device"}, "unknown trtype")


def test_bdevs():
    b = {x["name"]: x for x in result("bdev_get_bdevs")}
    ok(sorted(b) == ["AIO0", "Malloc0", "Malloc1"], "bdev_get_bdevs: " + " ".join(sorted(b)))
    ok(b["Malloc0"]["block_size"] == 4096 and b["Malloc0"]["num_blocks"] == 16384 and
       b["Malloc0"]["product_name"] == "Malloc disk", "Malloc0's size from [Malloc]")
    ok(b["AIO0"]["block_size"] == 512 and b["AIO0"]["num_blocks"] == 16384 and b["AIO0"]["claimed"] is True and
       b["AIO0"]["uuid"] == "6c3e5d3c-0f2a-4b0e-9a55-3c1f2e7b9a01", "AIO0's size from its file")
    ok(result("bdev_get_bdevs", {"name": "Malloc1"})[0]["name"] == "Malloc1", "bdev_get_bdevs by name")
    ok(error("bdev_get_bdevs", {"name": "Nope"}) == {"code": -19, "message": "No such device"}, "unknown bdev: -19")
    ok(error("bdev_get_bdevs", {"nme": "x"}) == {"code": -32603, "message": "spdk_json_decode_object failed"},
       "bdev_* decode errors: SPDK's -32603")


def test_no_secret():
    c = spdk_rpc.Client(SOCK, 10)
    text = named = ""
    for m in result("rpc_get_methods"):
        if m in ("keyring_get_keys", "framework_get_config"):
            continue
        text += json.dumps(c.call(m))
    text += json.dumps(c.call("nvmf_get_subsystems", {"nqn": "nqn.2016-06.io.spdk:cnode1"}))
    ok(SECRET not in text and SECRET[10:30] not in text and "host1.key" not in text, "no key, nor its file, in any reply")
    named += json.dumps(c.call("keyring_get_keys"))
    for sub in ("keyring", "bdev", "nvmf"):
        named += json.dumps(c.call("framework_get_config", {"name": sub}))
    ok(SECRET not in named and SECRET[10:30] not in named and KEYFILE in named,
       "framework_get_config and keyring_get_keys name key files, never what they hold")


def test_save_config():
    """rpc.py save_config, then nvmetcfg import --from spdk: the same configuration."""
    saved = spdk_rpc.save_config(spdk_rpc.Client(SOCK, 10))
    nvmf = [s["config"] for s in saved["subsystems"] if s["subsystem"] == "nvmf"][0]
    keys = [s["config"] for s in saved["subsystems"] if s["subsystem"] == "keyring"][0]
    ok(keys == [{"method": "keyring_file_add_key", "params": {"name": "nvmetd-host1-key", "path": KEYFILE}}],
       "save_config: keyring: [Host1]'s key file by a name")
    ok([c["method"] for c in nvmf].count("nvmf_create_subsystem") == 2 and
       {"method": "nvmf_subsystem_add_host", "params": {"nqn": "nqn.2016-06.io.spdk:cnode1", "host":
        "nqn.2014-08.org.nvmexpress:uuid:host1", "dhchap_key": "nvmetd-host1-key"}} in nvmf, "save_config: nvmf")
    path = write("saved.json", json.dumps(saved, indent=2))
    p = subprocess.run([NVMETCFG, "import", "--from", "spdk", path], capture_output=True, text=True, env=ENV)
    write("imported.conf", p.stdout)
    plan = lambda f: subprocess.run([NVMETCFG, "plan", "--rpc-conf", "none", f], capture_output=True, text=True,
                                    env=ENV).stdout.replace(f, "FILE")
    ok(p.returncode == 0 and "DhchapKey " + KEYFILE in p.stdout and plan(T + "/imported.conf") == plan(T + "/nvmf.conf"),
       "import of save_config: nvmetcfg plans the same as for nvmf.conf")


def test_framing():
    c = spdk_rpc.Client(SOCK, 10)
    reqs = [c.request("spdk_get_version"), c.request("framework_wait_init"), c.request("bdev_get_bdevs", {"name": "AIO0"})]
    c.send(*reqs)  # rpc.py's flush(): pretty-printed, joined by "\n"
    got = [c.recv() for _ in reqs]
    ok([r["id"] for r in got] == [1, 2, 3] and got[1]["result"] is True, "three pretty-printed requests in one send")
    s = connect()
    data = json.dumps({"jsonrpc": "2.0", "method": "framework_wait_init", "id": "slow"}, indent=2).encode()
    for i in range(len(data)):
        s.send(data[i:i + 1])
        time.sleep(0.002)
    ok(s.recv(4096) == b'{"jsonrpc":"2.0","id":"slow","result":true}\n', "one byte at a time; compact reply, one newline")
    s.send(b'{"jsonrpc":"2.0","method":"framework_wait_init"}{"jsonrpc":"2.0","method":"x_none"}'
           b'{"jsonrpc":"2.0","method":"framework_wait_init","id":9}')
    time.sleep(0.2)
    ok(s.recv(4096) == b'{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found"}}\n'
       b'{"jsonrpc":"2.0","id":9,"result":true}\n', "a notification: no result; its error still sent")
    s.send(b'[{"jsonrpc":"2.0","method":"framework_wait_init","id":1},7]')
    ok(json.loads(s.recv(4096)) == [{"jsonrpc": "2.0", "id": 1, "result": True}, {"jsonrpc": "2.0", "id": None,
       "error": {"code": -32600, "message": "Invalid request"}}], "a batch: one array of replies")
    s.send('{"jsonrpc":"2.0","method":"bdev_get_bdevs","id":"\u00e9","params":{"name":"\u00e9"}}'.encode())
    r = s.recv(4096)
    ok(r == b'{"jsonrpc":"2.0","id":"\\u00e9","error":{"code":-19,"message":"No such device"}}\n', "replies are ASCII")
    s.close()


def test_hostile():
    for what, data in (("garbage", b'{"jsonrpc":"2.0","method":"x","id":1,}'),
                       ("deep nesting", b"[" * 100000),
                       ("a NUL byte", b'{"jsonrpc":"2.0","method":"x\0"}'),
                       ("invalid UTF-8", b'{"jsonrpc":"2.0","method":"\xff\xfe","id":1}')):
        s = connect()
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed before it was all sent
        reply, eof = read_until_eof(s)
        s.close()
        ok(reply == b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}\n' and eof,
           what + ": -32700, then closed")
    s = connect()
    try:
        s.sendall(b'{"jsonrpc":"2.0","method":"x","id":1,"params":{"s":"' + b"x" * (2 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply, eof = read_until_eof(s)
    s.close()
    ok(reply.startswith(b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700') and eof, "2 MiB request: -32700, closed")
    s = connect()
    s.sendall(b'{"jsonrpc":"2.0","method":"spdk_get_')
    s.close()
    ok(alive(), "a client gone mid-request: nvmetd serves on")
    s = connect()
    req = json.dumps({"jsonrpc": "2.0", "method": "nvmf_get_subsystems", "id": 1}).encode()
    s.setblocking(False)
    try:
        s.send(req * 3000)  # about 3 MB of replies nobody reads: nvmetd stops reading at 1 MiB queued
    except BlockingIOError:
        pass
    time.sleep(0.5)
    ok(alive(), "a client that does not read its replies: others are served")
    s.close()
    ok(alive(), "a client gone mid-reply: nvmetd serves on")
    s = connect()
    sender = threading.Thread(target=s.sendall, args=(req * 3000,))  # while this side reads
    sender.start()
    n, buf = 0, b""
    while n < 3000:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
        n += chunk.count(b"\n")
        time.sleep(0.001)
    sender.join()
    s.close()
    ok(n == 3000, "3000 requests in one send: 3000 replies, read slowly (%d)" % n)


def test_connections():
    conns = [connect() for _ in range(32)]
    extra = connect()
    reply, eof = read_until_eof(extra)
    ok(reply == b"" and eof, "the 33rd client is closed")
    for c in conns:
        c.close()
    ok(wait_for(alive, 5), "after they leave, clients are served again")
    os.chmod(T, 0o711)
    os.chmod(SOCK, 0o666)  # only so SO_PEERCRED is reached: nvmetd makes it 0600
    code = ("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(%r)\ntry:\n"
            "    s.sendall(b'{\"method\":\"spdk_get_version\",\"id\":1}')\n    print(s.recv(100))\n"
            "except (BrokenPipeError, ConnectionResetError):\n    print(b'')\n" % SOCK)
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
                         capture_output=True, text=True, timeout=20)
    ok(out.stdout.strip() == "b''", "uid 65534: closed without a reply (SO_PEERCRED)")
    os.chmod(SOCK, 0o600)
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
                         capture_output=True, text=True, timeout=20)
    ok("PermissionError" in out.stderr, "uid 65534 and the socket's mode 0600: cannot connect")
    os.chmod(T, 0o700)
    ok(alive(), "nvmetd serves on")


def test_lock(first):
    other = os.path.join(T, "second.conf")
    shutil.copy(settings(SOCK), other)
    p = start(other, os.path.join(T, "second.log"))
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    log = open(os.path.join(T, "second.log")).read()
    ok("in use" in log and alive(), "a second nvmetd on the same socket: refused by the lock; the first serves on")
    stale = os.path.join(T, "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    p = start(settings(stale), os.path.join(T, "stale.log"))
    ok(wait_for(lambda: "serving SPDK JSON-RPC" in open(os.path.join(T, "stale.log")).read()),
       "a stale socket without its lock holder is replaced")
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    ok(not os.path.exists(stale) and not os.path.exists(stale + ".lock"), "SIGTERM removes the socket and its lock file")
    reg = write("regular", "precious\n")
    p = start(settings(reg), os.path.join(T, "reg.log"))
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    ok(open(reg).read() == "precious\n" and "not a socket" in open(os.path.join(T, "reg.log")).read(),
       "a regular file at rpc_socket is left alone")


FK = os.path.join(T, "fk")
FSOCK = os.path.join(FK, "spdk.sock")
NQN = "nqn.2016-06.io.spdk:cnode1"


def fcall(method, params=None):
    return call(method, params, FSOCK)


def fres(method, params=None):
    return result(method, params, FSOCK)


def ferr(method, params=None):
    return error(method, params, FSOCK)


def cfs(path=""):
    return os.path.join(FK, "cfs/nvmet", path)


def start_fake():
    env = dict(ENV, NVMET_CONFIGFS_ROOT=FK + "/cfs", NVMET_SYSFS_ROOT=FK + "/sys", NVMET_RUN_DIR=FK + "/run",
               NVMET_LOCK_FILE=FK + "/run/apply.lock")
    p = subprocess.Popen([NVMETD_FAKE, "-f", "-c", FK + "/nvmetd.conf"], env=env, stdout=open(FK + "/log", "a"),
                         stderr=subprocess.STDOUT)
    ok(wait_for(lambda: os.path.exists(FSOCK)), "nvmetd-fake listens")
    return p


def stop_fake(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(20)


def walkthrough():
    """SPDK's doc/nvmf.md "Using RPCs", as rpc.py sends it."""
    ok(fres("nvmf_create_transport", {"trtype": "TCP", "max_io_qpairs_per_ctrlr": 8, "in_capsule_data_size": 8192,
                                      "io_unit_size": 16384, "no_srq": False, "c2h_success": True, "zcopy": False})
       is True, "nvmf_create_transport TCP")
    ok(ferr("nvmf_create_transport", {"trtype": "TCP"})["message"].startswith("Transport type 'TCP' already exists"),
       "a second TCP transport: already exists")
    ok(fres("bdev_malloc_create", {"num_blocks": 131072, "block_size": 512, "name": "Malloc0", "md_interleave": False,
                                   "dif_is_head_of_md": False}) == "Malloc0", "bdev_malloc_create Malloc0")
    ok(fres("bdev_aio_create", {"filename": FK + "/disk.img", "name": "AIO1", "readonly": False}) == "AIO1",
       "bdev_aio_create AIO1")
    ok(fres("nvmf_create_subsystem", {"nqn": NQN, "allow_any_host": True, "serial_number": "SPDK00000000000001",
                                      "model_number": "SPDK_Controller1", "ana_reporting": False, "passthrough": False,
                                      "enable_nssr": False}) is True, "nvmf_create_subsystem")
    ok(fres("nvmf_subsystem_add_ns", {"nqn": NQN, "namespace": {"bdev_name": "AIO1", "no_auto_visible": False}}) == 1,
       "nvmf_subsystem_add_ns: nsid 1")
    ok(fres("nvmf_subsystem_add_ns", {"nqn": NQN, "namespace": {"bdev_name": "Malloc0"}}) == 2, "add_ns Malloc0: nsid 2")
    ok(fres("nvmf_subsystem_add_listener", {"nqn": NQN, "secure_channel": False, "listen_address": {
        "trtype": "tcp", "traddr": "127.0.0.1", "trsvcid": "4421"}}) is True, "nvmf_subsystem_add_listener")
    ok(fres("nvmf_subsystem_add_host", {"nqn": NQN, "host": "nqn.2014-08.org.nvmexpress:uuid:h2"}) is True,
       "nvmf_subsystem_add_host")
    ok(fres("nvmf_subsystem_allow_any_host", {"nqn": NQN, "allow_any_host": False}) is True, "allow_any_host false")


H3 = "nqn.2014-08.org.nvmexpress:uuid:h3"
FKEY0 = FKEY1 = ""


def keyring():
    """SPDK's DH-HMAC-CHAP walkthrough (doc/nvmf.md): keyring_file_add_key, add_host --dhchap-key."""
    global FKEY0, FKEY1
    FKEY0 = write("fk/key0", dhchap_secret() + "\n", 0o600)
    FKEY1 = write("fk/ckey0", dhchap_secret() + "\n", 0o600)
    loose = write("fk/loose.key", dhchap_secret() + "\n", 0o644)
    ok(fres("keyring_file_add_key", spdk_rpc.shaped("keyring_file_add_key", ["key0", FKEY0])) is True and
       fres("keyring_file_add_key", {"name": "ckey0", "path": FKEY1}) is True, "keyring_file_add_key key0, ckey0")
    e = ferr("keyring_file_add_key", {"name": "key0", "path": FKEY1})
    ok(e["code"] == -17 and e["message"].startswith("File exists"), "a name taken: -17 File exists")
    e = ferr("keyring_file_add_key", {"name": "k2", "path": "key0"})
    ok(e["code"] == -1 and "absolute" in e["message"], "a relative path: -1 (EPERM)")
    e = ferr("keyring_file_add_key", {"name": "k2", "path": loose})
    ok(e["code"] == -1 and "chmod 600" in e["message"], "a key file others may read: -1, chmod 600")
    e = ferr("keyring_file_add_key", {"name": "k2", "path": FK + "/nope"})
    ok(e["code"] == -2, "a missing file: -2")
    bad = write("fk/bad.key", "not a key\n", 0o600)
    e = ferr("keyring_file_add_key", {"name": "k2", "path": bad})
    ok(e is not None and "neither kind of key" in e["message"] and "k2" not in open(FK + "/rpc.conf").read(),
       "a file that holds no key: refused by nvmetd's key file checks")
    e = ferr("nvmf_subsystem_add_host", {"nqn": NQN, "host": H3, "dhchap_key": "nokey"})
    ok(e["code"] == -32602 and e["message"].startswith("Invalid parameters"), "an unknown key name: -32602")
    ok(fres("nvmf_subsystem_add_host", spdk_rpc.shaped("nvmf_subsystem_add_host", [
        NQN, H3, "--dhchap-key", "key0", "--dhchap-ctrlr-key", "ckey0"])) is True, "add_host --dhchap-key key0")
    host = [h for s in fres("nvmf_get_subsystems") if s["nqn"] == NQN for h in s["hosts"] if h["nqn"] == H3]
    ok(host == [{"nqn": H3, "dhchap_key": "key0", "dhchap_ctrlr_key": "ckey0"}], "nvmf_get_subsystems: the key names")
    keys = fres("keyring_get_keys")
    ok(sorted((k["name"], k["path"], k["refcnt"], k["removed"], k["module"]) for k in keys) ==
       [("ckey0", FKEY1, 2, False, "keyring_file"), ("key0", FKEY0, 2, False, "keyring_file")], "keyring_get_keys")
    e = ferr("keyring_file_remove_key", {"name": "key0"})
    ok(e["code"] == -16 and H3 in e["message"], "removing a key a host uses: -16, naming the host")
    ok(ferr("keyring_file_remove_key", {"name": "nope"}) == {"code": -126, "message": "Required key not available"},
       "removing an unknown key: -126")
    text = open(FK + "/rpc.conf").read()
    ok("[Keyring]" in text and "Key key0 " + FKEY0 in text and "DhchapKey " + FKEY0 in text and
       "DhchapCtrlKey " + FKEY1 in text, "rpc.conf: [Keyring] and the host's [HostN]")
    hk = cfs("hosts/" + H3 + "/dhchap_key")
    ok(not os.path.exists(hk) or open(hk).read().strip() == open(FKEY0).read().strip(),
       "configfs: the host's dhchap_key from key0's file")


def keyring_teardown():
    ok(fres("nvmf_subsystem_remove_host", {"nqn": NQN, "host": H3}) is True, "remove_host h3")
    ok(fres("keyring_file_remove_key", {"name": "key0"}) is True and fres("keyring_file_remove_key", {"name": "ckey0"}),
       "then its keys can go")
    text = open(FK + "/rpc.conf").read()
    ok("[Keyring]" not in text and "[Host" not in text and fres("keyring_get_keys") == [], "rpc.conf: no key left")


def round_trip():
    """rpc.py save_config of nvmf.conf's and rpc.conf's objects, imported: the same configuration."""
    saved = spdk_rpc.save_config(spdk_rpc.Client(FSOCK, 10))
    path = write("fk/saved.json", json.dumps(saved, indent=2))
    rc, conf = nvmetcfg("import", "--from", "spdk", path)
    write("fk/imported.conf", conf)
    ok(rc == 0 and "[Keyring]" in conf and "Key key0 " + FKEY0 in conf and "DhchapKey " + FKEY0 in conf,
       "import of save_config: the keyring names and the host's key files")
    ok("  ControllerIDs 100-199\n" in conf and "  Listen TCP 127.0.0.1:4425 inaccessible tls\n" in conf and
       "  Referral TCP 127.0.0.1:8009\n" in conf and "DhchapKey " + FKEY1 in conf,
       "import of save_config: the controller-ID range, the TLS listener's ANA state, the referral, h5's new key")
    ops = lambda out: [x for x in out.split("\n") if x.startswith("  ") or "operations" in x]  # not warnings (lines)
    rc1, p1 = nvmetcfg("plan", FK + "/nvmf.conf")
    rc2, p2 = nvmetcfg("plan", "--rpc-conf", "none", FK + "/imported.conf")
    ok(rc1 == rc2 == 0 and ops(p1) == ops(p2) and ops(p1), "the imported file plans as nvmf.conf with rpc.conf")
    if ops(p1) != ops(p2):
        print("# " + p1.replace("\n", "\n# ") + "\n# ---\n# " + p2.replace("\n", "\n# "))


N5 = "nqn.2016-06.io.spdk:cnode5"
H5 = "nqn.2014-08.org.nvmexpress:uuid:h5"
LA5 = {"trtype": "tcp", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4425"}
REF = {"trtype": "tcp", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "8009"}
DISC = "nqn.2014-08.org.nvmexpress.discovery"


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def port_dir(svc):
    ports = [p for p in os.listdir(cfs("ports")) if read(cfs("ports/%s/addr_trsvcid" % p)) == svc]
    return cfs("ports/" + ports[0]) if len(ports) == 1 else ""


def listeners5(state):
    return [{"address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4425"},
             "ana_states": [{"ana_group": 1, "ana_state": state}]}]


def cntlids_and_listener():
    """create_subsystem's controller-ID range; SPDK's TLS walkthrough's listener (--secure-channel) with an
    ANA state, then set_ana_state."""
    ok(fres("nvmf_create_subsystem", {"nqn": N5, "serial_number": "SPDK5", "min_cntlid": 100, "max_cntlid": 199})
       is True, "create_subsystem min_cntlid 100 max_cntlid 199")
    s5 = cfs("subsystems/" + N5)
    ok(read(s5 + "/attr_cntlid_min") == "100" and read(s5 + "/attr_cntlid_max") == "199", "configfs: attr_cntlid_min/max")
    sub = [x for x in fres("nvmf_get_subsystems") if x["nqn"] == N5]
    ok(sub and (sub[0]["min_cntlid"], sub[0]["max_cntlid"]) == (100, 199), "nvmf_get_subsystems: min_cntlid, max_cntlid")
    ok(ferr("nvmf_create_subsystem", {"nqn": "nqn.2016-06.io.spdk:c6", "min_cntlid": 9, "max_cntlid": 3}) ==
       {"code": -32602, "message": "Invalid cntlid range [9-3]"}, "a range upside down: SPDK's error")
    ok(fres("nvmf_subsystem_add_listener", {"nqn": N5, "listen_address": LA5, "secure_channel": True,
                                            "ana_state": "non_optimized"}) is True,
       "add_listener --secure-channel, ana_state non_optimized")
    p = port_dir("4425")
    ok(p and read(p + "/addr_tsas") == "tls1.3" and read(p + "/addr_treq") == "required" and
       read(p + "/ana_groups/1/ana_state") == "non-optimized", "configfs: a TLS port, ANA group 1 non-optimized")
    ok(fres("nvmf_subsystem_get_listeners", {"nqn": N5}) == listeners5("non_optimized"), "get_listeners: non_optimized")
    ok(fres("nvmf_subsystem_listener_set_ana_state", {"nqn": N5, "listen_address": LA5, "ana_state": "inaccessible"})
       is True, "nvmf_subsystem_listener_set_ana_state inaccessible")
    ok(read(p + "/ana_groups/1/ana_state") == "inaccessible" and
       fres("nvmf_subsystem_get_listeners", {"nqn": N5}) == listeners5("inaccessible"),
       "configfs and get_listeners: inaccessible")
    e = ferr("nvmf_subsystem_add_listener", {"nqn": N5, "secure_channel": True, "listen_address": {
        "trtype": "rdma", "traddr": "127.0.0.1", "trsvcid": "4426"}})
    ok(e["code"] == -32602 and "TLS is for NVMe/TCP only" in e["message"], "secure_channel on RDMA: -32602")
    rpc_conf = open(FK + "/rpc.conf").read()
    e = ferr("nvmf_subsystem_listener_set_ana_state", {"nqn": N5, "listen_address": LA5, "ana_state": "persistent_loss"})
    ok(e["code"] == -32602 and e["message"].startswith("Invalid parameters: ana_state persistent_loss"),
       "set_ana_state persistent_loss: SPDK's -32602, the states it takes")
    ok(ferr("nvmf_subsystem_listener_set_ana_state", {"nqn": "nqn.x:none", "listen_address": LA5, "ana_state":
            "optimized"}) == {"code": -32602, "message": "Unable to find subsystem with NQN nqn.x:none"},
       "set_ana_state of an unknown subsystem: SPDK's wording")
    e = ferr("nvmf_subsystem_listener_set_ana_state", {"nqn": "nqn.2016-06.io.spdk:file1", "ana_state": "inaccessible",
                                                       "listen_address": dict(LA5, trsvcid="4420")})
    ok(e["code"] == -1 and FK + "/nvmf.conf line" in e["message"], "set_ana_state of nvmf.conf's subsystem: refused")
    e = ferr("nvmf_subsystem_listener_set_ana_state", {"nqn": N5, "listen_address": LA5, "ana_state": "optimized",
                                                       "anagrpid": 2})
    ok(e["code"] == -32603 and e["message"].startswith("error setting ANA state: -22"), "anagrpid 2: SPDK's -22")
    ok(open(FK + "/rpc.conf").read() == rpc_conf and read(p + "/ana_groups/1/ana_state") == "inaccessible",
       "the refused calls changed neither rpc.conf nor configfs")


def referrals():
    ok(fres("nvmf_discovery_add_referral", {"address": REF, "secure_channel": False, "subnqn": DISC}) is True,
       "nvmf_discovery_add_referral")
    want = [{"address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "8009"},
             "secure_channel": False, "subnqn": DISC}]
    ok(fres("nvmf_discovery_get_referrals") == want, "nvmf_discovery_get_referrals: SPDK's shape")
    ports = os.listdir(cfs("ports"))
    ok(len(ports) >= 2 and all(read(cfs("ports/%s/referrals/tcp-127.0.0.1-8009/enable" % x)) == "1" for x in ports),
       "configfs: the referral on every port (nvmf.conf's too)")
    rpc_conf = open(FK + "/rpc.conf").read()
    ok(fres("nvmf_discovery_add_referral", {"address": REF}) is True and open(FK + "/rpc.conf").read() == rpc_conf,
       "the same referral again: true, nothing changed (SPDK's)")
    ok(ferr("nvmf_discovery_remove_referral", {"address": dict(REF, trsvcid="8010")}) ==
       {"code": -32603, "message": "Unable to remove a referral."}, "removing an unknown referral: SPDK's error")
    e = ferr("nvmf_discovery_add_referral", {"address": dict(REF, trsvcid="8011"), "secure_channel": True})
    ok(e["code"] == -32602 and "secure_channel" in e["message"], "a secure_channel referral: refused, said why")
    e = ferr("nvmf_discovery_add_referral", {"address": dict(REF, trsvcid="8011"), "subnqn": NQN})
    ok(e["code"] == -32602 and "discovery services" in e["message"], "a referral to a subsystem: refused, said why")
    ok(ferr("nvmf_discovery_add_referral", {"address": {"trtype": "tcp", "traddr": "127.0.0.1"}}) ==
       {"code": -32603, "message": "Service ID is required."}, "no trsvcid: SPDK's error")


def set_keys():
    """nvmf_subsystem_set_keys: a host's DH-HMAC-CHAP key changed in place (configfs rewritten)."""
    ok(fres("nvmf_subsystem_add_host", {"nqn": N5, "host": H5, "dhchap_key": "key0"}) is True, "add_host h5 key0")
    hk = cfs("hosts/%s/dhchap_key" % H5)
    ok(read(hk) == read(FKEY0), "configfs: h5's dhchap_key is key0's")
    ok(fres("nvmf_subsystem_set_keys", spdk_rpc.shaped("nvmf_subsystem_set_keys", [N5, H5, "--dhchap-key", "ckey0"]))
       is True, "nvmf_subsystem_set_keys --dhchap-key ckey0")
    ok(read(hk) == read(FKEY1) and "DhchapKey " + FKEY1 in open(FK + "/rpc.conf").read(),
       "configfs and rpc.conf: h5's key is ckey0's now")
    host = [h for s in fres("nvmf_get_subsystems") if s["nqn"] == N5 for h in s["hosts"]]
    ok(host == [{"nqn": H5, "dhchap_key": "ckey0"}], "nvmf_get_subsystems: the new key's name")
    e = ferr("nvmf_subsystem_set_keys", {"nqn": N5, "host": H5})
    ok(e["code"] == -22 and "remove the host" in e["message"] and read(hk) == read(FKEY1),
       "set_keys without a key: -22 (nvmetd never clears a key), nothing changed")
    ok(ferr("nvmf_subsystem_set_keys", {"nqn": N5, "host": H3, "dhchap_key": "key0"})["code"] == -22,
       "set_keys of a host the subsystem does not allow: -22")
    ok(ferr("nvmf_subsystem_set_keys", {"nqn": N5, "host": H5, "dhchap_key": "nokey"})["code"] == -32602,
       "set_keys of an unknown key: -32602")


def ports_after_restart():
    ok(fres("nvmf_subsystem_get_listeners", {"nqn": N5}) == listeners5("inaccessible") and
       read(port_dir("4425") + "/addr_tsas") == "tls1.3", "after a restart: the TLS listener, inaccessible")
    ok([r["address"]["trsvcid"] for r in fres("nvmf_discovery_get_referrals")] == ["8009"] and
       read(cfs("subsystems/%s/attr_cntlid_min" % N5)) == "100" and read(cfs("hosts/%s/dhchap_key" % H5)) == read(FKEY1),
       "... the referral, the controller-ID range and h5's key")


def ports_teardown():
    ok(fres("nvmf_discovery_remove_referral", {"address": REF}) is True and fres("nvmf_discovery_get_referrals") == [] and
       not any(os.path.exists(cfs("ports/%s/referrals/tcp-127.0.0.1-8009" % x)) for x in os.listdir(cfs("ports"))),
       "nvmf_discovery_remove_referral: gone from every port")
    ok(fres("nvmf_delete_subsystem", {"nqn": N5}) is True and not port_dir("4425"), "cnode5 deleted, its TLS port too")
    text = open(FK + "/rpc.conf").read()
    ok("[Discovery]" not in text and H5 not in text and "4425" not in text, "rpc.conf: none of it left")


def check_tree(what):
    sub = cfs("subsystems/" + NQN)
    ok(open(sub + "/attr_serial").read().strip() == "SPDK00000000000001" and
       open(sub + "/attr_model").read().strip() == "SPDK_Controller1", what + ": serial and model in configfs")
    ok(open(sub + "/namespaces/1/device_path").read().strip() == FK + "/disk.img" and
       open(sub + "/namespaces/1/enable").read().strip() == "1", what + ": namespace 1 enabled on the AIO file")
    ss = [x for x in fres("nvmf_get_subsystems") if x["nqn"] == NQN]
    ok(not os.path.isdir(sub + "/namespaces/2") and [n["nsid"] for n in ss[0]["namespaces"]] == [1, 2],
       what + ": namespace 2 (Malloc0) desired, waiting for its RAM disk (no null_blk here)")
    ports = [p for p in os.listdir(cfs("ports")) if open(cfs("ports/%s/addr_trsvcid" % p)).read().strip() == "4421"]
    ok(len(ports) == 1 and os.path.islink(cfs("ports/%s/subsystems/%s" % (ports[0], NQN))) and
       open(cfs("ports/%s/param_inline_data_size" % ports[0])).read().strip() == "8192",
       what + ": port 4421 linked, in-capsule data 8192 from the transport")
    ok(os.path.islink(sub + "/allowed_hosts/nqn.2014-08.org.nvmexpress:uuid:h2") and
       open(sub + "/attr_allow_any_host").read().strip() == "0", what + ": the host allowed, no other")


def refusals():
    rpc_conf = open(FK + "/rpc.conf").read()
    tree = sorted(os.listdir(cfs("subsystems")))
    e = ferr("nvmf_delete_subsystem", {"nqn": "nqn.2016-06.io.spdk:file1"})
    ok(e["code"] == -1 and FK + "/nvmf.conf line 3" in e["message"], "nvmf.conf's subsystem: refused, file and line")
    e = ferr("bdev_aio_create", {"filename": "/x", "name": "AIO0"})
    ok(e["code"] == -17 and "nvmf.conf line 2" in e["message"], "nvmf.conf's bdev name: -17, file and line")
    e = ferr("nvmf_create_subsystem", {"nqn": "nqn.2016-06.io.spdk:cnode9", "serial_number": "x" * 300})
    ok(e is not None and "cnode9" not in os.listdir(cfs("subsystems")), "a 300-byte serial: refused (%s)" % e)
    ok(ferr("nvmf_create_subsystem", {"nqn": "nqn.x:a\"b"})["code"] == -32602, "an NQN with a quote: refused")
    ok(ferr("nvmf_create_subsystem", {"nqn": "nqn.x:" + "a" * 100000})["code"] in (-32602, -32603), "a huge NQN: refused")
    ok(ferr("nvmf_create_subsystem", {"nqn": 5})["code"] == -32602, "a number for nqn: -32602")
    ok(ferr("bdev_malloc_create", {"num_blocks": "8", "block_size": 512})["code"] == -32603, "bdev wrong type: -32603")
    ok(ferr("bdev_malloc_create", {"num_blocks": 8, "block_size": 512})["code"] == -22, "a malloc of 4 KiB: -22")
    ok(ferr("nvmf_subsystem_add_ns", {"nqn": NQN, "namespace": {"bdev_name": "Nope"}})["code"] == -32602,
       "add_ns of a missing bdev")
    os.chmod(FK + "/gone.img", 0o000) if os.path.exists(FK + "/gone.img") else None
    ok(fres("bdev_aio_create", {"filename": FK + "/missing-dir/x.img", "name": "AIO2"}) == "AIO2", "an AIO bdev")
    e = ferr("bdev_aio_delete", {"name": "AIO1"})
    ok(e["code"] == -16, "deleting a bdev in use: busy")
    ok(open(FK + "/rpc.conf").read() != rpc_conf and "AIO2" in open(FK + "/rpc.conf").read(), "rpc.conf has AIO2")
    ok(fres("bdev_aio_delete", {"name": "AIO2"}) is True and open(FK + "/rpc.conf").read() == rpc_conf,
       "deleted: rpc.conf as before")
    ok(sorted(os.listdir(cfs("subsystems"))) == tree, "the refused requests changed nothing in configfs")


def test_http_proxy():
    """SPDK's scripts/rpc_http_proxy.py framing (tests/rpc/http-proxy.py does what it does): one request
    per connection, read until the bytes parse as JSON; driven as spdk-csi and Cinder do (HTTP POST,
    Basic auth)."""
    import urllib.error
    import urllib.request
    proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "http-proxy.py"), "127.0.0.1", "0", "spdk", "secret",
                              "-s", FSOCK], stdout=subprocess.PIPE, text=True)
    try:
        line = proxy.stdout.readline()
        url = "http://" + line.split(" on ")[-1].strip() + "/"

        def post(method, params=None, password="secret", rid=7):
            req = {"jsonrpc": "2.0", "id": rid, "method": method}
            if params:
                req["params"] = params
            auth = base64.b64encode(("spdk:" + password).encode()).decode()
            r = urllib.request.Request(url, data=json.dumps(req).encode(), method="POST",
                                       headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, json.loads(resp.read())

        st, r = post("nvmf_get_subsystems")
        ok(st == 200 and r["id"] == 7 and r["result"][0]["subtype"] == "Discovery" and
           any(x["nqn"] == NQN for x in r["result"]), "HTTP proxy: nvmf_get_subsystems (a reply of several KiB)")
        st, r = post("nvmf_create_subsystem", {"nqn": "nqn.2016-06.io.spdk:http1", "allow_any_host": True}, rid=8)
        ok(st == 200 and r == {"jsonrpc": "2.0", "id": 8, "result": True} and
           os.path.isdir(cfs("subsystems/nqn.2016-06.io.spdk:http1")), "HTTP proxy: nvmf_create_subsystem, applied")
        st, r = post("nvmf_delete_subsystem", {"nqn": "nqn.2016-06.io.spdk:http1"})
        ok(st == 200 and r["result"] is True and "http1" not in open(FK + "/rpc.conf").read(), "HTTP proxy: deleted")
        st, r = post("nvmf_subsystem_add_ns", {"nqn": "nqn.x:none", "namespace": {"bdev_name": "AIO1"}})
        ok(st == 200 and r["error"] == {"code": -32602, "message": "Invalid parameters"},
           "HTTP proxy: an error is a JSON-RPC error in a 200 reply")
        try:
            post("spdk_get_version", password="wrong")
            ok(False, "HTTP proxy: a wrong password is refused")
        except urllib.error.HTTPError as e:
            ok(e.code == 401, "HTTP proxy: a wrong password is 401")
    finally:
        proxy.terminate()
        proxy.wait(10)


def nvmetcfg(*args):
    env = dict(ENV, NVMET_CONFIGFS_ROOT=FK + "/cfs", NVMET_SYSFS_ROOT=FK + "/sys", NVMET_RUN_DIR=FK + "/run",
               NVMET_LOCK_FILE=FK + "/run/apply.lock", NVMETD_CONF=FK + "/nvmetd.conf", NVMETD_STATE=FK + "/state.json")
    p = subprocess.run([NVMETCFG] + list(args), env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def cli():
    """nvmetcfg loads rpc.conf with nvmf.conf, as nvmetd does: it never removes what RPC clients made."""
    # (Malloc0's namespace waits for null_blk on this host: plan would add it, nothing else)
    rc, out = nvmetcfg("plan", FK + "/nvmf.conf")
    ok(rc == 0 and "rmdir" not in out and "namespaces/2/enable" in out, "nvmetcfg plan: nvmf.conf and rpc.conf, no removal")
    rc, out = nvmetcfg("plan", "--rpc-conf", "none", FK + "/nvmf.conf")
    ok(rc == 0 and "rmdir" in out and NQN in out, "nvmetcfg plan --rpc-conf none: would remove RPC's subsystem")
    rc, out = nvmetcfg("check", FK + "/nvmf.conf")
    ok(rc == 0 and "0 errors" in out, "nvmetcfg check: both files, no errors")
    rc, out = nvmetcfg("status")
    lines = out.split("\n")
    ok(any(x.startswith("namespace %s/1 " % NQN) and x.endswith("[from %s/rpc.conf]" % FK) for x in lines) and
       any(x.startswith("namespace nqn.2016-06.io.spdk:file1/1 ") and "[from" not in x for x in lines) and
       any("127.0.0.1 4421" in x and "[from %s/rpc.conf]" % FK in x for x in lines),
       "nvmetcfg status: RPC's objects say they come from rpc.conf, nvmf.conf's do not")
    rc, out = nvmetcfg("show")
    ok(rc == 0 and out.count("made over SPDK JSON-RPC: kept in %s/rpc.conf" % FK) == 1,
       "nvmetcfg show: says which subsystem comes from RPC")
    rc, out = nvmetcfg("save", FK + "/saved.conf")
    saved = open(FK + "/saved.conf").read() if os.path.exists(FK + "/saved.conf") else ""
    ok(rc == 0 and NQN not in saved and "nqn.2016-06.io.spdk:file1" in saved and "left out" in out,
       "nvmetcfg save: RPC's subsystem stays in rpc.conf only")
    rc, out = nvmetcfg("apply", "--keep-going", FK + "/nvmf.conf")
    ok(rc in (0, 4) and "and %s/rpc.conf" % FK in out and os.path.isdir(cfs("subsystems/" + NQN)) and
       os.path.isdir(cfs("subsystems/%s/namespaces/1" % NQN)), "nvmetcfg apply of nvmf.conf keeps RPC's subsystem")


def teardown():
    ok(fres("nvmf_subsystem_remove_listener", {"nqn": NQN, "listen_address": {
        "trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4421"}}) is True, "remove_listener")
    ok(fres("nvmf_subsystem_remove_ns", {"nqn": NQN, "nsid": 2}) is True, "remove_ns 2")
    ok(fres("nvmf_delete_subsystem", {"nqn": NQN}) is True, "nvmf_delete_subsystem")
    ok(not os.path.exists(cfs("subsystems/" + NQN)), "the subsystem is gone from configfs")
    ok(fres("bdev_malloc_delete", {"name": "Malloc0"}) is True and fres("bdev_aio_delete", {"name": "AIO1"}) is True,
       "bdevs deleted")
    ok(ferr("bdev_aio_delete", {"name": "AIO1"}) == {"code": -19, "message": "No such device"}, "again: -19")
    ok(os.listdir(cfs("subsystems")) == ["nqn.2016-06.io.spdk:file1"], "only nvmf.conf's subsystem is left")


def test_changes():
    if not os.path.exists(NVMETD_FAKE):
        ok(False, "nvmetd-fake is built (make check)")
        return
    for d in ("cfs", "sys", "run"):
        os.makedirs(os.path.join(FK, d))
    os.truncate(write("fk/disk.img", ""), 1 << 20)
    os.truncate(write("fk/file.img", ""), 1 << 20)
    write("fk/nvmf.conf", f"[AIO]\n  AIO {FK}/file.img AIO0\n[Subsystem1]\n  NQN nqn.2016-06.io.spdk:file1\n"
          "  Listen TCP 127.0.0.1:4420\n  AllowAnyHost Yes\n  Namespace AIO0 1\n")
    write("fk/nvmetd.conf", f'nvmf_conf = "{FK}/nvmf.conf";\nstate_file = "{FK}/state.json";\n'
          f'rpc_socket = "{FSOCK}";\nrpc_conf = "{FK}/rpc.conf";\non_stop = "keep";\n')
    p = start_fake()
    try:
        walkthrough()
        keyring()
        cntlids_and_listener()
        referrals()
        set_keys()
        test_http_proxy()
        check_tree("after the walkthrough")
        text = open(FK + "/rpc.conf").read()
        ok("[Malloc]" in text and "Listen TCP 127.0.0.1:4421" in text and "InCapsuleDataSize 8192" in text and
           oct(os.stat(FK + "/rpc.conf").st_mode & 0o777) == "0o600", "rpc.conf holds it, mode 0600")
        ok("ControllerIDs 100-199" in text and "Listen TCP 127.0.0.1:4425 inaccessible tls" in text and
           "[Discovery]\n  Referral TCP 127.0.0.1:8009" in text, "rpc.conf: ControllerIDs, Listen ... inaccessible tls, "
           "[Discovery] Referral")
        ok(stop_fake(p) == 0, "nvmetd-fake stops (on_stop keep)")
        shutil.rmtree(cfs())  # a reboot: the kernel forgets, rpc.conf stays
        os.makedirs(cfs())
        p = start_fake()
        check_tree("after a restart")
        ok(sorted(k["name"] for k in fres("keyring_get_keys")) == ["ckey0", "key0"], "the keyring after a restart")
        ports_after_restart()
        round_trip()
        ports_teardown()
        cli()
        refusals()
        keyring_teardown()
        teardown()
    finally:
        if p.poll() is None:
            stop_fake(p)
    if failed:
        print(open(FK + "/log").read())


FA = os.path.join(T, "fa")
ASOCK = os.path.join(FA, "spdk.sock")


def test_async():
    """A slow kernel (every configfs call 150 ms): a change is applied off the loop, the socket keeps
    answering meanwhile, concurrent changes are applied one after the other, each answered when done."""
    for d in ("cfs", "sys", "run"):
        os.makedirs(os.path.join(FA, d))
    os.truncate(write("fa/file.img", ""), 1 << 20)
    write("fa/nvmf.conf", f"[AIO]\n  AIO {FA}/file.img AIO0\n[Subsystem1]\n  NQN nqn.2016-06.io.spdk:file1\n"
          "  Listen TCP 127.0.0.1:4420\n  AllowAnyHost Yes\n  SN F1\n  Namespace AIO0 1\n")
    write("fa/nvmetd.conf", f'nvmf_conf = "{FA}/nvmf.conf";\nstate_file = "{FA}/state.json";\n'
          f'rpc_socket = "{ASOCK}";\nrpc_conf = "{FA}/rpc.conf";\non_stop = "keep";\n')
    env = dict(ENV, NVMET_CONFIGFS_ROOT=FA + "/cfs", NVMET_SYSFS_ROOT=FA + "/sys", NVMET_RUN_DIR=FA + "/run",
               NVMET_LOCK_FILE=FA + "/run/apply.lock", NVMETD_FAKE_DELAY_MS="150")
    p = subprocess.Popen([NVMETD_FAKE, "-f", "-c", FA + "/nvmetd.conf"], env=env, stdout=open(FA + "/log", "a"),
                         stderr=subprocess.STDOUT)
    answers = {}

    def change(name, method, params):
        t0 = time.monotonic()
        answers[name] = (call(method, params, ASOCK), time.monotonic() - t0)

    try:
        ok(wait_for(lambda: os.path.exists(ASOCK), 30), "slow nvmetd-fake listens")
        threads = [threading.Thread(target=change, args=("c%d" % i, "nvmf_create_subsystem", {
            "nqn": "nqn.2016-06.io.spdk:async%d" % i, "serial_number": "A%d" % i, "allow_any_host": True}))
            for i in (1, 2)]
        threads[0].start()
        time.sleep(0.3)
        threads[1].start()
        time.sleep(0.1)
        t0 = time.monotonic()
        v = call("spdk_get_version", None, ASOCK)
        subs = [x["nqn"] for x in result("nvmf_get_subsystems", None, ASOCK)]
        quick = time.monotonic() - t0
        ok(threads[0].is_alive() and "result" in v and quick < 0.5,
           "while a change is applied, the socket answers others (%.2f s)" % quick)
        ok("nqn.2016-06.io.spdk:file1" in subs and "nqn.2016-06.io.spdk:async1" not in subs,
           "meanwhile the read-only methods show the configuration before the change")
        # a client gone before its answer: the change is applied all the same, nvmetd keeps serving
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(ASOCK)
        s.sendall(json.dumps({"jsonrpc": "2.0", "method": "nvmf_subsystem_add_listener", "id": 1, "params": {
            "nqn": "nqn.2016-06.io.spdk:async1", "listen_address": {"trtype": "TCP", "traddr": "127.0.0.1",
                                                                    "trsvcid": "4421"}}}, indent=2).encode())
        s.close()
        for t in threads:
            t.join(60)
        a1, a2 = answers.get("c1", ({}, 0)), answers.get("c2", ({}, 0))
        ok(a1[0].get("result") is True and a2[0].get("result") is True and a2[1] > a1[1] - 0.3,
           "two concurrent changes: both applied, the second after the first (%.2f s, %.2f s)" % (a1[1], a2[1]))
        wait_for(lambda: "127.0.0.1:4421" in open(FA + "/rpc.conf").read(), 10)  # the third, queued after them
        rc = open(FA + "/rpc.conf").read()
        ok("async1" in rc and "async2" in rc and "Listen TCP 127.0.0.1:4421" in rc and os.path.isdir(FA + "/cfs/nvmet/subsystems/nqn.2016-06.io.spdk:async2"),
           "rpc.conf and configfs hold both, and the change of the client that left")
        subs = [x["nqn"] for x in result("nvmf_get_subsystems", None, ASOCK)]
        ok("nqn.2016-06.io.spdk:async1" in subs and "nqn.2016-06.io.spdk:async2" in subs,
           "answered when applied: the read-only methods show them")
        e = error("nvmf_create_subsystem", {"nqn": "nqn.2016-06.io.spdk:async1"}, ASOCK)
        ok(e is not None and e["code"] == -32603, "a refused change is answered at once")
        # SIGTERM while a change is applied: it finishes first, then nvmetd stops
        th = threading.Thread(target=change, args=("c3", "nvmf_delete_subsystem", {"nqn": "nqn.2016-06.io.spdk:async2"}))
        th.start()
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        th.join(60)
        ok(p.wait(60) == 0 and answers.get("c3", ({}, 0))[0].get("result") is True and
           "async2" not in open(FA + "/rpc.conf").read(), "SIGTERM mid-change: the change completes, then nvmetd stops")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if failed:
        print(open(FA + "/log").read())


def main():
    if os.geteuid() != 0:
        print("# 0 passed, 0 failed: skipped, needs root (SO_PEERCRED, setpriv)")
        return 0
    d = start(settings(SOCK), os.path.join(T, "nvmetd.log"))
    try:
        if not ok(wait_for(lambda: os.path.exists(SOCK)), "nvmetd listens on rpc_socket"):
            print(open(os.path.join(T, "nvmetd.log")).read())
            return 1
        ok(oct(os.stat(SOCK).st_mode & 0o777) == "0o600", "socket mode 0600")
        for t in (test_methods, test_nvmf, test_bdevs, test_no_secret, test_save_config, test_framing, test_hostile, test_connections):
            try:
                t()
            except Exception as e:  # a crash of one group is a failure, the rest still run
                import traceback
                traceback.print_exc(file=sys.stdout)
                ok(False, "%s: %s: %s" % (t.__name__, type(e).__name__, e))
        test_lock(d)
        test_changes()
        test_async()
        ok(d.poll() is None, "nvmetd still running")
    finally:
        d.send_signal(signal.SIGTERM)
        rc = d.wait(20)
        ok(rc == 0 and not os.path.exists(SOCK), "nvmetd stops cleanly (exit %d), socket removed" % rc)
        print("# %d passed, %d failed" % (passed, failed))
        if failed:
            print(open(os.path.join(T, "nvmetd.log")).read())
        shutil.rmtree(T, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
