#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A client of nvmetd's JSON-RPC socket that frames exactly as SPDK's scripts/rpc.py does
# (python/spdk/rpc/client.py): each request is json.dumps(req, indent=2) -- pretty-printed, no
# trailing newline, several joined by "\n" -- with keys jsonrpc, method, id[, params]; a response
# ends where a complete JSON value ends (raw_decode), not at the newline. Stdlib only.
#   spdk-rpc.py [-s SOCKET] [-t SECONDS] METHOD [JSON-PARAMS]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", default="/var/tmp/spdk.sock")
    ap.add_argument("-t", type=float, default=60.0)
    ap.add_argument("method")
    ap.add_argument("params", nargs="?")
    a = ap.parse_args()
    try:
        resp = Client(a.s, a.t).call(a.method, json.loads(a.params) if a.params else None)
    except (OSError, TimeoutError, ConnectionError) as e:
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
