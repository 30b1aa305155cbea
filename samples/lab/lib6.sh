# shellcheck shell=bash
# Dual-stack extension of lib.sh for the issue-14 scenarios. Source it instead of lib.sh: it
# sources lib.sh (unchanged, so the existing IPv4 scenarios keep making the same captures) and then
#  - names namespaces rl14-<scenario>-<role> and writes to $LAB_OUT_ROOT/<scenario>/ (default
#    /work/lab-out: these captures are not samples yet), or rl-<scenario>-<role> and
#    samples/<scenario>/ with `lab_init <scenario> sample`;
#  - builds namespaces with IPv6 on (no DAD, no router solicitations, no RAs) and adds, next to the
#    IPv4 ones, pods in fd00:10:244::/64 (cni0 fd00:10:244::1), Services in fd00:10:96::/112 and
#    kube-proxy's ip6tables chains (the same names and shape as the IPv4 ones);
#  - runs lab/peer.py (IPv4 or IPv6 by the address) instead of server.py/client.py.
# Pod addresses: IPv4 <prefix>.N and IPv6 fd00:10:244::N for the same N.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAB_OUT_ROOT="${LAB_OUT_ROOT:-/work/lab-out}"
# what the captures keep, one address family per capture: TCP and ICMP (IPv4), or TCP and ICMPv6
# errors (types < 128: no NDP, MLD or echo) (IPv6)
CAP_FILTER4='ip and (tcp or icmp)'
CAP_FILTER6='ip6 and (tcp or (icmp6 and ip6[40] < 128))'

# lab_init <scenario> [sample]: with "sample", namespaces are rl-<scenario>-<role> and the captures
# go straight to samples/<scenario>/ (the scenarios written after issue 14)
lab_init() {
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
    LAB_SCENARIO="$1"
    if [ "${2:-}" = sample ]; then
        LAB_NS_PREFIX="rl-${1}-"
        OUT="$SAMPLES_DIR/$1"
    else
        LAB_NS_PREFIX="rl14-${1}-"
        OUT="$LAB_OUT_ROOT/$1"
    fi
    mkdir -p "$OUT"
    lab_cleanup
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
}

_ns_base() {  # a fresh namespace with lo up and IPv6 on, but quiet: no DAD, RS or RA
    local k
    ip netns add "$1"
    for k in all default; do
        ip netns exec "$1" sysctl -qw net.ipv6.conf.$k.disable_ipv6=0 net.ipv6.conf.$k.accept_dad=0 \
            net.ipv6.conf.$k.dad_transmits=0 net.ipv6.conf.$k.router_solicitations=0 net.ipv6.conf.$k.accept_ra=0
    done
    ip netns exec "$1" ip link set lo up
}

# node_create6 <node> <brnf 0|1>: node_create (IPv4, 10.244.0.0/24) plus IPv6 on cni0 and the
# uplink, IPv6 forwarding, bridge-nf-call-ip6tables = brnf, kube-proxy's ip6tables chains
node_create6() {
    local node="$1" brnf="$2" n
    node_create "$node" 10.244.0 "$brnf"
    n="$(ns "$node")"
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1 net.bridge.bridge-nf-call-ip6tables="$brnf"
    ip netns exec "$n" ip -6 addr add fd00:10:244::1/64 dev cni0 nodad
    ip netns exec "$n" ip -6 addr add fd00:192:168:49::1/64 dev eth0 nodad
    ip netns exec "$n" ip -6 route add default via fd00:192:168:49::fe dev eth0 onlink
    ip netns exec "$n" ip6tables-restore <<'RULES'
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
-A POSTROUTING -s fd00:10:244::/56 ! -d fd00:10:244::/56 -m comment --comment "flannel masq" -j MASQUERADE
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

# pod_create6 <node> <pod> <N>: pod 10.244.0.N and fd00:10:244::N (MAC from the IPv4 address)
pod_create6() {
    local node="$1" pod="$2" i="$3"
    pod_create "$node" "$pod" "10.244.0.$i"
    nsx "$pod" ip -6 addr add "fd00:10:244::$(printf %x "$i")/64" dev eth0 nodad
    nsx "$pod" ip -6 route add default via fd00:10:244::1 dev eth0
}

# svc_add6 <node> <name> <vip6> <port> <backend-ip6> <backend-port>: an IPv6 ClusterIP Service
svc_add6() {
    local node="$1" name="$2" vip="$3" port="$4" bip="$5" bport="$6" svc sep
    svc="KUBE-SVC-${name^^}"; sep="KUBE-SEP-${name^^}"
    nsx "$node" ip6tables -t nat -N "$svc"
    nsx "$node" ip6tables -t nat -N "$sep"
    nsx "$node" ip6tables -t nat -A KUBE-SERVICES -d "$vip/128" -p tcp --dport "$port" \
        -m comment --comment "default/$name cluster IP" -j "$svc"
    nsx "$node" ip6tables -t nat -A "$svc" -m comment --comment "default/$name -> [$bip]:$bport" -j "$sep"
    nsx "$node" ip6tables -t nat -A "$sep" -s "$bip/128" -j KUBE-MARK-MASQ
    nsx "$node" ip6tables -t nat -A "$sep" -p tcp -j DNAT --to-destination "[$bip]:$bport"
}

# ipt <4|6> <ns-role> <args...>: iptables or ip6tables in a namespace
ipt() { local v="$1"; shift; if [ "$v" = 6 ]; then nsx "$1" ip6tables "${@:2}"; else nsx "$1" iptables "${@:2}"; fi; }

# addr <4|6> <N>: the pod address; vip <4|6>: the Service address; hp <addr> <port>: ip:port as
# rstdiag writes it ([v6]:port)
addr() { if [ "$1" = 6 ]; then echo "fd00:10:244::$(printf %x "$2")"; else echo "10.244.0.$2"; fi; }
vip() { if [ "$1" = 6 ]; then echo "fd00:10:96::a"; else echo "10.96.0.10"; fi; }
hp() { case "$1" in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }

# peer_server <pod> <bind-ip> <port> <mode>: peer.py server, waits until it listens
peer_server() {
    local pod="$1" bind="$2" port="$3" mode="$4" i
    bg ip netns exec "$(ns "$pod")" "$PY" -u "$LAB_DIR/peer.py" server "$bind" "$port" "$mode"
    for i in $(seq 50); do
        nsx "$pod" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
        sleep 0.1
    done
    echo "server in $pod did not start on $port" >&2; return 1
}

# peer_client <pod> <host> <port> <mode> [local-port]: peer.py client once (never fails the script)
peer_client() {
    local pod="$1"; shift
    nsx "$pod" "$PY" -u "$LAB_DIR/peer.py" client "$@" || true
}

# cap6_start <ns-role> <iface> <file> <4|6>: cap_start keeping one address family
cap6_start() { local f="CAP_FILTER$4"; cap_start "$1" "$2" "$3" "${!f}"; }

# frames <capture> <display-filter>: matching frame numbers, comma-separated (for editcap)
frames() { tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null | paste -sd, -; }

# drop_frames <in> <out> <display-filter>: a copy of <in> without the matching frames (all copies
# of a packet on every interface, when the filter names the packet by its TCP fields)
drop_frames() {
    local f; f="$(frames "$1" "$3")"
    [ -n "$f" ] || { echo "drop_frames: nothing matches $3 in $1" >&2; return 1; }
    editcap "$1" "$2" ${f//,/ }
    lab_log "$(basename "$2"): removed frames $f of $(basename "$1")"
}
