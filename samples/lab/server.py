#!/usr/bin/env python3
"""Lab TCP server: server.py <bind-ip> <port> <mode>

modes:
  serve     read an HTTP-like request, answer it, close normally (FIN)
  hold      answer, then keep the connection open until the peer closes or resets it
  linger0   answer, then close with SO_LINGER {on, 0}: the kernel sends RST (abortive close)
  pingpong  answer each line "ping N" with "pong N"; the 4th answer is "POISON", immediately
            followed by more data (TCP_NODELAY, separate segments)
  stream    answer, then keep sending a line every 0.2 s for 3 s (for the injected-RST scenario)
"""
import socket
import struct
import sys
import time

bind, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
REPLY = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


def read_request(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    return buf


def handle(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "pingpong":
        f = c.makefile("rb")
        n = 0
        for line in f:
            n += 1
            if n == 4:
                c.sendall(b"POISON " + line.strip() + b"\n")
                c.sendall(b"more data after poison\n")
            else:
                c.sendall(b"pong " + line.split()[-1] + b"\n")
        return
    read_request(c)
    c.sendall(REPLY)
    if mode == "linger0":
        time.sleep(0.2)  # let the client ACK the reply: the RST hits an established, idle connection
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "hold":
        while c.recv(4096):
            pass
    elif mode == "stream":
        for i in range(15):
            time.sleep(0.2)
            c.sendall(b"stream line %d\n" % i)


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, port))
s.listen(16)
print(f"server {mode} listening on {bind}:{port}", flush=True)
while True:
    c, peer = s.accept()
    try:
        handle(c)
        print(f"server: {peer} done", flush=True)
    except OSError as e:
        print(f"server: {peer} {e!r}", flush=True)
    finally:
        c.close()
