#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A fake `lvm` for host tests (NVMET_LVM): the commands and options nvmetd's lvstore.c runs, on a state
# kept in JSON ($FAKE_LVM_STATE), with LVM's report shape (--reportformat json, --units b --nosuffix)
# and LVM's refusals that matter here (LV names beginning "snapshot", taken names). Every call is
# appended to $FAKE_LVM_STATE.log. FAKE_LVM_FAIL=<command>, or that command's name in the file
# $FAKE_LVM_STATE.fail (for a test to switch on and off), makes that command fail.
import json
import os
import sys

STATE = os.environ["FAKE_LVM_STATE"]
EXT = 4 << 20


def load():
    try:
        with open(STATE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"vgs": {}, "pvs": {}}


def save(st):
    with open(STATE, "w") as f:
        json.dump(st, f)


def die(msg, code=5):
    print("  " + msg, file=sys.stderr)
    sys.exit(code)


def size_of(s):
    s = s.lower()
    mult = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    n = int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s) << 20
    return (n + EXT - 1) // EXT * EXT


def opts(args):
    o, pos, tags, i = {}, [], [], 0
    flags = {"-s", "-f", "--yes", "-K", "--nosuffix", "-q"}
    while i < len(args):
        a = args[i]
        if a in flags:
            o[a] = True
        elif a in ("-kn", "-ay", "-an"):
            o[a] = True
        elif a == "--addtag":
            tags.append(("+", args[i + 1]))
            i += 1
        elif a == "--deltag":
            tags.append(("-", args[i + 1]))
            i += 1
        elif a.startswith("-"):
            o[a] = args[i + 1]
            i += 1
        else:
            pos.append(a)
        i += 1
    return o, pos, tags


def lv_name_ok(n):
    return not n.startswith("snapshot") and not n.startswith("pvmove")


def report(st, kind):
    rows = []
    for vgn, vg in st["vgs"].items():
        if kind == "pv":
            rows += [{"pv_name": p, "vg_name": vgn} for p in vg["pvs"]]
            continue
        for lvn, lv in vg["lvs"].items():
            pool = vg["lvs"].get(lv.get("pool", ""), {})
            used = lv.get("used", 0)
            rows.append({"vg_name": vgn, "vg_tags": ",".join(sorted(vg["tags"])), "vg_extent_size": str(EXT),
                         "lv_name": lvn, "lv_tags": ",".join(sorted(lv["tags"])), "lv_size": str(lv["size"]),
                         "lv_attr": ("t" if lv["type"] == "thin-pool" else "V") + ("r" if lv.get("ro") else "w") +
                         "i-" + ("a" if lv.get("active", True) else "-") + "otz--",
                         "pool_lv": lv.get("pool", ""), "data_percent": "%.2f" % (100.0 * used / lv["size"]),
                         "lv_path": "/dev/%s/%s" % (vgn, lvn), "chunk_size": str(65536 if lv["type"] == "thin-pool" else 0),
                         "segtype": lv["type"]})
            del pool
    print(json.dumps({"report": [{kind: rows}]}, indent=2))


