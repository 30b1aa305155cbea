#!/usr/bin/env bash
# A Service WITH an endpoint whose connections are rejected after kube-proxy's translation. The node
# (br_netfilter on, kube-proxy chains) DNATs Service web 10.96.0.14:80 to the backend pod
# 10.244.0.3:8080 (listening), and then:
#   path-*: the node's filter FORWARD rejects tcp to 10.244.0.3:8080 with icmp-port-unreachable
#           (what a NetworkPolicy implementation that rejects does): the node answers;
#   host-*: the backend pod's own INPUT rejects tcp to :8080 with icmp-port-unreachable: the
#           backend answers.
# Two attempts each (client ports 40151, 40152 / 40161, 40162), captured on the node (-i any) and
# in the client pod; each variant on a freshly built node. kube-proxy rejects a Service without
# endpoints *instead of* translating it, so a translated SYN in view rules that cause out.
# Seen here: conntrack rewrites the ICMP error's outer source to the Service address (NAT of an
# error related to a DNAT'd connection), so the client and the node's vethclient see both variants'
# ICMP "from 10.96.0.14"; only the backend's own error shows its real source (10.244.0.3, on
# vethbackend). The node's error is NAT'd before any capture point: its own address never shows.
# The translated SYN of path-* is on cni0 for the first attempt only (bridged DNAT resolving the
# backend's neighbour through the bridge device), the second attempt shows no translated half.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init icmp-reject-after-dnat
REJ=(-p tcp -d 10.244.0.3/32 --dport 8080 -m comment --comment "lab: policy rejects" -j REJECT --reject-with icmp-port-unreachable)
build() {
    node_create node 10.244.0 1
    pod_create node client 10.244.0.2
    pod_create node backend 10.244.0.3
    svc_add node web 10.96.0.14 80 10.244.0.3 8080
    server backend 8080 serve
}
# run <variant> <first-port> <netns that rejects> <chain>
run() {
    local v="$1" p="$2" who="$3" chain="$4"
    build
    nsx "$who" iptables -I "$chain" 1 "${REJ[@]}"
    cap_start node any "$OUT/$v-node-any.pcap"
    cap_start client eth0 "$OUT/$v-client-eth0.pcap"
    client client 10.96.0.14 80 get "$p"
    sleep 0.5
    client client 10.96.0.14 80 get $((p + 1))
    cap_stop 1
    nsx "$who" iptables -L "$chain" 1 -v -n >&2
    lab_cleanup
}
run path 40151 node FORWARD
run host 40161 backend INPUT
cap_check "$OUT"/*.pcap
# The truth, as each vantage can prove it. The node (-i any) sees the translated half: host-* the
# backend's own error (resetBy server), path-* no error from the backend, so the node rejected it
# (resetBy middlebox). The client sees only an error from the Service address, which conntrack
# translated: a rejection after the DNAT, by the backend or a rule on the way — the packets there do
# not say which (resetBy null), and the two client captures are alike.
e='[{"rule":"icmp-rejected","client":"10.244.0.2:PORT","server":"10.96.0.14:80","backend":BK,"resetBy":BY,"count":2}]'
host=${e/PORT/40161}
path=${e/PORT/40151}
host_client=${host/BK/null}; expect "$OUT/host-client-eth0.pcap" "${host_client/BY/null}"
host_node=${host/BK/\"10.244.0.3:8080\"}; expect "$OUT/host-node-any.pcap" "${host_node/BY/\"server\"}"
path_client=${path/BK/null}; expect "$OUT/path-client-eth0.pcap" "${path_client/BY/null}"
path_node=${path/BK/\"10.244.0.3:8080\"}; expect "$OUT/path-node-any.pcap" "${path_node/BY/\"middlebox\"}"
