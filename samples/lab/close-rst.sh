#!/usr/bin/env bash
# Issue 14, scenario 6: connections that end normally (FINs) but whose last segment is answered by
# a RST, pod to pod on one subnet, no middlebox. Three variants, each its own capture, IPv4 then
# IPv6, client eth0 and node -i any at once:
#  fin-timeout (ports 40641 / 40661, server :8080): the server replies and closes (FIN); the client
#    reads the reply and the EOF (its kernel ACKs the FIN) but keeps its socket 3 s; the server's
#    orphaned FIN_WAIT2 lasts net.ipv4.tcp_fin_timeout = 1 s (set in the server pod), so the
#    client's FIN finds no socket and gets a bare RST (seq = the FIN's ack).
#  nolinger (40642 / 40662, :8081): the client reads the reply and closes (FIN); the server reads
#    the EOF and closes with SO_LINGER {1,0} (HAProxy's "option nolinger", to skip TIME_WAIT): the
#    client's FIN is answered by RST+ACK instead of FIN.
#  idle (40643 / 40663, :8082): the server replies, waits 2 s idle and closes (FIN, an idle-timeout
#    close by the application); the client's kernel ACKs the FIN, the client application sends a
#    second request 3 s after the reply: the server's socket is closed for reading (FIN_WAIT2,
#    orphan), the data gets a bare RST (seq = the data's ack).
# The truth for all: abortive-close, resetBy server (info or warning: nothing broke but the last
# exchange; never idle-timeout or stale-connection at error).
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init close-rst
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
nsx server sysctl -qw net.ipv4.tcp_fin_timeout=1
peer_server server :: 8080 halfclose
peer_server server :: 8081 nolinger
peer_server server :: 8082 idleclose
for v in 4 6; do
    i=0
    for var in fin-timeout:lingerwait nolinger:closefirst idle:idlesend; do
        name="${var%%:*}"; mode="${var#*:}"
        p=$((40601 + 10 * v + i)); sp=$((8080 + i)); i=$((i + 1))
        cap6_start client eth0 "$OUT/$name-client-eth0-v$v.pcap" "$v"
        cap6_start node any "$OUT/$name-node-any-v$v.pcap" "$v"
        peer_client client "$(addr $v 3)" "$sp" "$mode" "$p"
        cap_stop 1
        f="[{\"rule\":\"abortive-close\",\"client\":\"$(hp "$(addr $v 2)" $p)\",\"server\":\"$(hp "$(addr $v 3)" $sp)\",\"backend\":null,\"resetBy\":\"server\",\"count\":1}]"
        for x in client-eth0 node-any; do expect "$OUT/$name-$x-v$v.pcap" "$f"; done
    done
done
cap_check "$OUT"/*.pcap
