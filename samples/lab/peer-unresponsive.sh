#!/usr/bin/env bash
# peer-unresponsive: the server pod vanishes in the middle of an established connection while the
# client still has something to say. Pod to pod on one node (no NAT). The client (tcp_retries2=4 in
# its netns) connects to the server pod (peer.py lines), sends "hello\n" and gets "ok 1\n"; then
# the script deletes the server pod's veth on the node (the pod is gone from the network: no FIN,
# no RST, no ICMP; the client's neighbour entry stays reachable, so its packets still leave) and
# lets the client go on: it writes 4000 bytes ("big": three segments in flight) or 5 bytes
# ("small": "ping\n"). Nothing is acknowledged: the first unacknowledged segment is retransmitted
# with exponential backoff (+0.2, +0.6, +1.4, +3.0 s) and after tcp_retries2 the client's kernel
# gives up (ETIMEDOUT at ~6.2 s; it sends no RST, the socket just dies). One fresh server pod per
# run (10.244.0.3..6, fd00:10:244::3..6). IPv4 (ports 40801 big, 40802 small) then IPv6 (40821,
# 40822). Captured at once in the client pod, the server pod (its capture ends when its eth0
# disappears: the exchange only), the node (-i any: the retransmissions on vethclient, and on cni0
# which is promiscuous for the cni0 capture) and on cni0.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init peer-unresponsive sample
node_create6 node 1
pod_create6 node client 2
nsx client sysctl -qw net.ipv4.tcp_retries2=4
go="/tmp/${LAB_NS_PREFIX}go"
i=2
for v in 4 6; do
    for mode in big small; do
        i=$((i + 1)); srv="server$i"; s="$(addr $v $i)"
        [ "$mode" = big ] && p=$((40761 + 10 * v)) || p=$((40762 + 10 * v))   # 40801/40802, 40821/40822
        pod_create6 node "$srv" "$i"
        peer_server "$srv" :: 8080 lines
        for x in client:eth0 "$srv":eth0 node:any node:cni0; do
            role="${x%%:*}"; [ "$role" = "$srv" ] && name=server || name="$role"
            cap6_start "$role" "${x#*:}" "$OUT/$mode-$name-${x#*:}-v$v.pcap" "$v"
        done
        rm -f "$go"
        nsx client env PEER_GO="$go" "$PY" -u "$LAB_DIR/peer.py" client "$s" 8080 "stall$mode" "$p" > "$go.log" 2>&1 &
        cpid=$!
        for _ in $(seq 50); do grep -q "got" "$go.log" && break; sleep 0.1; done
        sleep 0.2
        nsx node ip link del "veth$srv"          # the pod is gone
        touch "$go"
        wait "$cpid" || true
        cat "$go.log" >&2
        cap_stop 0.5
        f="[{\"rule\":\"peer-unresponsive\",\"client\":\"$(hp "$(addr $v 2)" $p)\",\"server\":\"$(hp "$s" 8080)\",\"backend\":null,\"resetBy\":null,\"count\":1}]"
        for x in client-eth0 node-any node-cni0; do expect "$OUT/$mode-$x-v$v.pcap" "$f"; done
        expect "$OUT/$mode-server-eth0-v$v.pcap" "[]"   # the server saw a quiet, healthy connection
    done
done
rm -f "$go" "$go.log"
cap_check "$OUT"/*.pcap
