#!/usr/bin/env bash
# syn-drop-two-nodes: a SYN lost on one of two nodes, captured at five points at once: the client
# pod's eth0, node A (-i any), the underlay (ul0 on node A), node B (-i any), the server pod's eth0;
# and node A again with dumpcap on vethclient and flannel.1 (pcapng: one named interface each).
# Nodes joined as in vxlan-two-nodes.sh (flannel.1, VXLAN UDP 8472 over ul0 192.168.50.1 <-> .2),
# bridge-nf-call-iptables=1 on both. Client pod 10.244.0.2 on node A, server pod 10.244.1.3:8080
# on node B behind ClusterIP 10.96.0.10:80 (DNAT on node A, then routed into flannel.1). Three
# connections to the Service, one after the other, each a request and a reply:
#  - 40801: node B drops the first SYN it routes from flannel.1 towards the pod
#    (`FORWARD -i flannel.1 --syn --sport 40801 -m statistic --mode nth --every 2 --packet 0`); the
#    retransmission 1 s later passes: syn-retry-delay, the SYN seen up to node B's flannel.1;
#  - 40802: node B drops every SYN from that port (`FORWARD -i flannel.1 --syn --sport 40802`),
#    the client gives up after 3 s: syn-timeout, the SYNs seen up to node B's flannel.1;
#  - 40803: node A drops the first SYN after DNAT, before it is encapsulated
#    (`FORWARD -o flannel.1 --syn --sport 40803 -m statistic --mode nth ...`): syn-retry-delay, the
#    first SYN seen at the client pod and on node A's cni0, not on the underlay.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init syn-drop-two-nodes
vxlan_nodes 1
pod_create a client 10.244.0.2
pod_create b server 10.244.1.3
svc_add a web 10.96.0.10 80 10.244.1.3 8080
server server 8080 serve
nsx b iptables -I FORWARD 1 -i flannel.1 -p tcp --syn --sport 40801 -m statistic --mode nth --every 2 --packet 0 \
    -m comment --comment "lab: the first SYN lost on node B" -j DROP
nsx b iptables -I FORWARD 1 -i flannel.1 -p tcp --syn --sport 40802 -m comment --comment "lab: every SYN of 40802 lost" -j DROP
nsx a iptables -I FORWARD 1 -o flannel.1 -p tcp --syn --sport 40803 -m statistic --mode nth --every 2 --packet 0 \
    -m comment --comment "lab: the first SYN of 40803 lost on node A" -j DROP
# pcapng_start <ns-role> <file> <iface>...: dumpcap on several interfaces into one pcapng (an
# Interface Description Block with if_name each); waits until it captures
pcapng_start() {
    local role="$1" file="$2" log="/tmp/${LAB_NS_PREFIX}dumpcap.log" args=() i
    shift 2
    for i in "$@"; do args+=(-i "$i"); done
    rm -f "$file"
    ip netns exec "$(ns "$role")" dumpcap -q -f "tcp or icmp" "${args[@]}" -w "$file" 2>"$log" &
    LAB_CAP_PIDS+=("$!")
    for i in $(seq 50); do grep -q "Capturing on" "$log" 2>/dev/null && return 0; sleep 0.1; done
    cat "$log" >&2; return 1
}
cap_start client eth0 "$OUT/client-eth0.pcap"
pcapng_start a "$OUT/nodeA-ifaces.pcapng" vethclient flannel.1
cap_start a any "$OUT/nodeA-any.pcap"
cap_start a ul0 "$OUT/underlay-ul0.pcap"
cap_start b any "$OUT/nodeB-any.pcap"
cap_start server eth0 "$OUT/server-eth0.pcap"
client client 10.96.0.10 80 get 40801
client client 10.96.0.10 80 get 40802
client client 10.96.0.10 80 get 40803
cap_stop 0.5
nsx a iptables -L FORWARD -v -n >&2
nsx b iptables -L FORWARD -v -n >&2
cap_check "$OUT"/*.pcap "$OUT"/*.pcapng
# One syn-retry-delay finding covers 40801 and 40803 (count 2) where both show; node A sees the
# unanswered 40802 only as two halves the NAT linker cannot join without an answer (no backend).
row() { echo "{\"rule\":\"$1\",\"client\":\"10.244.0.2:$2\",\"server\":\"$3\",\"backend\":$4,\"resetBy\":null,\"count\":$5}"; }
svc=10.96.0.10:80; pod=10.244.1.3:8080
expect "$OUT/client-eth0.pcap" "[$(row syn-retry-delay 40801 $svc null 2),$(row syn-timeout 40802 $svc null 1)]"
expect "$OUT/nodeA-any.pcap" "[$(row syn-retry-delay 40801 $svc "\"$pod\"" 2),$(row syn-timeout 40802 $svc null 1)]"
expect "$OUT/nodeA-ifaces.pcapng" "[$(row syn-retry-delay 40801 $svc "\"$pod\"" 2),$(row syn-timeout 40802 $svc null 1)]"
expect "$OUT/underlay-ul0.pcap" "[$(row syn-retry-delay 40801 $pod null 1),$(row syn-timeout 40802 $pod null 1)]"
expect "$OUT/nodeB-any.pcap" "[$(row syn-retry-delay 40801 $pod null 1),$(row syn-timeout 40802 $pod null 1)]"
expect "$OUT/server-eth0.pcap" "[]"
