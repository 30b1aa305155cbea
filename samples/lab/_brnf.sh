# shellcheck shell=bash
# Shared body of brnf-off.sh and brnf-on.sh: one node, client pod 10.244.0.2, server pod
# 10.244.0.3:8080 behind ClusterIP 10.96.0.10:80; two attempts through the ClusterIP (client ports
# 40001 and 40002), then one directly to the pod IP (client port 40003).
# The story is played twice on a freshly built node: once captured at node -i any, client eth0 and
# server eth0; once captured on the bridge cni0 alone. Reason: tcpdump puts cni0 in promiscuous
# mode, and with bridge-nf-call-iptables=1 a promiscuous bridge makes the kernel deliver duplicates
# of the NAT'd packets to the pods (seen in this lab), which would perturb the other vantages.
build_brnf() {
    node_create node 10.244.0 "$1"
    pod_create node client 10.244.0.2
    pod_create node server 10.244.0.3
    svc_add node web 10.96.0.10 80 10.244.0.3 8080
    server server 8080 serve
}
traffic_brnf() {
    client client 10.96.0.10 80 get 40001
    client client 10.96.0.10 80 get 40002
    client client 10.244.0.3 8080 get 40003
}
# usage: run_brnf <scenario> <bridge-nf-call-iptables 0|1>
run_brnf() {
    local scen="$1" brnf="$2"
    lab_init "$scen"
    build_brnf "$brnf"
    cap_start node any "$OUT/node-any.pcap"
    cap_start client eth0 "$OUT/client-eth0.pcap"
    cap_start server eth0 "$OUT/server-eth0.pcap"
    traffic_brnf
    cap_stop 1
    lab_cleanup
    build_brnf "$brnf"
    cap_start node cni0 "$OUT/node-cni0.pcap"
    traffic_brnf
    cap_stop 1
    cap_check "$OUT"/*.pcap
}
# write_brnf_expectations <scenario> <brnf>: the truth, checked against the captured client ports
write_brnf_expectations() {
    local out="$SAMPLES_DIR/$1" p
    p="$(ports "$out/client-eth0.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
    [ "$p" = "40001 40002 40003 " ] || { echo "unexpected client ports: $p" >&2; return 1; }
    if [ "$2" = 1 ]; then
        for f in node-any node-cni0 client-eth0 server-eth0; do expect "$out/$f.pcap" '[]'; done
        return
    fi
    local u='[{"rule":"unreversed-dnat","client":"10.244.0.2:40001","server":"10.96.0.10:80",
              "backend":"10.244.0.3:8080","resetBy":"client","count":2}]'
    for f in node-any node-cni0 client-eth0; do expect "$out/$f.pcap" "$u"; done
    expect "$out/server-eth0.pcap" '[{"rule":"synack-rejected","client":"10.244.0.2:40001",
        "server":"10.244.0.3:8080","backend":null,"resetBy":"client","count":2}]'
}
