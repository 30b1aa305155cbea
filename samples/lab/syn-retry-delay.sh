#!/usr/bin/env bash
# syn-retry-delay: the first SYN of every connection is lost on the node, its retransmission (same
# ISN, 1 s later on this kernel) gets through and the connection works. The node (br_netfilter on,
# kube-proxy chains, Service web 10.96.0.10:80 / [fd00:10:96::a]:80 -> the server pod's :8080) has
# `FORWARD -p tcp --syn -m statistic --mode nth --every 2 --packet 0 -j DROP` first in its filter
# FORWARD chain (iptables / ip6tables, put back fresh for each run so the count starts at the first
# SYN): after the Service DNAT, the 1st, 3rd, 5th... SYN crossing the node are dropped, the others
# pass: the first SYN of each connection is dropped and its first retransmission passes (what a
# conntrack insert race, a full SYN queue or a late policy look like). Three connections per run,
# one after the other: two to the Service (ports p, p+1) and one pod to pod to 10.244.0.3:8080 (p+2);
# each a request, a reply and a normal close (peer.py server halfclose: the server FINs first).
# IPv4 (ports 40701-40703) then IPv6 (40721-40723), captured at once in the client pod, the server
# pod (which sees only the SYNs that passed: nothing to diagnose) and the node (-i any: the dropped
# SYN only on vethclient, before DNAT). No cni0 capture: bridged frames show on cni0 only when it is
# promiscuous, and a promiscuous cni0 makes this node route a second copy of every DNAT'd SYN
# (src MAC cni0's); the nth rule counts both copies, drops the bridged one and passes the routed
# one, whose SYN-ACK reaches the client untranslated (it resets it): another scenario altogether.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init syn-retry-delay sample
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
svc_add node web 10.96.0.10 80 10.244.0.3 8080
svc_add6 node web fd00:10:96::a 80 fd00:10:244::3 8080
peer_server server :: 8080 halfclose
DROP_FIRST=(-p tcp --syn -m statistic --mode nth --every 2 --packet 0 -m comment --comment "lab: every other SYN lost" -j DROP)
for v in 4 6; do
    c="$(addr $v 2)"; s="$(addr $v 3)"; vip="$(vip $v)"; p=$((40661 + 10 * v))   # 40701, 40721
    cap6_start client eth0 "$OUT/client-eth0-v$v.pcap" "$v"
    cap6_start server eth0 "$OUT/server-eth0-v$v.pcap" "$v"
    cap6_start node any "$OUT/node-any-v$v.pcap" "$v"
    ipt "$v" node -I FORWARD 1 "${DROP_FIRST[@]}"
    peer_client client "$vip" 80 get "$p"
    peer_client client "$vip" 80 get $((p + 1))
    peer_client client "$s" 8080 get $((p + 2))
    cap_stop 0.5
    ipt "$v" node -L FORWARD 1 -v -n >&2
    ipt "$v" node -D FORWARD "${DROP_FIRST[@]}"
    row() { echo "{\"rule\":\"syn-retry-delay\",\"client\":\"$(hp "$c" "$1")\",\"server\":\"$2\",\"backend\":$3,\"resetBy\":null,\"count\":$4}"; }
    svc="$(hp "$vip" 80)"; pod="$(hp "$s" 8080)"
    expect "$OUT/client-eth0-v$v.pcap" "[$(row "$p" "$svc" null 2),$(row $((p + 2)) "$pod" null 1)]"
    expect "$OUT/node-any-v$v.pcap" "[$(row "$p" "$svc" "\"$pod\"" 2),$(row $((p + 2)) "$pod" null 1)]"
    expect "$OUT/server-eth0-v$v.pcap" "[]"
done
cap_check "$OUT"/*.pcap
