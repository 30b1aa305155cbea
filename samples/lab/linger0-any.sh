#!/usr/bin/env bash
# Issue 14, scenario 1: a server aborts an established connection with SO_LINGER {1,0} right after
# the client's request (it sends its reply, then closes at once: RST+ACK instead of FIN), pod to
# pod on one node (no NAT), IPv4 (10.244.0.2:40141 -> 10.244.0.3:8080) then IPv6
# ([fd00:10:244::2]:40143 -> [fd00:10:244::3]:8082). Seen at once from the client pod, the server
# pod, the node (-i any) and the node's bridge cni0. Then two loss variants of each node -i any
# capture, made with editcap: every copy of the handshake's final ACK removed, and every copy of the
# server's first data segment (the reply) removed. The truth stays abortive-close, resetBy server.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init linger0
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
for v in 4 6; do
    c="$(addr $v 2)"; s="$(addr $v 3)"; port=$((40137 + v))   # 40141 (IPv4), 40143 (IPv6)
    [ "$v" = 4 ] && bind=0.0.0.0 || bind=::
    peer_server server "$bind" $((8076 + v)) linger0now         # 8080 (IPv4), 8082 (IPv6)
    cap6_start client eth0 "$OUT/client-eth0-v$v.pcap" "$v"
    cap6_start server eth0 "$OUT/server-eth0-v$v.pcap" "$v"
    cap6_start node any "$OUT/node-any-v$v.pcap" "$v"
    cap6_start node cni0 "$OUT/node-cni0-v$v.pcap" "$v"
    peer_client client "$s" $((8076 + v)) get "$port"
    cap_stop 1
    f="[{\"rule\":\"abortive-close\",\"client\":\"$(hp "$c" "$port")\",\"server\":\"$(hp "$s" $((8076 + v)))\",\"backend\":null,\"resetBy\":\"server\",\"count\":1}]"
    any="$OUT/node-any-v$v.pcap"
    # the handshake's final ACK: the client's first pure ACK (seq = ISN+1, ack = the server's ISN+1)
    hs="$(tshark -r "$any" -Y "tcp.srcport==$port && tcp.flags==0x002" -T fields -e tcp.seq_raw 2>/dev/null | head -1)"
    sa="$(tshark -r "$any" -Y "tcp.dstport==$port && tcp.flags==0x012" -T fields -e tcp.seq_raw 2>/dev/null | head -1)"
    drop_frames "$any" "$OUT/node-any-v$v-no-hs-ack.pcap" \
        "tcp.srcport==$port && tcp.flags==0x010 && tcp.len==0 && tcp.seq_raw==$((hs + 1)) && tcp.ack_raw==$((sa + 1))"
    drop_frames "$any" "$OUT/node-any-v$v-no-first-data.pcap" \
        "tcp.dstport==$port && tcp.len>0 && tcp.seq_raw==$((sa + 1))"
    for x in client-eth0 server-eth0 node-any node-cni0 node-any-v$v-no-hs-ack node-any-v$v-no-first-data; do
        case "$x" in node-any-v*) p="$OUT/$x.pcap" ;; *) p="$OUT/$x-v$v.pcap" ;; esac
        expect "$p" "$f"
    done
done
cap_check "$OUT"/*.pcap
