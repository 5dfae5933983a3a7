#!/usr/bin/env python3
"""A local HTTPS receiver for the alert tests, standing in for Slack, Discord, Telegram
and webhook endpoints. Its certificate is made at start (openssl) and written for the
node to trust. By path prefix:
  /ok/...    answers 200
  /fail/...  answers 500
  /hang/...  reads the request and never answers
Every request is logged as one JSON line: {"path", "status", "body"}.
Usage: alert_receiver.py DIR   (writes DIR/receiver.pem, DIR/receiver.port, DIR/received.jsonl)
"""
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading

out = sys.argv[1]
cert = os.path.join(out, "receiver.pem")
key = os.path.join(out, "receiver.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
log = open(os.path.join(out, "received.jsonl"), "a", buffering=1)
lock = threading.Lock()
hang = threading.Event()  # never set: a hanging request waits until the receiver is killed


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait between them

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        status = 500 if self.path.startswith("/fail/") else 0 if self.path.startswith("/hang/") else 200
        with lock:
            log.write(json.dumps({"path": self.path, "status": status, "body": body,
                                  "content_type": self.headers.get("Content-Type")}) + "\n")
        if status == 0:
            hang.wait()
            return
        reply = b'{"ok":true}' if status == 200 else b'{"ok":false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(os.path.join(out, "receiver.port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(out, "receiver.port.tmp"), os.path.join(out, "receiver.port"))
server.serve_forever()
