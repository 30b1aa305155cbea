#!/usr/bin/env bash
# A server pod "restarts" under an established connection without telling the client: its link is
# cut first (so the old kernel's FIN goes nowhere), its process killed, its netns deleted and
# recreated with the same IP (and MAC) and a fresh listener. The client (10.244.0.2:40071, talking
# to the pod IP directly) sends its next request after 4 s and gets a bare RST from the new kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init stale
node_create node 10.244.0 1
pod_create node client 10.244.0.2
pod_create node server 10.244.0.3
server server 8080 hold
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start node any "$OUT/node-any.pcap"
bg ip netns exec "$(ns client)" "$PY" -u "$LAB_DIR/client.py" 10.244.0.3 8080 hold 40071
cpid=$!
sleep 1
nsx node ip link del vethserver                # cut the link: nothing the old pod says gets out
ip netns pids "$(ns server)" | xargs -r kill
sleep 0.3
ip netns del "$(ns server)"
pod_create node server 10.244.0.3
server server 8080 serve
wait "$cpid" || true
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"stale-connection","client":"10.244.0.2:40071","server":"10.244.0.3:8080","backend":null,"resetBy":"server","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/node-any.pcap" "$f"
