#!/usr/bin/env python3
"""A test OpenID Connect issuer for JWT authorizers (python3 standard library).

    oidc_issuer.py PORT DIR

Serves on 127.0.0.1:PORT, under the issuer path /realm:
  /realm/.well-known/openid-configuration   {"issuer", "jwks_uri"}
  /realm/jwks                               the file DIR/jwks.json, read on
                                            every request (404 while it is
                                            missing, so a test can make
                                            fetches fail)
and logs one line per request to stderr ("GET /realm/jwks 200"), which the
tests count to see how often the bridge fetched.
"""
import http.server
import json
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        base = "http://127.0.0.1:%d/realm" % self.server.server_port
        if self.path == "/realm/.well-known/openid-configuration":
            body = json.dumps({"issuer": base, "jwks_uri": base + "/jwks",
                               "id_token_signing_alg_values_supported": ["RS256"]}).encode()
            self.reply(200, body)
        elif self.path == "/realm/jwks":
            try:
                with open(os.path.join(self.server.dir, "jwks.json"), "rb") as f:
                    body = f.read()
            except OSError:
                self.reply(404, b'{"error":"not found"}')
                return
            self.reply(200, body)
        else:
            self.reply(404, b'{"error":"not found"}')

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stderr.write("GET %s %d\n" % (self.path, status))
        sys.stderr.flush()

    def log_message(self, fmt, *args):
        pass  # one line per request, written by reply()


def main():
    port, d = int(sys.argv[1]), sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.dir = d
    sys.stderr.write("listening on %d\n" % port)
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
