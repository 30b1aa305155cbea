#!/usr/bin/env python3
"""Lab TCP client: client.py <host> <port> [mode] [local-port]

Connects with a 3 s connect timeout (so a capture shows the SYN retransmissions), then:
  get       send an HTTP-like request, read the reply to EOF
  unread    send a request, wait for the reply to arrive, close without reading it (kernel RST)
  pingpong  send "ping N" lines every 0.3 s, print what comes back, until an error
  hold      send a request, read the reply, keep the connection idle for 4 s, then send more
            data and read (for the stale-connection scenario)
  stream    send a request and read until EOF or reset (for the injected-RST scenario)
Prints one line of outcome; exit status 0 on success, 1 on failure.
"""
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "get"
lport = int(sys.argv[4]) if len(sys.argv) > 4 else 0
REQ = b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if lport:
    s.bind(("0.0.0.0", lport))
s.settimeout(3)
tag = f"client {host}:{port} {mode}"
try:
    s.connect((host, port))
    me = "%s:%d" % s.getsockname()
    tag += f" from {me}"
    if mode == "get":
        s.sendall(REQ)
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        print(f"{tag}: ok {data[:15]!r}", flush=True)
    elif mode == "unread":
        s.sendall(REQ)
        time.sleep(0.5)
        s.close()
        print(f"{tag}: closed with unread data", flush=True)
    elif mode == "pingpong":
        for i in range(1, 9):
            s.sendall(b"ping %d\n" % i)
            time.sleep(0.3)
            s.settimeout(0.05)
            try:
                d = s.recv(4096)
                print(f"{tag}: got {d!r}", flush=True)
                if not d:
                    break
            except socket.timeout:
                print(f"{tag}: nothing back for ping {i}", flush=True)
        print(f"{tag}: finished", flush=True)
    elif mode == "hold":
        s.sendall(REQ)
        print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
        time.sleep(4)
        s.sendall(REQ)
        print(f"{tag}: after idle got {s.recv(4096)!r}", flush=True)
    elif mode == "stream":
        s.settimeout(10)
        s.sendall(REQ)
        while True:
            d = s.recv(4096)
            if not d:
                break
            print(f"{tag}: got {d!r}", flush=True)
        print(f"{tag}: EOF", flush=True)
except OSError as e:
    print(f"{tag}: FAILED {e!r}", flush=True)
    sys.exit(1)
