#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A stand-in for SPDK's scripts/rpc_http_proxy.py (which nvmetd does not ship), written from what it
# does, for the host tests: an HTTP server whose POST body is one JSON-RPC request, checked against
# Basic auth (else 401), sent on a new connection to the Unix socket; the reply is read 1024 bytes at a
# time, decoded as ASCII, until the bytes so far parse as one JSON value, and returned as 200 with that
# body (text/html, as SPDK's). A request without "id" gets no HTTP response at all (SPDK's behaviour).
# Stdlib only; one request at a time (SPDK's HTTPServer is not threaded).
#   http-proxy.py HOST PORT USER PASSWORD [-s SOCKET]
# PORT 0 picks a free port; the line "Started RPC http proxy server on HOST:PORT" says which.
import argparse
import base64
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def forward(path, body):
    """body to the socket; the reply as text, or None for a notification."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(body)
        if "id" not in json.loads(body.decode("ascii")):
            return None
        text = ""
        while True:
            data = s.recv(1024)
            text += data.decode("ascii")
            try:
                json.loads(text)
                return text
            except ValueError:
                if not data:
                    raise
                # not one whole value yet: read on


class Handler(BaseHTTPRequestHandler):
    key = ""
    sock = ""

    def reply(self, code, body=b""):
        self.send_response(code)
        if code == 401:
            self.send_header("WWW-Authenticate", "text/html")
        self.send_header("Content-type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        if "Content-Length" in self.headers:
            return self.rfile.read(int(self.headers["Content-Length"]))
        data = b""
        while "chunked" in self.headers.get("Transfer-Encoding", ""):
            n = int(self.rfile.readline().strip(), 16)
            data += self.rfile.read(n)
            self.rfile.readline()
            if n == 0:
                break
        return data

    def do_POST(self):
        if self.headers["Authorization"] != "Basic " + self.key:
            return self.reply(401)
        try:
            text = forward(self.sock, self.body())
        except ValueError:
            return self.reply(500)
        if text is not None:
            self.reply(200, text.encode("ascii"))

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description="HTTP proxy for SPDK JSON-RPC calls (rpc_http_proxy.py's behaviour)")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("-s", dest="sock", default="/var/tmp/spdk.sock")
    a = ap.parse_args()
    Handler.key = base64.b64encode((a.user + ":" + a.password).encode("ascii")).decode("ascii")
    Handler.sock = a.sock
    httpd = HTTPServer((a.host, a.port), Handler)
    print("Started RPC http proxy server on %s:%d" % httpd.server_address[:2], flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
