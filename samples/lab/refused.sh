#!/usr/bin/env bash
# Issue 4: a Service port DNAT'd to a backend port nobody listens on (10.96.0.11:80 ->
# 10.244.0.3:9999). The backend's kernel answers the SYN with RST+ACK; conntrack un-NATs it, so the
# client sees the RST coming from the ClusterIP. Healthy node (bridge-nf-call-iptables=1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init refused
node_create node 10.244.0 1
pod_create node client 10.244.0.2
pod_create node server 10.244.0.3
svc_add node web 10.96.0.11 80 10.244.0.3 9999
server server 8080 serve               # listening, but on the wrong port
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
cap_start server eth0 "$OUT/server-eth0.pcap"
client client 10.96.0.11 80 get 40011
cap_stop 1
cap_check "$OUT"/*.pcap
expect "$OUT/client-eth0.pcap" '[{"rule":"connection-refused","client":"10.244.0.2:40011","server":"10.96.0.11:80","backend":null,"resetBy":"server","count":1}]'
expect "$OUT/node-any.pcap" '[{"rule":"connection-refused","client":"10.244.0.2:40011","server":"10.96.0.11:80","backend":"10.244.0.3:9999","resetBy":"server","count":1}]'
expect "$OUT/server-eth0.pcap" '[{"rule":"connection-refused","client":"10.244.0.2:40011","server":"10.244.0.3:9999","backend":null,"resetBy":"server","count":1}]'
