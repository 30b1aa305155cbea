#!/usr/bin/env bash
# Healthy control: identical to brnf-off.sh with bridge-nf-call-iptables=1. Bridged replies go
# through conntrack, the SYN-ACK is un-DNAT'd to 10.96.0.10:80, every connection succeeds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/_brnf.sh"
run_brnf brnf-on 1
write_brnf_expectations brnf-on 1
