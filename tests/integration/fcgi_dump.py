#!/usr/bin/env python3
"""A tiny FastCGI responder that answers every request with what it received.

Used by the `servers` group to check what our nginx and Apache configurations
send (params, body, the FCGI_KEEP_CONN flag) without the bridge.  The answer
is `200 application/json`:

    {"params": [[name, value], ...],   every param in arrival order
     "body_len": N, "body_sha256": "...", "keep_conn": true|false}

Values are decoded as latin-1 so that any byte survives the JSON round trip.

In-process:  d = FcgiDump(path); d.start(); ...; d.stop()
As a program: `fcgi_dump.py` serves the listening socket on fd 0 (how
mod_fcgid and spawn-fcgi start a FastCGI application) until SIGTERM.
"""

import hashlib
import json
import os
import signal
import socket
import struct
import sys
import threading

BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
GET_VALUES, GET_VALUES_RESULT = 9, 10
KEEP_CONN = 1


def _recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _read_record(conn):
    head = _recv_exact(conn, 8)
    if head is None:
        return None
    _ver, rtype, rid, clen, plen, _res = struct.unpack(">BBHHBB", head)
    content = _recv_exact(conn, clen + plen) if clen + plen else b""
    if content is None:
        return None
    return rtype, rid, content[:clen]


def _record(rtype, rid, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) + content + b"\0" * pad


def _stream(rtype, rid, data):
    out = []
    for i in range(0, len(data), 65535):
        out.append(_record(rtype, rid, data[i:i + 65535]))
    out.append(_record(rtype, rid, b""))
    return b"".join(out)


def _parse_pairs(data):
    pairs, i = [], 0

    def length():
        nonlocal i
        if data[i] < 128:
            i += 1
            return data[i - 1]
        n = struct.unpack(">I", data[i:i + 4])[0] & 0x7FFFFFFF
        i += 4
        return n

    while i < len(data):
        nlen = length()
        vlen = length()
        name = data[i:i + nlen].decode("latin-1")
        i += nlen
        value = data[i:i + vlen].decode("latin-1")
        i += vlen
        pairs.append([name, value])
    return pairs


def serve_connection(conn, captured=None):
    """Serves requests on one connection until the server closes it (or
    until a request without FCGI_KEEP_CONN has been answered)."""
    try:
        while True:
            rid, flags, params, body = None, 0, b"", []
            params_done = stdin_done = False
            while not (params_done and stdin_done):
                rec = _read_record(conn)
                if rec is None:
                    return
                rtype, r, content = rec
                if rtype == BEGIN_REQUEST:
                    rid, flags = r, content[2]
                elif rtype == PARAMS:
                    if content:
                        params += content
                    else:
                        params_done = True
                elif rtype == STDIN:
                    if content:
                        body.append(content)
                    else:
                        stdin_done = True
                elif rtype == GET_VALUES:
                    conn.sendall(_record(GET_VALUES_RESULT, 0, b""))
                elif rtype == ABORT_REQUEST:
                    return
            data = b"".join(body)
            answer = {
                "params": _parse_pairs(params),
                "body_len": len(data),
                "body_sha256": hashlib.sha256(data).hexdigest(),
                "keep_conn": bool(flags & KEEP_CONN),
            }
            if captured is not None:
                captured.append(answer)
            payload = json.dumps(answer).encode()
            head = b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
            conn.sendall(_stream(STDOUT, rid, head + payload) +
                         _record(END_REQUEST, rid, struct.pack(">IB3x", 0, 0)))
            if not flags & KEEP_CONN:
                return
    except OSError:
        return
    finally:
        conn.close()


class FcgiDump:
    """The responder on a unix socket, served by threads of this process."""

    def __init__(self, path):
        self.path = path
        self.captured = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        os.chmod(path, 0o666)  # Apache/nginx workers may run as nobody
        self._sock.listen(128)
        self._conns = []
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=serve_connection, args=(conn, self.captured),
                             daemon=True).start()

    def stop(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        for c in self._conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
        try:
            os.unlink(self.path)
        except OSError:
            pass


def main():
    """Serves the inherited listening socket on fd 0 until SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    lsock = socket.socket(fileno=0)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
