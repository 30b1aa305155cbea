#!/usr/bin/env bash
# Issue 14, scenario 3: bridge-nf-call-iptables and -ip6tables = 0 (br_netfilter off) and a client
# that never sends the RST. The client pod runs a host-firewall-style rule (what ufw and firewalld
# install): INPUT -m conntrack --ctstate INVALID -j DROP. The Service SYN is DNAT'd by the node's
# routing path; the backend's SYN-ACK is bridged back un-translated, from the pod address. In the
# client's own conntrack that SYN-ACK matches nothing (its entry is <client> -> <Service>) and a
# SYN-ACK cannot start a connection, so it is INVALID and dropped before TCP sees it: no RST. The
# client retransmits the SYN to the Service (same ISN), the backend answers each with a SYN-ACK,
# connect() times out after 3 s. Two attempts per family (ports 4034x, 4034x+1), then one direct
# connection to the pod address, which works. IPv4, then IPv6; node -i any, cni0 and client eth0
# captured at once (bridge-nf-call off: the promiscuous bridge makes no duplicates).
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init brnf-off-norst
node_create6 node 0
pod_create6 node client 2
pod_create6 node server 3
svc_add node web 10.96.0.10 80 10.244.0.3 8080
svc_add6 node web fd00:10:96::a 80 fd00:10:244::3 8080
peer_server server :: 8080 halfclose
for v in 4 6; do
    ipt "$v" client -A INPUT -m conntrack --ctstate INVALID -m comment --comment "host firewall: drop INVALID" -j DROP
done
for v in 4 6; do
    p=$((40330 + 10 * v))     # 40370/40371/40372 (IPv4), 40390/40391/40392 (IPv6)
    cap6_start node any "$OUT/node-any-v$v.pcap" "$v"
    cap6_start node cni0 "$OUT/node-cni0-v$v.pcap" "$v"
    cap6_start client eth0 "$OUT/client-eth0-v$v.pcap" "$v"
    peer_client client "$(vip $v)" 80 get "$p"
    peer_client client "$(vip $v)" 80 get $((p + 1))
    peer_client client "$(addr $v 3)" 8080 get $((p + 2))
    cap_stop 1
    f="[{\"rule\":\"unreversed-dnat\",\"client\":\"$(hp "$(addr $v 2)" $p)\",\"server\":\"$(hp "$(vip $v)" 80)\",\"backend\":\"$(hp "$(addr $v 3)" 8080)\",\"resetBy\":null,\"count\":2}]"
    for x in node-any node-cni0 client-eth0; do expect "$OUT/$x-v$v.pcap" "$f"; done
done
lab_log "client INVALID drops: $(nsx client iptables -L INPUT -v -n | awk '/INVALID/{print $1}') (IPv4), $(nsx client ip6tables -L INPUT -v -n | awk '/INVALID/{print $1}') (IPv6)"
cap_check "$OUT"/*.pcap
