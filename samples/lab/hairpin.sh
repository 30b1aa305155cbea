#!/usr/bin/env bash
# Issue 8: a pod reaches a Service whose only endpoint is itself (10.96.0.13:80 -> 10.244.0.2:8080,
# 10.244.0.2 being the client, which also listens on 8080). Healthy node otherwise
# (bridge-nf-call-iptables=1, kube-proxy's KUBE-MARK-MASQ rule for hairpin traffic present), but the
# bridge port's hairpin mode is off (the default): br_netfilter DNATs the SYN in the bridge's
# PREROUTING, the translated frame would have to leave by the port it came in on, and the bridge
# does not send it back. The client's SYNs go unanswered until its 3 s connect timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init hairpin
node_create node 10.244.0 1
pod_create node client 10.244.0.2
svc_add node self 10.96.0.13 80 10.244.0.2 8080
nsx node ip link set vethclient type bridge_slave hairpin off
server client 8080 serve
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
client client 10.96.0.13 80 get 40051
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"syn-timeout","client":"10.244.0.2:40051","server":"10.96.0.13:80","backend":null,"resetBy":null,"count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/node-any.pcap" "$f"
