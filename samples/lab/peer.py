#!/usr/bin/env python3
"""Dual-stack lab peer for the issue-14 scenarios (IPv4 or IPv6, chosen by the address).

  peer.py server <bind-ip> <port> <mode>
  peer.py client <host> <port> <mode> [local-port] [count]

Servers accept in a thread per connection (a held connection never blocks the next one). Clients
use a 3 s connect timeout, like client.py. Server modes:
  linger0now  read the request, send the reply, close at once with SO_LINGER {1,0} (RST)
  late        read the request, reply, send one more segment 1.5 s later, then read until EOF/error
  hold        read the request, reply, keep reading until EOF or reset
  nolinger    read the request, reply, read until the client's FIN, then close with SO_LINGER
              {1,0}: the client's FIN is answered by RST instead of FIN (HAProxy "option nolinger")
  halfclose   read the request, reply, close normally (FIN) at once
  idleclose   read the request, reply, wait 2 s idle, close normally (FIN)
  lines       answer every line received with "ok <n>", until EOF or reset
  noaccept    listen(2) and never call accept(): the accept queue takes 3 connections, and 3
              SYNs fit the SYN queue without SYN cookies
Client modes:
  get         send a request, read to EOF (or reset)
  late        send a request, read the reply, wait 2.5 s, send more, read (expects a reset)
  hold        send a request, read the reply, then sleep 30 s (killed by the script)
  cancel      non-blocking connect, close 0.4 s later, before the SYN-ACK has arrived
  lingerwait  send a request, read the reply and the server's FIN, keep the socket 3 s, close
  idlesend    send a request, read the reply, wait 3 s (the server closes meanwhile), send again
  linger0     send a request, read the reply, close with SO_LINGER {1,0} (the script drops the RST)
  closefirst  send a request, read the reply, close normally (FIN) before the server does
  burst       count "<q>+<n>": q ordinary connections with a request each (from local-port on),
              then n non-blocking connects sent back to back, with TCP_QUICKACK off so each
              handshake's final ACK waits for the delayed-ACK timer (all n SYNs reach the server
              before any of their ACKs); 0.3 s later a request on each; report after 3 s, then
              keep the sockets open 30 s (the script destroys them)
  bigwrite    a 6-byte and a 1200-byte line (each answered by a "lines" server), then one
              20000-byte line; wait up to 15 s for its answer (a PMTU black hole: ETIMEDOUT)
  stallbig    one line answered, then wait for $PEER_GO (a file the script creates once the
              server is cut off), write 4000 bytes; wait up to 15 s for an answer
  stallsmall  the same with a 5-byte line ("ping\n")
Prints one line of outcome per step; exit status 0 on success, 1 on failure.
"""
import os
import select
import socket
import struct
import sys
import threading
import time

