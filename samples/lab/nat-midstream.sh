#!/usr/bin/env bash
# kubernetes#74839 reproduced on purpose: a healthy node (bridge-nf-call-iptables=1, the Service
# 10.96.0.10:80 -> 10.244.0.3:8080 works), but a raw-table NOTRACK rule in the node matches one
# reply of the backend by its payload ("POISON"). That segment bypasses conntrack, so nobody undoes
# the DNAT: it reaches the client from 10.244.0.3:8080 instead of 10.96.0.10:80. The client kernel
# has no such connection and resets it (the RST goes straight to the backend, which drops the
# connection); the client's next ping through the Service then meets the backend's RST.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init nat-midstream
node_create node 10.244.0 1
pod_create node client 10.244.0.2
pod_create node server 10.244.0.3
svc_add node web 10.96.0.10 80 10.244.0.3 8080
nsx node iptables -t raw -A PREROUTING -p tcp -s 10.244.0.3/32 --sport 8080 \
    -m string --algo bm --string POISON -m comment --comment "lab: lose one reply from conntrack" -j NOTRACK
server server 8080 pingpong
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
cap_start server eth0 "$OUT/server-eth0.pcap"
client client 10.96.0.10 80 pingpong 40031
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"unreversed-nat-midstream","client":"10.244.0.2:40031","server":"10.96.0.10:80","backend":"10.244.0.3:8080","resetBy":"client","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/node-any.pcap" "$f"
# From the server pod the NAT is invisible: the client's bare RST (seq = the leaked segment's ack)
# is a "no such connection" answer, like the server's later RST.
expect "$OUT/server-eth0.pcap" '[{"rule":"stale-connection","client":"10.244.0.2:40031","server":"10.244.0.3:8080","backend":null,"resetBy":"client","count":1},
    {"rule":"stale-connection","client":"10.244.0.2:40031","server":"10.244.0.3:8080","backend":null,"resetBy":"server","count":1}]'
