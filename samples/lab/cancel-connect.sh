#!/usr/bin/env bash
# Issue 14, scenario 5: a client cancels connects it no longer needs (a browser's spare
# connections). Pod to pod, no NAT, bridge-nf-call on. The path is slow: a rule in the node's
# FORWARD chain drops the server's SYN-ACKs for the first 0.7 s of each attempt. The client makes a
# non-blocking connect and closes the socket 0.4 s later, still in SYN_SENT (Linux sends nothing
# then). The server's retransmitted SYN-ACK (1 s after the first) reaches a client kernel that no
# longer has the socket, which answers with a bare RST (seq = the SYN-ACK's ack = the SYN's ISN+1).
# Two cancelled attempts, then one normal connection. IPv4 (ports 40541-40543) then IPv6
# (40561-40563); client eth0, node -i any and server eth0 at once. Nothing failed that anyone
# wanted: no error or warning.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init cancel-connect
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
peer_server server :: 8080 halfclose
for v in 4 6; do
    p=$((40501 + 10 * v)); s="$(addr $v 3)"
    cap6_start client eth0 "$OUT/client-eth0-v$v.pcap" "$v"
    cap6_start node any "$OUT/node-any-v$v.pcap" "$v"
    cap6_start server eth0 "$OUT/server-eth0-v$v.pcap" "$v"
    for i in 0 1; do
        rule=(FORWARD -s "$s" -p tcp --sport 8080 --tcp-flags SYN,ACK SYN,ACK -m comment --comment "lab: slow path" -j DROP)
        ipt "$v" node -I "${rule[@]}"
        bg ip netns exec "$(ns client)" "$PY" -u "$LAB_DIR/peer.py" client "$s" 8080 cancel $((p + i))
        sleep 0.7
        ipt "$v" node -D "${rule[@]}"
        sleep 1.5
    done
    peer_client client "$s" 8080 get $((p + 2))
    cap_stop 1
    for x in client-eth0 node-any server-eth0; do expect "$OUT/$x-v$v.pcap" '[]'; done
done
cap_check "$OUT"/*.pcap
