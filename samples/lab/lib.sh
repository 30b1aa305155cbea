# shellcheck shell=bash
# Shared helpers for the rstdiag lab: builds Kubernetes-like "nodes" out of network namespaces
# (a Linux bridge cni0, pods attached by veth pairs, kube-proxy-style iptables rules) and captures
# traffic with tcpdump. Everything happens inside namespaces this script creates; nothing touches
# the host's own interfaces, routes or iptables. Source it from a scenario script, then call
# lab_init <scenario>.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SAMPLES_DIR="$(cd "$LAB_DIR/.." && pwd)"
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
LAB_PIDS=()
LAB_CAP_PIDS=()
LAB_NS_PREFIX=""

lab_log() { echo "[lab:${LAB_SCENARIO:-?}] $*" >&2; }

lab_cleanup() {
    local p ns
    for p in "${LAB_CAP_PIDS[@]:-}"; do [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true; done
    for p in "${LAB_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in "${LAB_CAP_PIDS[@]:-}" "${LAB_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    if [ -n "$LAB_NS_PREFIX" ]; then
        for ns in $(ip netns list | awk '{print $1}' | grep "^${LAB_NS_PREFIX}" || true); do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
            ip netns del "$ns" 2>/dev/null || true
        done
    fi
}

# lab_init <scenario>: namespaces are called rl-<scenario>-<role>; output goes to samples/<scenario>/
lab_init() {
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
    LAB_SCENARIO="$1"
    LAB_NS_PREFIX="rl-${1}-"
    OUT="$SAMPLES_DIR/$1"
    mkdir -p "$OUT"
    lab_cleanup            # idempotent: remove leftovers of an earlier interrupted run
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
}

ns() { echo "${LAB_NS_PREFIX}$1"; }
nsx() { local n; n="$(ns "$1")"; shift; ip netns exec "$n" "$@"; }

_ns_base() {  # a fresh namespace with lo up and IPv6 off (no router solicitations in captures)
    ip netns add "$1"
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$1" ip link set lo up
}

# node_create <node> <pod-subnet-prefix e.g. 10.244.0> <bridge-nf-call-iptables 0|1> [node-index]
# A node: bridge cni0 <prefix>.1/24, ip_forward=1, a dummy uplink "eth0" carrying the default route
# (a veth whose peer stays down, so whatever is routed there is dropped: nothing leaves; this kernel
# has no dummy driver), kube-proxy's base chains.
node_create() {
    local node="$1" prefix="$2" brnf="$3" idx="${4:-1}" n
    n="$(ns "$node")"
    _ns_base "$n"
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$n" sysctl -qw net.bridge.bridge-nf-call-iptables="$brnf"
    ip netns exec "$n" ip link add cni0 type bridge
    ip netns exec "$n" ip link set cni0 address "02:42:0a:f4:$(printf %02x "${prefix##*.}"):01"
    ip netns exec "$n" ip addr add "$prefix.1/24" dev cni0
    ip netns exec "$n" ip link set cni0 up
    ip netns exec "$n" ip link add eth0 type veth peer name eth0-peer
    ip netns exec "$n" ip addr add "192.168.49.$idx/24" dev eth0
    ip netns exec "$n" ip link set eth0 up
    ip netns exec "$n" ip route add default via 192.168.49.254 dev eth0 onlink
    kubeproxy_base "$node"
}

# vxlan_nodes <brnf 0|1>: nodes a (pods 10.244.0.0/24) and b (10.244.1.0/24) joined Flannel's way:
# vxlan flannel.1 (UDP 8472, static neighbour + fdb entries) over an underlay veth ul0,
# 192.168.50.1 <-> 192.168.50.2
vxlan_nodes() {
    node_create a 10.244.0 "$1" 1
    node_create b 10.244.1 "$1" 2
    ip link add ul0 netns "$(ns a)" type veth peer name ul0 netns "$(ns b)"
    local -A UL=([a]=192.168.50.1 [b]=192.168.50.2) MAC=([a]=0e:fa:00:00:00:0a [b]=0e:fa:00:00:00:0b) \
        NET=([a]=10.244.0 [b]=10.244.1)
    local n pair
    for n in a b; do
        nsx "$n" ip addr add "${UL[$n]}/24" dev ul0
        nsx "$n" ip link set ul0 up
        nsx "$n" ip link add flannel.1 type vxlan id 1 local "${UL[$n]}" dev ul0 dstport 8472 nolearning
        nsx "$n" ip link set flannel.1 address "${MAC[$n]}" mtu 1450
        nsx "$n" ip addr add "${NET[$n]}.0/32" dev flannel.1
        nsx "$n" ip link set flannel.1 up
    done
    for pair in "a b" "b a"; do
        set -- $pair
        nsx "$1" ip route add "${NET[$2]}.0/24" via "${NET[$2]}.0" dev flannel.1 onlink
        nsx "$1" ip neigh add "${NET[$2]}.0" lladdr "${MAC[$2]}" dev flannel.1 nud permanent
        nsx "$1" bridge fdb append "${MAC[$2]}" dev flannel.1 dst "${UL[$2]}"
    done
}

# kube-proxy (iptables mode) skeleton: nat KUBE-SERVICES from PREROUTING/OUTPUT, KUBE-MARK-MASQ +
# KUBE-POSTROUTING masquerade for marked (hairpin) traffic, filter KUBE-SERVICES from
# FORWARD/OUTPUT (new connections) and KUBE-EXTERNAL-SERVICES from INPUT, where REJECTs for
# Services without endpoints live. Plus Flannel's masquerade of pod traffic leaving the cluster.
kubeproxy_base() {
    local n; n="$(ns "$1")"
    ip netns exec "$n" iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment "flannel masq" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
COMMIT
RULES
}

# svc_add <node> <name> <vip> <port> <backend-ip> <backend-port>: a ClusterIP Service with one endpoint
svc_add() {
    local node="$1" name="$2" vip="$3" port="$4" bip="$5" bport="$6" n svc sep
    n="$(ns "$node")"
    svc="KUBE-SVC-${name^^}"; sep="KUBE-SEP-${name^^}"
    ip netns exec "$n" iptables -t nat -N "$svc"
    ip netns exec "$n" iptables -t nat -N "$sep"
    ip netns exec "$n" iptables -t nat -A KUBE-SERVICES -d "$vip/32" -p tcp --dport "$port" \
        -m comment --comment "default/$name cluster IP" -j "$svc"
    ip netns exec "$n" iptables -t nat -A "$svc" -m comment --comment "default/$name -> $bip:$bport" -j "$sep"
    ip netns exec "$n" iptables -t nat -A "$sep" -s "$bip/32" -j KUBE-MARK-MASQ
    ip netns exec "$n" iptables -t nat -A "$sep" -p tcp -j DNAT --to-destination "$bip:$bport"
}

# svc_reject <node> <name> <vip> <port>: kube-proxy's rules for a Service that has no endpoints
svc_reject() {
    local node="$1" name="$2" vip="$3" port="$4" c
    for c in KUBE-SERVICES KUBE-EXTERNAL-SERVICES; do
        nsx "$node" iptables -t filter -A "$c" -d "$vip/32" -p tcp --dport "$port" \
            -m comment --comment "default/$name has no endpoints" -j REJECT --reject-with icmp-port-unreachable
    done
}

# pod_create <node> <pod> <ip> [gw]: pod netns with eth0 (deterministic MAC) on the node's cni0
pod_create() {
    local node="$1" pod="$2" ip="$3" gw="${4:-${3%.*}.1}" nn pn hv mac
    nn="$(ns "$node")"; pn="$(ns "$pod")"
    hv="veth${pod:0:8}"
    mac="$(printf '0a:58:%02x:%02x:%02x:%02x' ${ip//./ })"
    _ns_base "$pn"
    ip netns exec "$nn" ip link add "$hv" type veth peer name eth0 netns "$pn"
    ip netns exec "$pn" ip link set eth0 address "$mac"
    ip netns exec "$pn" ip addr add "$ip/24" dev eth0
    ip netns exec "$pn" ip link set eth0 up
    ip netns exec "$pn" ip route add default via "$gw" dev eth0
    ip netns exec "$nn" ip link set "$hv" master cni0
    ip netns exec "$nn" ip link set "$hv" up
}

# bg <cmd...>: run in the background, remember the pid for cleanup
bg() { "$@" & LAB_PIDS+=("$!"); }

# server <pod> <port> [mode] [bind-ip]: start server.py in the pod and wait until it listens
server() {
    local pod="$1" port="$2" mode="${3:-serve}" bind="${4:-0.0.0.0}" i
    bg ip netns exec "$(ns "$pod")" "$PY" -u "$LAB_DIR/server.py" "$bind" "$port" "$mode"
    for i in $(seq 50); do
        nsx "$pod" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
        sleep 0.1
    done
    echo "server in $pod did not start on $port" >&2; return 1
}

# client <pod> <host> <port> [mode] [local-port]: run client.py once (never fails the script)
client() {
    local pod="$1"; shift
    nsx "$pod" "$PY" -u "$LAB_DIR/client.py" "$@" || true
}

# cap_start <ns-role> <iface> <file> [filter]: tcpdump in the background; waits until it listens
cap_start() {
    local role="$1" ifc="$2" file="$3" filter="${4:-tcp or icmp or udp port 8472}" log i
    log="/tmp/${LAB_NS_PREFIX}$(basename "$file").log"
    rm -f "$file"
    ip netns exec "$(ns "$role")" tcpdump --immediate-mode -U -Z root ${CAP_OPTS:--B 16384} -i "$ifc" -w "$file" "$filter" 2>"$log" &
    LAB_CAP_PIDS+=("$!")
    for i in $(seq 50); do grep -q "listening on" "$log" 2>/dev/null && return 0; sleep 0.1; done
    cat "$log" >&2; return 1
}

# cap_stop: SIGINT every capture, wait for tcpdump to exit
cap_stop() {
    local p
    sleep "${1:-0.5}"
    for p in "${LAB_CAP_PIDS[@]:-}"; do [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true; done
    for p in "${LAB_CAP_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    LAB_CAP_PIDS=()
    grep -H "dropped by kernel" /tmp/"${LAB_NS_PREFIX}"*.log 2>/dev/null | grep -v ":0 packets" >&2 || true
    rm -f /tmp/"${LAB_NS_PREFIX}"*.log
}

# cap_check <file>...: each capture must be readable by tshark and non-empty
cap_check() {
    local f n
    for f in "$@"; do
        n="$(tshark -r "$f" 2>/dev/null | wc -l)"
        [ "$n" -gt 0 ] || { echo "capture $f is empty or unreadable" >&2; return 1; }
        lab_log "$(basename "$(dirname "$f")")/$(basename "$f"): $n packets"
    done
}

# expect <capture> <json-array-of-findings>: write <capture>.expected.json, the truth of the scenario
expect() {
    "$PY" - "$1.expected.json" "$2" <<'PYEOF'
import json, sys
findings = json.loads(sys.argv[2])
keys = ["rule", "client", "server", "backend", "resetBy", "count"]
for f in findings:
    assert set(f) == set(keys), f
with open(sys.argv[1], "w") as fh:
    json.dump({"findings": [{k: f[k] for k in keys} for f in findings]}, fh, indent=2)
    fh.write("\n")
PYEOF
}

# ports <capture> <display-filter>: the distinct TCP source ports of matching packets (sanity checks)
ports() { tshark -r "$1" -Y "$2" -T fields -e tcp.srcport 2>/dev/null | sort -un | tr '\n' ' '; }
