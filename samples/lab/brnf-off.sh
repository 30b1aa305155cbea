#!/usr/bin/env bash
# Seed case (issue 3): bridge-nf-call-iptables=0 on the node. The ClusterIP SYN is DNAT'd by the
# node's routing path, but the backend's SYN-ACK is bridged straight back to the client without
# conntrack's reverse NAT: it arrives from 10.244.0.3:8080 instead of 10.96.0.10:80, the client
# kernel answers it with RST, connect() times out. Direct pod-IP access works.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/_brnf.sh"
run_brnf brnf-off 0
write_brnf_expectations brnf-off 0
