#!/usr/bin/env bash
# pmtu-blackhole: a path whose MTU is smaller than the pods' with PMTU discovery broken. The client
# pod (10.244.0.2, fd00:10:244::2; eth0 MTU 1500) sits on the node's cni0; the server pod
# (10.244.1.3, fd00:10:244:1::3; MTU 1500) sits behind a second node "node2", reached over a routed
# link ul0 whose MTU is 1400 on both ends (an underlay or tunnel with less room than the pods
# think). The node would answer a too-big DF packet from the client with ICMP fragmentation-needed
# (IPv4) / ICMPv6 packet-too-big, but iptables/ip6tables OUTPUT in the node drop those: nothing
# reaches the client, and nothing is in any capture. Both pods advertise MSS 1460 (IPv6 1440), so
# the handshake does not shrink the segments. The client (tcp_mtu_probing=0, tcp_retries2=4 in its
# netns; eth0 gso_max_segs 1, so the kernel builds one MSS per packet and the captures show the
# real segment sizes) sends a 6-byte line and a 1200-byte line, each answered by the server (peer.py
# lines), then one 20000-byte line: its first flight of full-size segments (1448 bytes of payload
# with timestamps, 1500-byte packets; IPv6 1428) is dropped at the node, the first segment is
# retransmitted with exponential backoff and never acknowledged, and the client gives up after
# tcp_retries2 (ETIMEDOUT, ~6 s, no RST on the wire). IPv4 (port 40601 -> 10.244.1.3:8080) then
# IPv6 (40621). Captured at once in the client pod, the server pod (which sees only the small
# exchange), the node (-i any: the large segments on vethclient and cni0, never on ul0) and on cni0.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init pmtu-blackhole sample
node_create6 node 1
pod_create6 node client 2
nsx client sysctl -qw net.ipv4.tcp_mtu_probing=0 net.ipv4.tcp_retries2=4
nsx client ip link set eth0 gso_max_segs 1
# node2: a router with the server pod on a routed veth; ul0 (MTU 1400) joins it to the node
n="$(ns node)"; n2="$(ns node2)"; s="$(ns server)"
_ns_base "$n2"
_ns_base "$s"
ip netns exec "$n2" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec "$n" ip link add ul0 mtu 1400 type veth peer name ul0 mtu 1400 netns "$n2"
ip netns exec "$n" ip addr add 192.168.50.1/24 dev ul0
ip netns exec "$n" ip -6 addr add fd00:192:168:50::1/64 dev ul0 nodad
ip netns exec "$n2" ip addr add 192.168.50.2/24 dev ul0
ip netns exec "$n2" ip -6 addr add fd00:192:168:50::2/64 dev ul0 nodad
ip netns exec "$n" ip link set ul0 up
ip netns exec "$n2" ip link set ul0 up
ip netns exec "$n" ip route add 10.244.1.0/24 via 192.168.50.2 dev ul0
ip netns exec "$n" ip -6 route add fd00:10:244:1::/64 via fd00:192:168:50::2 dev ul0
ip netns exec "$n2" ip route add 10.244.0.0/24 via 192.168.50.1 dev ul0
ip netns exec "$n2" ip -6 route add fd00:10:244::/64 via fd00:192:168:50::1 dev ul0
ip netns exec "$n2" ip link add vethserver type veth peer name eth0 netns "$s"
ip netns exec "$s" ip link set eth0 address 0a:58:0a:f4:01:03
ip netns exec "$n2" ip addr add 10.244.1.1/24 dev vethserver
ip netns exec "$n2" ip -6 addr add fd00:10:244:1::1/64 dev vethserver nodad
ip netns exec "$n2" ip link set vethserver up
ip netns exec "$s" ip addr add 10.244.1.3/24 dev eth0
ip netns exec "$s" ip -6 addr add fd00:10:244:1::3/64 dev eth0 nodad
ip netns exec "$s" ip link set eth0 up
ip netns exec "$s" ip route add default via 10.244.1.1 dev eth0
ip netns exec "$s" ip -6 route add default via fd00:10:244:1::1 dev eth0
ipt 4 node -A OUTPUT -p icmp --icmp-type fragmentation-needed -m comment --comment "lab: PMTU black hole" -j DROP
ipt 6 node -A OUTPUT -p icmpv6 --icmpv6-type packet-too-big -m comment --comment "lab: PMTU black hole" -j DROP
peer_server server :: 8080 lines
for v in 4 6; do
    [ "$v" = 4 ] && srv=10.244.1.3 || srv=fd00:10:244:1::3
    p=$((40561 + 10 * v))     # 40601 (IPv4), 40621 (IPv6)
    for x in client:eth0 server:eth0 node:any node:cni0; do
        cap6_start "${x%%:*}" "${x#*:}" "$OUT/${x%%:*}-${x#*:}-v$v.pcap" "$v"
    done
    peer_client client "$srv" 8080 bigwrite "$p"
    cap_stop 0.5
    ipt "$v" node -L OUTPUT -v -n | grep -i "black hole" >&2
    f="[{\"rule\":\"pmtu-blackhole\",\"client\":\"$(hp "$(addr $v 2)" $p)\",\"server\":\"$(hp $srv 8080)\",\"backend\":null,\"resetBy\":null,\"count\":1}]"
    for x in client-eth0 node-any node-cni0; do expect "$OUT/$x-v$v.pcap" "$f"; done
    expect "$OUT/server-eth0-v$v.pcap" "[]"   # the server never sees a large segment
done
cap_check "$OUT"/*.pcap
