import type { Connection, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, icmpName, looksLikeService, sortEvidence, synCopyNotes, translatedPeer } from './evidence.js';
import { isSynOnly } from './tcp.js';
import { Fact, type FactTest } from './facts.js';

/** Destination-unreachable (ICMP type 3 / ICMPv6 type 1) tied to a connection that never opened. */
function rejection(c: Connection) {
  if (c.established || c.dirs[1].synAckSeen || !c.dirs[0].synSeen) return undefined;
  // ICMPv4 3/4 (fragmentation needed) is path-MTU signalling, not a rejection (like ICMPv6 2).
  return c.events.find((e) => e.icmpType >= 0 && e.dir === 1 &&
    ((c.orig.version === 4 && e.icmpType === 3 && e.icmpCode !== 4) || (c.orig.version === 6 && e.icmpType === 1)));
}

/** The facts rejection() needs: a SYN, an ICMP error, no handshake. */
const REJECTABLE: FactTest = { all: Fact.SynOrig | Fact.Icmp, none: Fact.Established | Fact.SynAckResp };

/** The ICMP error answered the SYN (no timeout), and it alone did: nothing from the destination's TCP on either NAT half (no refusal). */
function ruledOutOf(c0: Connection, hit: { sender: string; kind: string }, icmpFrame: number | undefined, conns: readonly Connection[]): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  if (icmpFrame !== undefined) out.push({ rule: 'syn-timeout', messageId: 'icmpAnswered', data: { kind: hit.kind, sender: hit.sender, icmpFrame } });
  if (!conns.some((c) => c.events.some((e) => e.dir === 1 && e.icmpType < 0))) {
    const backend = c0.natRole === 'original' && c0.natPeer !== null ? c0.natPeer.resp.addr : '';
    out.push({ rule: 'connection-refused', messageId: 'noTcpAnswer', data: { serverAddr: c0.resp.addr, backend } });
  }
  return out;
}

/** The kinds a router sends when the destination does not answer address resolution. */
const UNRESOLVED_KINDS = new Set(['host-unreachable', 'net-unreachable', 'address-unreachable']);

