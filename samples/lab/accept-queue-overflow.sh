#!/usr/bin/env bash
# accept-queue-overflow: a server whose accept queue is full. The server pod listens with
# listen(2) and never calls accept() (peer.py server noaccept): its accept queue takes 3 connections
# (the kernel's test is "more than the backlog"), and 3 pending handshakes fit its SYN queue without
# SYN cookies. The client pod (peer.py client burst 2+3) first opens 2 ordinary connections (ports
# p, p+1) and sends a request on each: they wait in the queue, acknowledged, never answered. Then 3
# connections (p+2..p+4) with non-blocking connects sent back to back and TCP_QUICKACK off, so each
# handshake's final ACK waits for the client's delayed-ACK timer (~0.2 s) and all three SYNs reach
# the listener while its queue still has room (all are answered by real SYN-ACKs, no cookies). The
# first of their ACKs takes the last slot; the other two overflow the queue; 0.3 s after connecting
# the client sends a request on each and keeps the sockets (destroyed with ss -K after the capture).
#  - abort0 (server netns net.ipv4.tcp_abort_on_overflow=0; per netns on this kernel): the server
#    drops the overflowing ACK and data but keeps the request socket: it retransmits the SYN-ACK
#    (1 s, 3 s: tcp_synack_retries=2), the client answers each with an ACK that is dropped again,
#    and retransmits its request with backoff. No reset within the capture (~4 s; the request
#    socket would expire at ~7 s).
#  - abort1 (tcp_abort_on_overflow=1): the server answers the overflowing ACK with a RST.
# Which two overflow is read from the server's sockets (ss) after the run, not from the capture.
# Pod to pod on one node (no NAT), IPv4 (10.244.0.2 -> 10.244.0.3) then IPv6; client ports 40501..
# (abort0 v4), 40511.. (abort1 v4), 40521.. (abort0 v6), 40531.. (abort1 v6); server ports 8081..8084,
# one listener per run. Captured at once in the client pod, the server pod, the node (-i any; it
# also sees cni0, promiscuous for the cni0 capture) and on cni0.
set -euo pipefail
. "$(dirname "$0")/lib6.sh"
lab_init accept-queue-overflow sample
node_create6 node 1
pod_create6 node client 2
pod_create6 node server 3
nsx server sysctl -qw net.ipv4.tcp_synack_retries=2
k=0
for v in 4 6; do
    [ "$v" = 4 ] && bind=0.0.0.0 || bind=::
    for a in 0 1; do
        k=$((k + 1)); sp=$((8080 + k)); p=$((40491 + 10 * k))
        nsx server sysctl -qw net.ipv4.tcp_abort_on_overflow=$a
        peer_server server "$bind" "$sp" noaccept
        for x in client:eth0 server:eth0 node:any node:cni0; do
            cap6_start "${x%%:*}" "${x#*:}" "$OUT/abort$a-${x%%:*}-${x#*:}-v$v.pcap" "$v"
        done
        bg ip netns exec "$(ns client)" "$PY" -u "$LAB_DIR/peer.py" client "$(addr $v 3)" "$sp" burst "$p" 2+3
        sleep 4.5
        cap_stop 0
        # the accepted connections wait in the queue (ESTABLISHED or CLOSE-WAIT): the rest overflowed
        queued="$(nsx server ss -Htn state established state close-wait "sport = :$sp" | awk '{print $NF}' | sed 's/.*://' | sort -n | tr '\n' ' ')"
        over=""
        for q in $(seq $((p + 2)) $((p + 4))); do case " $queued" in *" $q "*) ;; *) over="$over $q" ;; esac; done
        lab_log "abort$a v$v: queued ports $queued; overflowed$over"
        nsx client ss -Htn -K "dport = :$sp" >/dev/null
        kill "${LAB_PIDS[-1]}"
        set -- $over
        [ "$#" = 2 ] || { echo "expected 2 overflowed connections, got$over" >&2; exit 1; }
        [ "$a" = 1 ] && by='"server"' || by=null
        f="[{\"rule\":\"accept-queue-overflow\",\"client\":\"$(hp "$(addr $v 2)" "$1")\",\"server\":\"$(hp "$(addr $v 3)" "$sp")\",\"backend\":null,\"resetBy\":$by,\"count\":2}]"
        for x in client-eth0 server-eth0 node-any node-cni0; do expect "$OUT/abort$a-$x-v$v.pcap" "$f"; done
    done
done
cap_check "$OUT"/*.pcap
