#!/usr/bin/env bash
# Two nodes joined Flannel's way (vxlan flannel.1, UDP 8472, static neighbour + fdb entries) over an
# underlay veth 192.168.50.1 <-> 192.168.50.2; bridge-nf-call-iptables=0 on both nodes.
# Server pod 10.244.0.3:8080 on node A behind ClusterIP 10.96.0.10:80 (DNAT rules on both nodes).
#  - client pod 10.244.1.2 on node B (port 40061): DNAT on node B, SYN routed through flannel.1;
#    the reply comes back through flannel.1 and is routed by node B, so conntrack un-NATs it: works.
#  - client pod 10.244.0.2 on node A (port 40062): DNAT on node A, the backend's
#    SYN-ACK is bridged straight back (br_netfilter off): unreversed DNAT, client RSTs, times out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init vxlan-two-nodes
vxlan_nodes 0
pod_create a aclient 10.244.0.2
pod_create a server 10.244.0.3
pod_create b bclient 10.244.1.2
svc_add a web 10.96.0.10 80 10.244.0.3 8080
svc_add b web 10.96.0.10 80 10.244.0.3 8080
server server 8080 serve
cap_start a any "$OUT/nodeA-any.pcap"
cap_start b any "$OUT/nodeB-any.pcap"
cap_start a ul0 "$OUT/underlay-ul0.pcap"
client bclient 10.96.0.10 80 get 40061
client aclient 10.96.0.10 80 get 40062
cap_stop 1
cap_check "$OUT"/*.pcap
expect "$OUT/nodeA-any.pcap" '[{"rule":"unreversed-dnat","client":"10.244.0.2:40062","server":"10.96.0.10:80","backend":"10.244.0.3:8080","resetBy":"client","count":1}]'
expect "$OUT/nodeB-any.pcap" '[]'
expect "$OUT/underlay-ul0.pcap" '[]'
