#!/usr/bin/env bash
# A Service without endpoints: kube-proxy's filter rule in KUBE-SERVICES (jumped from FORWARD and
# OUTPUT for new connections; KUBE-EXTERNAL-SERVICES from INPUT) REJECTs the SYN to 10.96.0.12:80
# with ICMP port unreachable sent by the node (source 10.244.0.1, the cni0 address).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init icmp-reject
node_create node 10.244.0 1
pod_create node client 10.244.0.2
svc_reject node noendpoints 10.96.0.12 80
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
client client 10.96.0.12 80 get 40021
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"icmp-rejected","client":"10.244.0.2:40021","server":"10.96.0.12:80","backend":null,"resetBy":"middlebox","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/node-any.pcap" "$f"
