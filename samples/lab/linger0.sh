#!/usr/bin/env bash
# Abortive closes on established connections, pod to pod (no NAT):
#  - 10.244.0.2:40041 -> 10.244.0.3:8080: the server answers, waits 0.2 s, closes with
#    SO_LINGER {on, 0}: its kernel sends RST instead of FIN (resetBy server);
#  - 10.244.0.2:40042 -> 10.244.0.3:8081: the server answers and keeps the connection open; the
#    client closes without reading the reply: data left unread in its receive buffer makes its
#    kernel send RST (resetBy client).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init linger0
node_create node 10.244.0 1
pod_create node client 10.244.0.2
pod_create node server 10.244.0.3
server server 8080 linger0
server server 8081 hold
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start server eth0 "$OUT/server-eth0.pcap"
client client 10.244.0.3 8080 get 40041
client client 10.244.0.3 8081 unread 40042
cap_stop 1
cap_check "$OUT"/*.pcap
f='[{"rule":"abortive-close","client":"10.244.0.2:40041","server":"10.244.0.3:8080","backend":null,"resetBy":"server","count":1},
    {"rule":"abortive-close","client":"10.244.0.2:40042","server":"10.244.0.3:8081","backend":null,"resetBy":"client","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/server-eth0.pcap" "$f"
