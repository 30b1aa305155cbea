#!/usr/bin/env bash
# Regenerate every lab capture and its .expected.json (root needed; a few minutes). Each scenario
# builds its own network namespaces (named rl-<scenario>-*) and removes them when it ends.
set -euo pipefail
cd "$(dirname "$0")"
for s in brnf-off brnf-on refused icmp-reject icmp-reject-after-dnat nat-midstream linger0 vxlan-two-nodes hairpin stale injected idle \
        accept-queue-overflow pmtu-blackhole syn-retry-delay peer-unresponsive syn-drop-two-nodes; do
    [ -x "./$s.sh" ] || continue
    echo "== $s" >&2
    "./$s.sh"
done
