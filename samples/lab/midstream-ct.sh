#!/usr/bin/env bash
# Issue 14, scenario 2: a reply escapes conntrack mid-stream through a Service (kubernetes#74839,
# made with conntrack itself rather than a NOTRACK rule). Healthy node (bridge-nf-call-iptables and
# -ip6tables = 1), client pod -> Service 10.96.0.10:80 / [fd00:10:96::a]:80, DNAT to the server pod
# :8080. The client sends a request and gets the reply. Then, on the node:
#   sysctl nf_conntrack_tcp_loose=0; conntrack -D (this connection's entry)
# 1.5 s after its reply the server sends one more segment ("late data"). With no entry and loose=0
# conntrack will not pick a mid-stream segment up: it is INVALID, nothing drops INVALID here (no
# kube-proxy "ctstate INVALID -j DROP"), so it is bridged to the client un-translated, from the
# pod address. The client kernel has no connection with the pod address and answers with a bare
# RST (seq = the segment's ack), which reaches the server's socket (same 4-tuple, in window) and
# kills it. The script then restores loose=1 (the default); at 2.5 s the client sends "more" to the
# Service: conntrack picks it up loosely as a new connection, the DNAT applies again, the server
# (which has no connection any more) answers with a bare RST, translated back to the Service.
# IPv4 (client port 40241) then IPv6 (40243). Two runs per family on a fresh node: client eth0 +
# node -i any + server eth0, then cni0 alone (a promiscuous bridge with bridge-nf-call on delivers
# duplicates of NAT'd packets to the pods: see samples/README.md).
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init midstream-ct
build() {
    node_create6 node 1
    pod_create6 node client 2
    pod_create6 node server 3
    svc_add node web 10.96.0.10 80 10.244.0.3 8080
    svc_add6 node web fd00:10:96::a 80 fd00:10:244::3 8080
    peer_server server :: 8080 late      # dual-stack listener
}
play() {  # play <4|6>
    local v="$1" fam=ipv4 p=$((40237 + $1))
    [ "$v" = 6 ] && fam=ipv6
    bg ip netns exec "$(ns client)" "$PY" -u "$LAB_DIR/peer.py" client "$(vip "$v")" 80 late "$p"
    local cpid=$!
    sleep 0.7
    nsx node sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
    nsx node conntrack -D -f "$fam" -p tcp --orig-port-src "$p" 2>&1 | sed 's/^/[conntrack] /' >&2
    sleep 1.3
    nsx node sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
    wait "$cpid" || true
}
for v in 4 6; do
    build
    cap6_start client eth0 "$OUT/client-eth0-v$v.pcap" "$v"
    cap6_start node any "$OUT/node-any-v$v.pcap" "$v"
    cap6_start server eth0 "$OUT/server-eth0-v$v.pcap" "$v"
    play "$v"
    cap_stop 1
    lab_cleanup
    build
    cap6_start node cni0 "$OUT/node-cni0-v$v.pcap" "$v"
    play "$v"
    cap_stop 1
    lab_cleanup
    p=$((40237 + v)); c="$(hp "$(addr $v 2)" $p)"; b="$(hp "$(addr $v 3)" 8080)"
    f="[{\"rule\":\"unreversed-nat-midstream\",\"client\":\"$c\",\"server\":\"$(hp "$(vip $v)" 80)\",\"backend\":\"$b\",\"resetBy\":\"client\",\"count\":1}]"
    for x in client-eth0 node-any; do expect "$OUT/$x-v$v.pcap" "$f"; done
    # On cni0 (bridge-nf-call on) the client's packets are seen already DNAT'd and the server's
    # replies not yet un-NAT'd, and in the server pod the NAT is not visible either: the ClusterIP
    # never appears. What the packets still prove there: the client answered the server's segment
    # with a bare "no such connection" RST (seq = the segment's ack, IP ID 0, no options) and then
    # went on sending on the same 4-tuple, continuing the old sequence space (its socket was alive:
    # not a restart, not a forged RST): its stack knows the connection under other addresses, i.e.
    # a translation between the client and this vantage point lost that one segment. The server's
    # RST is the consequence (the client's RST had killed its socket), not a second cause.
    # (samples/nat-midstream/server-eth0.pcap pins stale-connection x2 for the same situation.)
    for x in node-cni0 server-eth0; do
        expect "$OUT/$x-v$v.pcap" "[{\"rule\":\"unreversed-nat-midstream\",\"client\":\"$c\",\"server\":\"$b\",\"backend\":null,\"resetBy\":\"client\",\"count\":1}]"
    done
done
cap_check "$OUT"/*.pcap
