#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A client of nvmetd's JSON-RPC socket that frames exactly as SPDK's scripts/rpc.py does
# (python/spdk/rpc/client.py): each request is json.dumps(req, indent=2) -- pretty-printed, no
# trailing newline, several joined by "\n" -- with keys jsonrpc, method, id[, params]; a response
# ends where a complete JSON value ends (raw_decode), not at the newline. Stdlib only.
#   spdk-rpc.py [-s SOCKET] [-t SECONDS] METHOD [JSON-PARAMS]
#   spdk-rpc.py [-s SOCKET] save_config | keyring_file_add_key NAME PATH | keyring_file_remove_key NAME |
#               nvmf_subsystem_add_host NQN HOST [--dhchap-key K] [--dhchap-ctrlr-key K] [--psk K] |
#               nvmf_subsystem_set_keys NQN HOST [--dhchap-key K] [--dhchap-ctrlr-key K]
# Prints the result as rpc.py does (json.dumps indent=2) and exits 0, or prints the error response
# and exits 1; a closed connection or a timeout exits 2.
import argparse
import json
import socket
import sys
import time


class Client:
    def __init__(self, path, timeout=60.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.buf = ""
        self.id = 0

    def request(self, method, params=None):
        self.id += 1
        req = {"jsonrpc": "2.0", "method": method, "id": self.id}
        if params:
            req["params"] = params
        return req

    def send(self, *reqs):
        self.sock.sendall("\n".join(json.dumps(r, indent=2) for r in reqs).encode("utf-8"))

    def recv(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.buf = self.buf.lstrip()
                resp, end = json.JSONDecoder().raw_decode(self.buf)
                self.buf = self.buf[end:]
                return resp
            except ValueError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Timeout while waiting for response")
            self.sock.settimeout(left)
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("Connection closed with partial response")
            self.buf += data.decode("utf-8")

    def call(self, method, params=None):
        self.send(self.request(method, params))
        return self.recv()


def save_config(client):
    """rpc.py save_config (python/spdk/rpc/__init__.py): framework_get_subsystems, then framework_get_config
    {"name": ...} for each, as {"subsystems": [{"subsystem": ..., "config": [...]}]}."""
    def result(method, params=None):
        resp = client.call(method, params)
        if "error" in resp:
            raise RuntimeError("%s: %s" % (method, resp["error"]))
        return resp["result"]
    return {"subsystems": [{"subsystem": s["subsystem"], "config": result("framework_get_config", {"name": s["subsystem"]})}
                           for s in result("framework_get_subsystems")]}


# What rpc.py sends for the commands that are not one call with JSON params: METHOD -> (positional
# params' names, options' names) as python/spdk/cli builds them (keyring_file_add_key NAME PATH;
# nvmf_subsystem_add_host NQN HOST [--psk K] [--dhchap-key K] [--dhchap-ctrlr-key K]; set_keys likewise).
SHAPES = {
    "keyring_file_add_key": (["name", "path"], []),
    "keyring_file_remove_key": (["name"], []),
    "nvmf_subsystem_add_host": (["nqn", "host"], ["psk", "dhchap_key", "dhchap_ctrlr_key"]),
    "nvmf_subsystem_set_keys": (["nqn", "host"], ["dhchap_key", "dhchap_ctrlr_key"]),
}


def shaped(method, args):
    """rpc.py's params for METHOD from its command line words (positional, then --opt value)."""
    pos, opts = SHAPES[method]
    params = dict(zip(pos, args[:len(pos)]))
    rest = args[len(pos):]
    for i in range(0, len(rest) - 1, 2):
        key = rest[i].lstrip("-").replace("-", "_")
        if key in opts:
            params[key] = rest[i + 1]
    return params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", default="/var/tmp/spdk.sock")
    ap.add_argument("-t", type=float, default=60.0)
    ap.add_argument("method")
    ap.add_argument("params", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    try:
        if a.method == "save_config":
            print(json.dumps(save_config(Client(a.s, a.t)), indent=2))
            return 0
        if a.method in SHAPES:
            params = shaped(a.method, a.params)
        else:
            params = json.loads(a.params[0]) if a.params else None
        resp = Client(a.s, a.t).call(a.method, params)
    except (OSError, TimeoutError, ConnectionError, RuntimeError) as e:
        print(e, file=sys.stderr)
        return 2
    if "error" in resp:
        print("request:\n%s\nGot JSON-RPC error response\nresponse:\n%s" %
              (json.dumps({"method": a.method, "params": a.params}), json.dumps(resp["error"], indent=2)))
        return 1
    print(json.dumps(resp["result"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