/** SYN answered by ICMP/ICMPv6 unreachable or prohibited. */
export const icmpRejected: Rule = {
  meta: {
    id: 'icmp-rejected',
    severity: 'error',
    title: 'The SYN was rejected with an ICMP unreachable',
    description: 'SYN answered by ICMP/ICMPv6 unreachable or prohibited; for a Service address sent by a node: a Service without endpoints (kube-proxy REJECT).',
    docs: 'docs/rules/icmp-rejected.md',
    messages: {
      rejectedByHost: {
        summary: '{{clientAddr}} → {{server}}: rejected with ICMP {{kind}} from {{sender}}',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and {{sender}} answered with ICMP {{kind}}{{#icmpFrame}} (frame {{icmpFrame|frame}}){{/icmpFrame}}, quoting that SYN; the application got "connection refused" or "no route to host" at once.'
          + ' The destination host itself{{#backend}}, the Service\'s backend {{backend}} (the SYN was translated to it, frame {{dnatFrame|frame}}),{{/backend}} rejected it (a firewall rule with REJECT on that host, or no socket and an ICMP-rejecting policy).'
          + '{{#several}} {{count|plural:attempt}} were rejected the same way.{{/several}}',
      },
      rejectedOnPath: {
        summary: '{{clientAddr}} → {{server}}: rejected with ICMP {{kind}} from {{sender}}',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and {{sender}} answered with ICMP {{kind}}{{#icmpFrame}} (frame {{icmpFrame|frame}}){{/icmpFrame}}, quoting that SYN; the application got "connection refused" or "no route to host" at once.'
          + ' The rejection came from {{sender}}, not from {{serverAddr}}: a router or firewall on the way (or the node itself) refused it.'
          + '{{#backend}} The SYN had been translated to the backend {{backend}} (frame {{dnatFrame|frame}}), so the Service has an endpoint: this is not kube-proxy\'s rejection of a Service without endpoints but a rule that applies after the translation (a NetworkPolicy or a firewall on {{sender}}).{{/backend}}'
          + '{{#several}} {{count|plural:attempt}} were rejected the same way.{{/several}}',
      },
      rejectedAfterDnat: {
        summary: '{{clientAddr}} → {{server}}: rejected with ICMP {{kind}} after the Service\'s translation{{#backend}} to {{backend}}{{/backend}}{{#onNode}}, by this node{{/onNode}}',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and ICMP {{kind}} came back from {{sender}} itself{{#icmpFrame}} (frame {{icmpFrame|frame}}){{/icmpFrame}}, quoting that SYN; the application got "connection refused" at once.'
          + ' {{serverAddr}} is a Service address, which no host owns: conntrack translated the error back like a reply, so the SYN had been translated to a backend{{#backend}} ({{backend}}, frame {{dnatFrame|frame}}){{/backend}} and the Service has an endpoint (kube-proxy\'s own rejection of a Service without endpoints is made instead of the translation and comes from the node\'s address).'
          + '{{#onNode}} No error from the backend is in this capture, which sees both halves: a rule on this node after the translation rejected it (a NetworkPolicy, or a REJECT in the FORWARD chain).{{/onNode}}'
          + '{{^onNode}} The packets here do not say who rejected it: the backend pod\'s host (nothing listening on the target port and an ICMP-rejecting policy, or a REJECT in its firewall) or a rule on the way to it (a NetworkPolicy). A capture on the node (tcpdump -i any) tells them apart: a backend\'s error shows there with its own address before it is translated.{{/onNode}}'
          + '{{#several}} {{count|plural:attempt}} were rejected the same way.{{/several}}',
      },
      hostUnreachable: {
        summary: '{{clientAddr}} → {{server}}: {{sender}} could not reach {{serverAddr}} (ICMP {{kind}} {{delay}} s after the SYN)',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and {{sender}} answered with ICMP {{kind}}{{#icmpFrame}} (frame {{icmpFrame|frame}}){{/icmpFrame}}, quoting that SYN, {{delay}} s later.'
          + ' An unreachable that comes seconds after the SYN is not a firewall\'s rejection (that is immediate): the router or node that should deliver the SYN found no one answering address resolution (ARP or IPv6 neighbour discovery) for {{serverAddr}} — the host is down or gone (a deleted pod whose address is not reused yet), or the address is not in use.'
          + '{{#several}} {{count|plural:attempt}} ended the same way.{{/several}}',
      },
      serviceWithoutEndpoints: {
        summary: '{{clientAddr}} → {{server}}: rejected with ICMP {{kind}} from {{sender}} (Service without endpoints)',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and {{sender}} answered with ICMP {{kind}}{{#icmpFrame}} (frame {{icmpFrame|frame}}){{/icmpFrame}}, quoting that SYN; the application got "connection refused" or "no route to host" at once.'
          + ' The rejection came from {{sender}}, not from {{serverAddr}}: a router or firewall on the way (or the node itself) refused it.'
          + ' {{server}} is a Service address and the ICMP came from a node: kube-proxy installs a REJECT rule for a Service that has no ready endpoints — no backend pod is Ready.'
          + '{{#several}} {{count|plural:attempt}} were rejected the same way.{{/several}}',
      },
      icmpAnswered: 'the SYN was answered: ICMP {{kind}} from {{sender}} quoting it (frame {{icmpFrame|frame}})',
      noTcpAnswer: 'no TCP packet came back from {{serverAddr}}{{#backend}} nor from {{backend}}{{/backend}} (no RST+ACK): only the ICMP error',
    },
    // (hostUnreachable: see UNRESOLVED_KINDS.)
    // Rejections of one connection attempt differ by the ICMP kind (port vs host, prohibited…).
    distinguishBy: ['kind'],
    // rejection(), on the connection or (its original) on the translated half.
    appliesTo: [REJECTABLE, { all: Fact.NatOriginal | Fact.Linked, peer: REJECTABLE }],
    yieldsTo: ['connection-refused'],
    rollUp: {
      by: ['messageId', 'data.kind', 'server'],
      title: 'Connections to {{server}} rejected with ICMP {{kind}} from {{sender}}',
      titleFor: {
        serviceWithoutEndpoints: 'Service {{server}} has no endpoints: kube-proxy rejects its connections',
        rejectedAfterDnat: 'Connections to Service {{server}} rejected with ICMP {{kind}} after its translation to a backend',
      },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: { conn: Connection; sender: string; kind: string; delay: number }[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c)) continue;
      if (c.natRole === 'translated') continue;
      // The translated half's error, when there is one, carries its sender's own address: the
      // error the client gets is translated back by conntrack like a reply, source included.
      const peer = translatedPeer(c);
      const onPeer = peer !== null ? rejection(peer) : undefined;
      const ev = onPeer ?? rejection(c);
      const conn = onPeer !== undefined ? peer! : c;
      if (ev === undefined) continue;
      hits.push({ conn: c, sender: ev.icmpSender ?? '?', kind: icmpName(conn.orig.version, ev.icmpType, ev.icmpCode),
        delay: ev.t - conn.firstT });
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.sender}|${h.kind}`).map((group) => {
      const h0 = group[0]!;
      const c0 = h0.conn;
      // A translated half means kube-proxy (or another DNAT) found a backend: the Service has an
      // endpoint, and the backend's host is the destination that may have rejected it.
      const backendConn = group.map((h) => translatedPeer(h.conn)).find((p) => p !== null && p.resp.text !== c0.resp.text) ?? null;
      const service = looksLikeService(c0, ctx.isServiceAddress);
      // From the Service address, which no host owns: conntrack translated a rejection made after
      // the DNAT (by the backend or a rule on the way). kube-proxy's own rejection of a Service
      // without endpoints is made instead of the DNAT and leaves from the node's address.
      const afterDnat = service && h0.sender === c0.resp.addr;
      // A capture that sees the translated half and no error from the backend: this node rejected it.
      const onNode = afterDnat && backendConn !== null;
      const fromServer = !afterDnat && (h0.sender === c0.resp.addr || (backendConn !== null && h0.sender === backendConn.resp.addr));
      const evidence = [];
      const conns: Connection[] = [];
      for (const h of group) {
        for (const c of [h.conn, ...(h.conn.natPeer ? [h.conn.natPeer] : [])]) {
          ctx.claim(c);
          conns.push(c);
          const notes = c === h.conn ? synCopyNotes(c, 'SYN retransmission') : null;
          for (const ev of c.events) {
            // The translated SYN too: it shows the Service had an endpoint.
            if (isSynOnly(ev)) evidence.push(evidenceOf(c, ev, notes === null ? `translated to ${c.resp.text}` : notes.get(ev) ?? ''));
            else if (ev.icmpType >= 0) evidence.push(evidenceOf(c, ev, `from ${ev.icmpSender}: quotes this connection's SYN`));
          }
        }
      }
      sortEvidence(evidence);
      const icmpFrame = evidence.find((e) => e.label.startsWith('ICMP'))?.frame;
      const kubeProxy = service && !fromServer && !afterDnat && backendConn === null;
      // Host/net unreachable a second or more after the SYN: the last router's address resolution
      // (ARP / neighbour discovery) went unanswered, which takes ~3 s on Linux — no rejection.
      const unresolved = UNRESOLVED_KINDS.has(h0.kind) && h0.delay >= 1;
      const remediation = unresolved ? [
        `ip neigh show ${c0.resp.addr}   # on ${h0.sender}: FAILED or INCOMPLETE means nothing answered ARP / neighbour discovery`,
        `kubectl get pods -A -o wide | grep ${c0.resp.addr}   # is a pod still using this address? Stale endpoints or DNS answers point clients at deleted pods`,
        'Check that the destination host is up and on the expected network; clients should resolve the name again and retry another address.',
      ] : kubeProxy ? [
        `kubectl get svc -A -o wide | grep ${c0.resp.addr}   # which Service is this`,
        'kubectl get endpointslices -n <ns> -l kubernetes.io/service-name=<svc>   # no ready endpoints?',
        'kubectl get pods -n <ns> -l <the Service selector>   # are the pods Running and Ready; does the selector match their labels',
        `iptables-save | grep -i reject | grep ${c0.resp.addr}   # on the node: kube-proxy's REJECT rule ("has no endpoints")`,
      ] : afterDnat ? [
        ...(onNode ? [] : [`kubectl get svc -A -o wide | grep ${c0.resp.addr}   # which Service is this`,
          'kubectl get endpointslices -n <ns> -l kubernetes.io/service-name=<svc> -o wide   # its backends: one of them, or the way to it, rejects']),
        onNode ? 'On this node: iptables-save | grep -i reject; nft list ruleset | grep -i reject   # a rule after the Service\'s DNAT (FORWARD), e.g. a NetworkPolicy'
          : 'tcpdump -i any on the client\'s node tells the two apart: a backend\'s own error shows with its address before the node translates it',
        'kubectl get networkpolicy -A   # a policy that rejects traffic to the backend pods',
        ...(onNode ? [] : ['kubectl exec <backend pod> -- ss -ltn   # is the application listening on the target port?']),
      ] : [
        `Find the rule that rejects it on ${h0.sender}: iptables-save | grep -i reject (or nft list ruleset)`,
        'Allow the traffic (a NetworkPolicy, a security group or host firewall), or fix the route.',
      ];
      return {
        rule: 'icmp-rejected' as const,
        messageId: unresolved ? 'hostUnreachable' : afterDnat ? 'rejectedAfterDnat' : fromServer ? 'rejectedByHost'
          : kubeProxy ? 'serviceWithoutEndpoints' : 'rejectedOnPath',
        data: {
          clientAddr: c0.orig.addr, client: c0.orig.text, server: c0.resp.text, serverAddr: c0.resp.addr,
          synFrame: c0.dirs[0].synFrame, sender: h0.sender, kind: h0.kind, icmpFrame: icmpFrame ?? 0,
          delay: h0.delay.toFixed(1), backend: backendConn?.resp.text ?? '', dnatFrame: backendConn?.dirs[0].synFrame ?? 0, onNode,
        },
        severity: 'error' as const,
        confidence: 0.95,
        client: c0.orig.text,
        server: c0.resp.text,
        backend: backendConn?.resp.text ?? null,
        // After the DNAT, seen from the client: the backend or a rule on the way — the packets do not say which.
        resetBy: afterDnat ? (onNode ? ('middlebox' as const) : null) : fromServer ? ('server' as const) : ('middlebox' as const),
        resetSender: h0.sender,
        count: group.length,
        ruledOut: ruledOutOf(c0, h0, icmpFrame, conns),
        remediation,
        evidence,
        connections: conns,
      };
    });
  },
};
