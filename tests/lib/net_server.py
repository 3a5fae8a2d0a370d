#!/usr/bin/env python3
"""A local test server for worker network I/O (tests only, loopback only).

    net_server.py PORTFILE [--tls CERT KEY] [--port N]

Binds 127.0.0.1 on a free port (or N), writes the port to PORTFILE, serves until
killed.  Routes (HTTP/1.1; with --tls over HTTPS):
  /json                 {"ok": true, "n": 42}
  /echo                 JSON of the request: method, path, query, headers, body (text)
  /delay?ms=N           waits N ms, then {"delayed": N}
  /redirect?n=N&to=URL  302 chain of N hops to /json (or to URL at the end)
  /status?code=N        that status, body "status N"
  /big?mb=N             N MiB of 'x'
  /slow                 accepts, never answers (slow loris)
  /badjson              200 with "{not json"
  /ws                   WebSocket echo (RFC 6455, text and binary; "close" closes with 1000)
"""
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16   # one write per response (flushed after each request)

    def log_message(self, *a):
        pass

    def reply(self, code, body, ctype="application/json", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        p = u.path
        if p == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        if p == "/json":
            return self.reply(200, json.dumps({"ok": True, "n": 42}))
        if p == "/echo":
            b = self.body()
            return self.reply(200, json.dumps({"method": self.command, "path": p, "query": u.query,
                                               "headers": {k.lower(): v for k, v in self.headers.items()},
                                               "body": b.decode("utf-8", "replace")}))
        if p == "/delay":
            ms = int(q.get("ms", "200"))
            time.sleep(ms / 1000.0)
            return self.reply(200, json.dumps({"delayed": ms}))
        if p == "/redirect":
            n = int(q.get("n", "1"))
            to = q.get("to")
            code = int(q.get("code", "302"))
            if n <= 1:
                loc = to or "/json"
            else:
                loc = "/redirect?n=%d&code=%d" % (n - 1, code) + ("&to=" + to if to else "")
            return self.reply(code, "", "text/plain", {"Location": loc})
        if p == "/status":
            code = int(q.get("code", "500"))
            return self.reply(code, "status %d" % code, "text/plain")
        if p == "/big":
            mb = int(q.get("mb", "1"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(mb << 20))
            self.end_headers()
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(mb):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            return
        if p == "/slow":
            time.sleep(3600)
            return
        if p == "/badjson":
            return self.reply(200, "{not json")
        return self.reply(404, "not found", "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = route

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        acc = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", acc)
        proto = self.headers.get("Sec-WebSocket-Protocol")
        if proto:
            self.send_header("Sec-WebSocket-Protocol", proto.split(",")[0].strip())
        self.end_headers()
        self.wfile.flush()
        r, w = self.rfile, self.wfile

        def send(op, data):
            n = len(data)
            hdr = bytes([0x80 | op])
            if n < 126:
                hdr += bytes([n])
            elif n < 65536:
                hdr += bytes([126]) + struct.pack(">H", n)
            else:
                hdr += bytes([127]) + struct.pack(">Q", n)
            w.write(hdr + data)
            w.flush()

        try:
            while True:
                h = r.read(2)
                if len(h) < 2:
                    return
                op, n = h[0] & 0x0F, h[1] & 0x7F
                if n == 126:
                    n = struct.unpack(">H", r.read(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", r.read(8))[0]
                mask = r.read(4) if h[1] & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(r.read(n)))
                if op == 8:
                    send(8, data[:2] or struct.pack(">H", 1000))
                    return
                if op == 9:
                    send(10, data)
                    continue
                if op == 1 and data == b"close":
                    send(8, struct.pack(">H", 1000) + b"bye")
                    return
                if op in (1, 2):
                    send(op, data)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return
        finally:
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    portfile = sys.argv[1]
    args = sys.argv[2:]
    port = int(args[args.index("--port") + 1]) if "--port" in args else 0
    srv = Server(("127.0.0.1", port), Handler)
    if "--tls" in args:
        i = args.index("--tls")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[i + 1], args[i + 2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