def vgcreate(st, o, pos, tags):
    vg, dev = pos[0], pos[1]
    if vg in st["vgs"]:
        die('A volume group called %s already exists.' % vg)
    size = int(os.environ.get("FAKE_LVM_DEV_SIZE", str(256 << 20)))
    st["vgs"][vg] = {"pvs": [dev], "tags": [t for s, t in tags], "size": size // EXT * EXT - EXT, "lvs": {}}


def target(st, spec):
    vg, lv = spec.split("/")
    if vg not in st["vgs"] or lv not in st["vgs"][vg]["lvs"]:
        die('Failed to find logical volume "%s"' % spec)
    return st["vgs"][vg], lv


def lvcreate(st, o, pos, tags):
    name = o["-n"]
    newtags = [t for s, t in tags]
    if o.get("--type") == "thin-pool":
        vg = st["vgs"][pos[0]]
        vg["lvs"][name] = {"type": "thin-pool", "size": vg["size"], "tags": newtags, "used": 0}
        return
    if o.get("-s"):
        vg, origin = target(st, pos[0])
        src = vg["lvs"][origin]
        lv = {"type": "thin", "pool": src["pool"], "size": src["size"], "tags": newtags, "used": src.get("used", 0),
              "ro": o.get("-p") == "r", "origin": origin}
    else:
        vgn, pool = o["--thinpool"].split("/")
        vg = st["vgs"][vgn]
        lv = {"type": "thin", "pool": pool, "size": size_of(o["-V"]), "tags": newtags, "used": 0}
    if not lv_name_ok(name):
        die('Names starting "snapshot" are reserved. Please choose a different LV name.', 3)
    if name in vg["lvs"]:
        die('Logical Volume "%s" already exists in volume group' % name)
    vg["lvs"][name] = lv


def lvchange(st, o, pos, tags):
    for spec in pos:
        vg, lv = target(st, spec)
        t = vg["lvs"][lv]["tags"]
        for s, tag in tags:
            if s == "+" and tag not in t:
                t.append(tag)
            elif s == "-" and tag in t:
                t.remove(tag)
        if o.get("-ay"):
            vg["lvs"][lv]["active"] = True
        if "-p" in o:
            vg["lvs"][lv]["ro"] = o["-p"] == "r"


def vgchange(st, o, pos, tags):
    vg = st["vgs"][pos[0]]
    for s, tag in tags:
        if s == "+" and tag not in vg["tags"]:
            vg["tags"].append(tag)
        elif s == "-" and tag in vg["tags"]:
            vg["tags"].remove(tag)
    if o.get("-an"):
        for lv in vg["lvs"].values():
            lv["active"] = False


def lvrename(st, o, pos, tags):
    vg, lv = target(st, pos[0] + "/" + pos[1])
    if not lv_name_ok(pos[2]):
        die('Names starting "snapshot" are reserved. Please choose a different LV name.', 3)
    if pos[2] in vg["lvs"]:
        die('Logical Volume "%s" already exists in volume group "%s"' % (pos[2], pos[0]))
    vg["lvs"][pos[2]] = vg["lvs"].pop(lv)
    for x in vg["lvs"].values():
        if x.get("origin") == lv:
            x["origin"] = pos[2]


def vgrename(st, o, pos, tags):
    if pos[0] not in st["vgs"]:
        die('Volume group "%s" not found' % pos[0])
    if pos[1] in st["vgs"]:
        die('New volume group "%s" already exists' % pos[1])
    st["vgs"][pos[1]] = st["vgs"].pop(pos[0])


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    with open(STATE + ".log", "a") as f:
        f.write(" ".join(sys.argv[1:]) + "\n")
    try:
        with open(STATE + ".fail") as f:
            fail = f.read().strip()
    except FileNotFoundError:
        fail = os.environ.get("FAKE_LVM_FAIL")
    if fail == cmd:
        die("fake failure of %s" % cmd)
    st = load()
    o, pos, tags = opts(args)
    if cmd in ("lvs", "pvs"):
        return report(st, "lv" if cmd == "lvs" else "pv")
    if cmd == "vgcreate":
        vgcreate(st, o, pos, tags)
    elif cmd == "lvcreate":
        lvcreate(st, o, pos, tags)
    elif cmd == "lvchange":
        lvchange(st, o, pos, tags)
    elif cmd == "lvresize":
        vg, lv = target(st, pos[0])
        vg["lvs"][lv]["size"] = size_of(o["-L"])
    elif cmd == "lvremove":
        vg, lv = target(st, pos[0])
        del vg["lvs"][lv]
    elif cmd == "vgremove":
        st["vgs"].pop(pos[0], None)
    elif cmd in ("vgchange", "lvrename", "vgrename"):
        {"vgchange": vgchange, "lvrename": lvrename, "vgrename": vgrename}[cmd](st, o, pos, tags)
    elif cmd == "pvremove":
        pass
    else:
        die("fake lvm: %s is not faked" % cmd, 3)
    save(st)


if __name__ == "__main__":
    main()
