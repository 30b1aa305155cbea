#!/usr/bin/env bash
# An idle timeout in a middlebox, for real, with the timeout made short enough to wait for.
# Three namespaces routed in a line: client 10.244.1.2 — lb — server 10.244.0.3. "lb" is a node
# doing kube-proxy-style DNAT of the Service 10.96.0.20:80 to 10.244.0.3:8080 (a stand-in for any
# stateful NAT/LB: AWS NLB or NAT gateway, Azure LB, GCP Cloud NAT, a node's conntrack), with
#   nf_conntrack_tcp_timeout_established = 20 s, nf_conntrack_tcp_loose = 0 (no mid-stream pickup)
#   iptables -A FORWARD -p tcp -m conntrack --ctstate INVALID -j REJECT --reject-with tcp-reset
# so a segment of a connection whose entry expired is answered, in the Service's name, by the lb
# (how an NLB answers a flow it has forgotten). The client (port 40091) sends a request, reads the
# reply, stays idle 25 s, sends again: the lb resets it. The server never sees the second request.
# Captures: the client's eth0 and the lb (-i any). Then client-eth0-350s.pcap is made from
# client-eth0.pcap by shifting every packet after the idle gap by +330 s (editcap -t, mergecap -a):
# the same packets with a 355 s idle, what an AWS NLB / NAT gateway (350 s) produces.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init idle
for r in client lb server; do _ns_base "$(ns $r)"; done
nsx lb sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$(ns lb)" ip link add vethclient type veth peer name eth0 netns "$(ns client)"
ip netns exec "$(ns lb)" ip link add vethserver type veth peer name eth0 netns "$(ns server)"
nsx lb ip addr add 10.244.1.1/24 dev vethclient
nsx lb ip addr add 10.244.0.1/24 dev vethserver
nsx lb ip link set vethclient up
nsx lb ip link set vethserver up
nsx client ip addr add 10.244.1.2/24 dev eth0
nsx client ip link set eth0 up
nsx client ip route add default via 10.244.1.1
nsx server ip addr add 10.244.0.3/24 dev eth0
nsx server ip link set eth0 up
nsx server ip route add default via 10.244.0.1
# The Service range is routed toward the backends (a segment that escaped DNAT is forwarded, so
# the FORWARD chain, not a routing failure, decides what happens to it).
nsx lb ip route add 10.96.0.0/12 dev vethserver
kubeproxy_base lb
svc_add lb idle 10.96.0.20 80 10.244.0.3 8080
nsx lb iptables -A FORWARD -p tcp -m conntrack --ctstate INVALID -m comment --comment "lab: reset flows the lb forgot" \
    -j REJECT --reject-with tcp-reset
nsx lb sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=20 net.netfilter.nf_conntrack_tcp_loose=0
server server 8080 hold
cap_start client eth0 "$OUT/client-eth0.pcap"
cap_start lb any "$OUT/lb-any.pcap"
nsx client "$PY" -u -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 40091)); s.settimeout(3); s.connect(("10.96.0.20", 80))
req = b"GET / HTTP/1.0\r\nHost: 10.96.0.20\r\n\r\n"
s.sendall(req); print("idle client: got", s.recv(4096)[:15], flush=True)
time.sleep(25)
try:
    s.sendall(req); print("idle client: after idle got", s.recv(4096), flush=True)
except OSError as e:
    print("idle client: after idle", repr(e), flush=True)
' || true
cap_stop 1
# The shifted copy: frames after the idle gap (the first packet more than 20 s after its
# predecessor) move +330 s; frame numbers and everything else stay as captured.
src="$OUT/client-eth0.pcap" dst="$OUT/client-eth0-350s.pcap"
gap="$(tshark -r "$src" -Y 'frame.time_delta > 20' -T fields -e frame.number 2>/dev/null | head -1)"
[ -n "$gap" ] || { echo "no idle gap in $src" >&2; exit 1; }
n="$(tshark -r "$src" 2>/dev/null | wc -l)"
tmp="$(mktemp -d)"
editcap -r "$src" "$tmp/a.pcap" "1-$((gap - 1))"
editcap -r "$src" "$tmp/b.pcap" "$gap-$n"
editcap -t 330 "$tmp/b.pcap" "$tmp/b330.pcap"
mergecap -a -F pcap -w "$dst" "$tmp/a.pcap" "$tmp/b330.pcap"
rm -rf "$tmp"
lab_log "shifted frames $gap-$n by +330 s into $(basename "$dst")"
cap_check "$OUT"/*.pcap
f='[{"rule":"idle-timeout","client":"10.244.1.2:40091","server":"10.96.0.20:80","backend":null,"resetBy":"middlebox","count":1}]'
expect "$OUT/client-eth0.pcap" "$f"
expect "$OUT/client-eth0-350s.pcap" "$f"
# The lb sees both halves (DNAT): the backend is 10.244.0.3:8080.
expect "$OUT/lb-any.pcap" '[{"rule":"idle-timeout","client":"10.244.1.2:40091","server":"10.96.0.20:80","backend":"10.244.0.3:8080","resetBy":"middlebox","count":1}]'
