#!/usr/bin/env python3
"""A proxy in front of one etcd member's JSON gateway that holds every
linearizable range (a /v3/kv/range without "serializable": true) DELAY_MS
before passing it on, as etcd does when a read's ReadIndex answer comes late
(it retries only every 500 ms) while txns still commit.  Everything else
(txns, serializable reads, lease grants, watch streams) passes at once.

usage: etcd_slow_reads.py HOST:PORT DELAY_MS PORTFILE
Listens on a free loopback port and writes it to PORTFILE."""
import http.client
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UP_HOST, UP_PORT = sys.argv[1].rsplit(":", 1)
DELAY = int(sys.argv[2]) / 1000.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v3/kv/range":
            try:
                slow = not json.loads(body or b"{}").get("serializable")
            except ValueError:
                slow = True
            if slow:
                time.sleep(DELAY)
        up = http.client.HTTPConnection(UP_HOST, int(UP_PORT), timeout=3600)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        up.request("POST", self.path, body=body, headers=hdrs)
        r = up.getresponse()
        if self.path == "/v3/watch":
            # a stream: pass each piece on as it comes
            self.send_response(r.status)
            self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    data = r.read1(65536)
                    if not data:
                        break
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True
        else:
            data = r.read()
            self.send_response(r.status)
            self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        up.close()


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass   # a client killed mid-answer (the test's kill -9) is no error here


srv = Server(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
srv.serve_forever()