REPLY = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def read_request(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    return buf


def linger0(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def handle(c, mode):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "lines":
        answer_lines(c)
        return
    read_request(c)
    c.sendall(REPLY)
    if mode == "linger0now":
        linger0(c)
    elif mode == "late":
        time.sleep(1.5)
        c.sendall(b"late data\n")
        while c.recv(4096):
            pass
    elif mode == "hold":
        while c.recv(4096):
            pass
    elif mode == "nolinger":
        while c.recv(4096):
            pass
        linger0(c)
    elif mode == "idleclose":
        time.sleep(2)


def answer_lines(c):
    buf, n = b"", 0
    while True:
        d = c.recv(65536)
        if not d:
            return
        buf += d
        while b"\n" in buf:
            _, buf = buf.split(b"\n", 1)
            n += 1
            c.sendall(b"ok %d\n" % n)


def serve(bind, port, mode):
    s = socket.socket(fam(bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.listen(2 if mode == "noaccept" else 16)
    print(f"server {mode} listening on {bind}:{port}", flush=True)
    if mode == "noaccept":
        while True:
            time.sleep(3600)

    def run(c, peer):
        try:
            handle(c, mode)
            print(f"server: {peer} done", flush=True)
        except OSError as e:
            print(f"server: {peer} {e!r}", flush=True)
        finally:
            c.close()

    while True:
        c, peer = s.accept()
        threading.Thread(target=run, args=(c, peer), daemon=True).start()


def burst(host, port, lport, counts):
    """<queued>+<burst>: <queued> ordinary connections first (they fill the accept queue but one
    slot), then <burst> whose SYNs all arrive before any of their final ACKs"""
    f = fam(host)
    queued, n = (int(x) for x in counts.split("+"))
    req = b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode()
    socks = []
    for i in range(queued + n):
        s = socket.socket(f, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind(("::" if f == socket.AF_INET6 else "0.0.0.0", lport + i))
        if i < queued:
            s.settimeout(3)
            s.connect((host, port))
            s.sendall(req)
        else:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
            s.setblocking(False)
        socks.append(s)
    time.sleep(0.1)
    for s in socks[queued:]:
        s.connect_ex((host, port))
    select.select([], socks[queued:], [], 3)
    time.sleep(0.3)
    for i, s in enumerate(socks[queued:], queued):
        try:
            s.send(req)
            print(f"client {lport + i}: request sent", flush=True)
        except OSError as e:
            print(f"client {lport + i}: send {e!r}", flush=True)
    time.sleep(3)
    for i, s in enumerate(socks):
        s.setblocking(False)
        try:
            print(f"client {lport + i}: after 3 s got {s.recv(4096)!r}", flush=True)
        except OSError as e:
            print(f"client {lport + i}: after 3 s {e!r}", flush=True)
    time.sleep(30)   # the script captures, stops and destroys the sockets (ss -K)
    return 0


def talk(s, tag, mode):
    """the line-protocol modes: a "lines" server answers every line"""
    f = s.makefile("rb")
    for line in [b"hello\n", b"z" * 1199 + b"\n"] if mode == "bigwrite" else [b"hello\n"]:
        s.sendall(line)
        print(f"{tag}: got {f.readline()!r}", flush=True)
    if mode == "bigwrite":
        data = b"x" * 19999 + b"\n"
    else:
        go = os.environ.get("PEER_GO")
        while go and not os.path.exists(go):
            time.sleep(0.05)
        data = b"y" * 3999 + b"\n" if mode == "stallbig" else b"ping\n"
    s.settimeout(15)
    s.sendall(data)
    print(f"{tag}: wrote {len(data)} bytes", flush=True)
    print(f"{tag}: got {f.readline()!r}", flush=True)


def client(host, port, mode, lport):
    req = b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode()
    f = fam(host)
    s = socket.socket(f, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if lport:
        s.bind(("::" if f == socket.AF_INET6 else "0.0.0.0", lport))
    tag = f"client {host}:{port} {mode}"
    if mode == "cancel":
        s.setblocking(False)
        s.connect_ex((host, port))
        time.sleep(0.4)
        s.close()
        print(f"{tag}: cancelled before the SYN-ACK", flush=True)
        return 0
    s.settimeout(3)
    try:
        s.connect((host, port))
        tag += f" from port {s.getsockname()[1]}"
        if mode in ("bigwrite", "stallbig", "stallsmall"):
            talk(s, tag, mode)
            return 0
        s.sendall(req)
        if mode == "get":
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            print(f"{tag}: ok {data[:15]!r}", flush=True)
        elif mode == "late":
            print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
            time.sleep(2.5)
            s.sendall(b"more\n")
            print(f"{tag}: after the pause got {s.recv(4096)!r}", flush=True)
        elif mode == "hold":
            print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
            time.sleep(30)
        elif mode == "lingerwait":
            data = s.recv(4096)
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            print(f"{tag}: got {data[:15]!r} and EOF; keeping the socket 3 s", flush=True)
            time.sleep(3)
            s.close()
            print(f"{tag}: closed", flush=True)
        elif mode == "idlesend":
            print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
            time.sleep(3)
            s.sendall(req)
            print(f"{tag}: after idle got {s.recv(4096)!r}", flush=True)
        elif mode == "closefirst":
            print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
            s.close()
            time.sleep(0.3)
            print(f"{tag}: closed first", flush=True)
        elif mode == "linger0":
            print(f"{tag}: got {s.recv(4096)[:15]!r}", flush=True)
            linger0(s)
            s.close()
            print(f"{tag}: aborted (linger 0)", flush=True)
    except OSError as e:
        print(f"{tag}: FAILED {e!r}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        lp = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        if sys.argv[4] == "burst":
            sys.exit(burst(sys.argv[2], int(sys.argv[3]), lp, sys.argv[6]))
        sys.exit(client(sys.argv[2], int(sys.argv[3]), sys.argv[4], lp))
