#!/usr/bin/env bash
# Issue 14, scenario 4: a client reuses a 4-tuple the server still holds (RFC 5961 challenge ACK).
# Pod to pod, no NAT. The client connects from a fixed port, gets its reply, then forgets the
# connection without telling the server: it aborts its socket (SO_LINGER {1,0}) while a rule in its
# own netns drops its outgoing RSTs (OUTPUT -p tcp --tcp-flags RST RST -j DROP: the RST never
# reaches the wire), so the server's socket stays ESTABLISHED. The rule is removed and the client
# connects again from the same port: the server answers the SYN with a bare ACK (seq = its snd.nxt,
# ack = its rcv.nxt, not the SYN's ISN+1), the client kernel answers that with a bare RST (seq =
# the ACK's ack), which is in the server's window and kills the old connection; the retransmitted
# SYN (same ISN) then opens a new connection that works. IPv4 (port 40441) then IPv6 (40461);
# captured at once in the client pod, the server pod, the node (-i any; it also sees cni0,
# promiscuous for the cni0 capture) and on cni0 (issue 18).
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init challenge-ack sample
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
peer_server server :: 8080 hold
for v in 4 6; do
    p=$((40401 + 10 * v))     # 40441 (IPv4), 40461 (IPv6)
    for x in client:eth0 server:eth0 node:any node:cni0; do
        cap6_start "${x%%:*}" "${x#*:}" "$OUT/${x%%:*}-${x#*:}-v$v.pcap" "$v"
    done
    ipt "$v" client -A OUTPUT -p tcp --tcp-flags RST RST -m comment --comment "lab: the client's RST never leaves" -j DROP
    peer_client client "$(addr $v 3)" 8080 linger0 "$p"
    sleep 1
    nsx server ss -Htn "sport = :8080" >&2
    ipt "$v" client -D OUTPUT -p tcp --tcp-flags RST RST -m comment --comment "lab: the client's RST never leaves" -j DROP
    peer_client client "$(addr $v 3)" 8080 closefirst "$p"
    cap_stop 1
    f="[{\"rule\":\"challenge-ack\",\"client\":\"$(hp "$(addr $v 2)" $p)\",\"server\":\"$(hp "$(addr $v 3)" 8080)\",\"backend\":null,\"resetBy\":\"client\",\"count\":1}]"
    for x in client-eth0 server-eth0 node-any node-cni0; do expect "$OUT/$x-v$v.pcap" "$f"; done
done
cap_check "$OUT"/*.pcap
