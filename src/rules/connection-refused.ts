import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { acrossNat, evidenceOf, groupBy, hex4, looksLikeService, SHARED_COUNTER_FACTS, sharedCounterData, sharedCounterRun, sortEvidence, synCopyNotes,
  translatedPeer } from './evidence.js';
import { isRst, isSynOnly } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact, type FactTest } from './facts.js';

interface Refusal {
  conn: Connection;
  /** The half whose RST came from the real listener's host (the backend after DNAT). */
  answered: Connection;
}

/** The RST+ACK acking the SYN's ISN + 1 that refused the connection, if one did. */
function refusal(c: Connection): ConnEvent | undefined {
  const o = c.dirs[0];
  if (!o.synSeen || c.established || c.dirs[1].synAckSeen || !c.dirs[1].rstSeen) return undefined;
  const want = (o.isn + 1) >>> 0;
  return c.events.find((e) => e.dir === 1 && isRst(e) && (e.flags & TcpFlag.ACK) !== 0 && e.ack === want);
}

/** The facts refusal() needs: a SYN, the responder's RST, no handshake. */
const REFUSABLE: FactTest = { all: Fact.SynOrig | Fact.RstResp, none: Fact.Established | Fact.SynAckResp };

function refusedBy(c: Connection): boolean {
  return refusal(c) !== undefined;
}

function ttlText(range: readonly [number, number]): string {
  return range[0] === range[1] ? `${range[0]}` : `${range[0]}–${range[1]}`;
}

/**
 * The SYN was answered at once by a RST+ACK acking its ISN + 1 (no ICMP, no timeout); that RST's
 * TTL is the one the host's own packets arrive with elsewhere in the capture (no forgery), when known.
 */
function ruledOutOf(answered: Connection, rst: ConnEvent, usual: readonly [number, number] | null, conns: readonly Connection[]): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  let syn: ConnEvent | undefined;
  for (let i = answered.events.length - 1; i >= 0 && syn === undefined; i--) {
    const e = answered.events[i]!;
    if (e.frame < rst.frame && e.dir === 0 && isSynOnly(e)) syn = e;
  }
  if (!conns.some((c) => c.events.some((e) => e.icmpType >= 0))) {
    out.push({ rule: 'icmp-rejected', messageId: 'rstNotIcmp', data: { rstFrame: rst.frame } });
  }
  if (syn !== undefined) {
    out.push({ rule: 'syn-timeout', messageId: 'answeredAtOnce', data: {
      rstFrame: rst.frame, synFrame: syn.frame, delayMs: ((rst.t - syn.t) * 1000).toFixed(1),
    } });
  }
  if (usual !== null && rst.ttl >= usual[0] && rst.ttl <= usual[1]) {
    out.push({ rule: 'injected-reset', messageId: 'hostsOwnTtl', data: { ttl: rst.ttl, usualTtl: ttlText(usual) } });
  }
  return out;
}

/**
 * The TTLs `addr`'s own packets arrive with on its connections that carry no RST from it, when they
 * agree (one value or two adjacent ones) and are ordinary (not GTSM's 255 or 1): else null.
 */
function usualTtl(connections: readonly Connection[], addr: string): [number, number] | null {
  let lo = 256;
  let hi = -1;
  for (const x of connections) {
    for (const d of [0, 1] as const) {
      const dir = x.dirs[d];
      if ((d === 0 ? x.orig.addr : x.resp.addr) !== addr || dir.rstSeen || dir.packets === 0 || dir.maxTtl < 0) continue;
      lo = Math.min(lo, dir.minTtl);
      hi = Math.max(hi, dir.maxTtl);
    }
  }
  return hi >= 0 && hi - lo <= 1 && hi < 250 && lo > 1 ? [lo, hi] : null;
}

/** TTLs (hop limits) stacks send with: one arriving so crossed no router. */
const INITIAL_TTLS: ReadonlySet<number> = new Set([64, 128, 255]);

/** The first SYN the originator sent on the connection. */
function firstSyn(c: Connection): ConnEvent | undefined {
  return c.events.find((e) => e.dir === 0 && isSynOnly(e));
}

/** SYN answered by RST+ACK acking its ISN + 1: nothing listens at the (translated) destination. */
export const connectionRefused: Rule = {
  meta: {
    id: 'connection-refused',
    severity: 'error',
    title: 'Connection refused: the SYN was answered by RST+ACK',
    description: 'SYN answered by RST+ACK: no listener at the (translated) destination.',
    docs: 'docs/rules/connection-refused.md',
    messages: {
      refused: {
        summary: '{{clientAddr}} → {{server}}: connection refused, nothing listens on port {{port}}',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}); {{whoAddr}} answered with RST+ACK acknowledging the SYN\'s ISN + 1: nothing is listening on port {{port}} there, and the application got "connection refused" (ECONNREFUSED) at once.'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}',
      },
      refusedBehindNat: {
        summary: '{{clientAddr}} → {{server}} (→ {{backend}}): connection refused, nothing listens on port {{port}}',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}), which the node translated to {{backend}}; {{whoAddr}} answered with RST+ACK acknowledging the SYN\'s ISN + 1: nothing is listening on port {{port}} there, and the application got "connection refused" (ECONNREFUSED) at once.'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}'
          + ' {{server}} is a Service address: its targetPort ({{port}}) does not match a port the backend container listens on, or the container has not started listening yet (a readiness probe that passes before the listener is up).',
      },
      refusedInItsName: {
        summary: '{{clientAddr}} → {{server}}: refused with a RST+ACK that {{whoAddr}} did not send itself (TTL {{rstTtl}}, its packets arrive with {{usualTtl}})',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and got a RST+ACK acknowledging the SYN\'s ISN + 1 in {{whoAddr}}\'s name, with TTL {{rstTtl}}; {{whoAddr}}\'s own packets on the other connections of this capture arrive with TTL {{usualTtl}}.'
          + ' The refusal was made closer to the capture point, or by another stack: a firewall or NAT on the path answered for the host (REJECT --reject-with tcp-reset, a NAT or VPN gateway refusing a port it does not forward). Whether anything listens on port {{port}} of {{whoAddr}} is not shown.'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}',
      },
      refusedOnSharedCounter: {
        summary: '{{clientAddr}} → {{server}}: refused with a RST+ACK from one stack that answers for {{runAddrs}} addresses (IP IDs from one counter), not shown to be {{whoAddr}}\'s own',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and got a RST+ACK acknowledging the SYN\'s ISN + 1 in {{whoAddr}}\'s name (frame {{rstFrame|frame}}, TTL {{rstTtl}}, IP ID {{rstIpId}}).'
          + SHARED_COUNTER_FACTS
          + ' The refusals were made by one box answering in the peers\' name: a NAT or proxy (a user-mode NAT such as VirtualBox\'s or slirp passes its own connect()\'s failure on as a RST), a firewall rejecting with tcp-reset, or one host that owns all these addresses. Whether anything listens on port {{port}} of {{whoAddr}} is not shown.'
          + '{{#zeroHop}} The TTL agrees: {{rstTtl}} is a sending stack\'s initial value, no router passed, although {{whoAddr}} is a public address and {{clientAddr}} a private one behind a NAT.{{/zeroHop}}'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}',
      },
      refusedAtZeroHops: {
        summary: '{{clientAddr}} → {{server}}: refused with a RST+ACK that crossed no router (TTL {{rstTtl}}) although {{whoAddr}} is beyond a NAT: made on this side of it',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}, TTL {{synTtl}}: the capture is on the client\'s side) and got a RST+ACK acknowledging the SYN\'s ISN + 1 in {{whoAddr}}\'s name (frame {{rstFrame|frame}}) with TTL {{rstTtl}}, a sending stack\'s initial value: no router decremented it.'
          + ' {{clientAddr}} is a private address and {{whoAddr}} a public one, so at least one router, the NAT, stands between them, and {{whoAddr}}\'s own packets would arrive here with a lower TTL.'
          + ' The refusal was made at the NAT or on the client\'s network: a NAT or firewall answering for the host (REJECT --reject-with tcp-reset; a user-mode NAT such as VirtualBox\'s or slirp passes its own connect()\'s failure on as a RST). Whether anything listens on port {{port}} of {{whoAddr}} is not shown.'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}',
      },
      refusedServiceUnseen: {
        summary: '{{clientAddr}} → {{server}}: connection refused, nothing listens on the target port',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}); {{whoAddr}} answered with RST+ACK acknowledging the SYN\'s ISN + 1: nothing is listening on the port it was translated to, and the application got "connection refused" (ECONNREFUSED) at once.'
          + '{{#several}} {{count|plural:attempt}} were refused the same way.{{/several}}'
          + ' {{server}} looks like a Service address, and the backend\'s side of the NAT is not in this capture: the RST came back translated, so the port that refused is the Service\'s targetPort on the backend pod, which this vantage point cannot show (capture on the node with -i any to see it). Either the targetPort does not match a port the container listens on, or the container is not listening yet.',
      },
      rstNotIcmp: 'the SYN was answered with RST+ACK acknowledging its ISN + 1 (frame {{rstFrame|frame}}), and no ICMP error came back',
      answeredAtOnce: 'the SYN (frame {{synFrame|frame}}) was answered {{delayMs}} ms later (frame {{rstFrame|frame}})',
      hostsOwnTtl: 'the RST+ACK came with TTL {{ttl}}, as the host\'s own packets on the other connections of this capture ({{usualTtl}}): its own stack refused',
    },
    // A RST+ACK that does not fit its sender's own packets is examined as forged first.
    // refusedBy, on the connection or (its original) on the translated half.
    appliesTo: [REFUSABLE, { all: Fact.NatOriginal | Fact.Linked, peer: REFUSABLE }],
    yieldsTo: ['injected-reset'],
    // What refuses is the port: one cause per port, however many servers refuse it.
    rollUp: {
      by: ['messageId', 'answerPort'],
      title: 'Connection refused on port {{answerPort}}: nothing listens there',
      titleFor: {
        refusedBehindNat: 'Connection refused on target port {{answerPort}} behind a Service: nothing listens there',
        refusedServiceUnseen: 'Connection refused on a Service\'s target port (Service port {{answerPort}}): nothing listens there',
        refusedInItsName: 'Refusals on port {{answerPort}} sent in the servers\' name by something on the path (TTL out of line)',
        refusedOnSharedCounter: 'Refusals on port {{answerPort}} sent in the servers\' name by one stack (their IP IDs come from one counter)',
        refusedAtZeroHops: 'Refusals on port {{answerPort}} made on the client\'s side of the NAT (TTL of no hop from a public address)',
      },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Refusal[] = [];
    for (const c of ctx.candidates) {
      if (c.natRole === 'translated') continue;
      const peer = translatedPeer(c);
      const refused = refusedBy(c);
      const peerRefused = peer !== null && refusedBy(peer);
      if ((!refused && !peerRefused) || ctx.isClaimed(c)) continue;
      hits.push({ conn: c, answered: peerRefused ? peer : c });
    }
    // A translated half whose original is not in the capture is its own connection.
    for (const c of ctx.candidates) {
      if (!ctx.isClaimed(c) && c.natRole === 'translated' && c.natPeer === null && refusedBy(c)) hits.push({ conn: c, answered: c });
    }
    // Each host's usual TTL, worked out once per address and only when a refusal needs it.
    let byAddress: Map<string, Connection[]> | null = null;
    const usualByAddress = new Map<string, [number, number] | null>();
    const usualTtlOf = (addr: string): [number, number] | null => {
      if (byAddress === null) {
        // Only the refusing hosts' connections are indexed.
        byAddress = new Map(hits.map((h) => [h.answered.resp.addr, []]));
        for (const x of ctx.connections) {
          byAddress.get(x.orig.addr)?.push(x);
          if (x.resp.addr !== x.orig.addr) byAddress.get(x.resp.addr)?.push(x);
        }
      }
      if (!usualByAddress.has(addr)) usualByAddress.set(addr, usualTtl(byAddress.get(addr) ?? [], addr));
      return usualByAddress.get(addr)!;
    };
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.answered.resp.text}`).map((group) => {
      const h0 = group[0]!;
      const client = h0.conn.orig;
      const server = h0.conn.resp;
      const backend = h0.answered !== h0.conn ? h0.answered.resp : null;
      const evidence = [];
      const conns: Connection[] = [];
      for (const h of group) {
        for (const c of h.answered === h.conn ? [h.conn] : [h.conn, h.answered]) {
          ctx.claim(c);
          conns.push(c);
          const notes = c === h.conn ? synCopyNotes(c, 'SYN retransmission') : null;
          for (const ev of c.events) {
            if (isSynOnly(ev) && ev.dir === 0 && (c === h.conn || !ev.retransmit)) {
              evidence.push(evidenceOf(c, ev, notes !== null ? notes.get(ev) ?? '' : `translated copy: DNAT ${server.text} → ${c.resp.text}`));
            } else if (isRst(ev) && ev.dir === 1) {
              evidence.push(evidenceOf(c, ev, c === h.answered && backend ? 'the backend refuses: no listener on this port' : 'refused: RST+ACK acking the SYN'));
            }
          }
        }
      }
      sortEvidence(evidence);
      const port = (backend ?? server).port;
      const who = backend ?? server;
      // A refusal whose TTL is above what the host's own packets arrive with was made closer to
      // the capture point, or by another stack: a firewall or NAT answering in the host's name.
      // The RST+ACK that refused it (the answered half was chosen because it has one).
      const refusingRst = refusal(h0.answered);
      const usual = refusingRst === undefined ? null : usualTtlOf(who.addr);
      const inItsName = refusingRst !== undefined && usual !== null && refusingRst.ttl >= usual[1] + 2;
      const service = looksLikeService(h0.conn, ctx.isServiceAddress);
      // The RST is its host's own only if no sign says another stack made it. Its IP ID on a counter
      // that RSTs of other addresses share (capture-wide: src/flow/reset-ipids.ts): one stack
      // answered for several addresses. A Service address is answered through NAT by design.
      const run = refusingRst !== undefined && !service ? sharedCounterRun(h0.answered, 1) : null;
      // A TTL of no hop from a public address, seen on the private side of the NAT (the SYN too
      // arrived with its initial TTL): every router decrements it, the NAT too.
      const syn = firstSyn(h0.answered);
      const zeroHop = refusingRst !== undefined && !service && syn !== undefined && INITIAL_TTLS.has(refusingRst.ttl) &&
        INITIAL_TTLS.has(syn.ttl) && acrossNat(client.addr, who.addr);
      const middlebox = inItsName || run !== null || zeroHop;
      const remediation = middlebox && !service ? [
        `Find what answers in ${who.addr}'s name between ${client.addr} and the capture point: a firewall rule (iptables-save | grep -i 'reject-with tcp-reset'), a NAT or proxy (a VM's user-mode NAT: VirtualBox, QEMU/slirp).`,
        `Capture beyond it, or on ${who.addr}, to see whether ${who.addr} itself refuses port ${port} (ss -ltn 'sport = :${port}' there).`,
      ] : service ? [
        `kubectl get svc -A -o wide | grep ${server.addr}   # find the Service; compare its targetPort with the container's port`,
        `kubectl get endpointslices -A -o wide | grep ${(backend ?? server).addr}`,
        `kubectl exec <backend-pod> -- ss -ltn   # is anything listening on ${backend ? port : 'the targetPort'}?`,
        'Fix the Service targetPort (or the containerPort / the application\'s listen address), and give the pod a readiness probe on that port.',
      ] : [
        `ss -ltn 'sport = :${port}' on ${who.addr}   # is anything listening?`,
        'Start the service, or point the client at the right port; check that it listens on this address, not only on 127.0.0.1.',
      ];
      return {
        rule: 'connection-refused' as const,
        messageId: inItsName ? 'refusedInItsName' : run !== null ? 'refusedOnSharedCounter' : zeroHop ? 'refusedAtZeroHops'
          : backend ? 'refusedBehindNat' : service ? 'refusedServiceUnseen' : 'refused',
        data: {
          clientAddr: client.addr, client: client.text, server: server.text, backend: backend ? backend.text : '',
          synFrame: h0.conn.dirs[0].synFrame, whoAddr: who.addr, port,
          rstTtl: refusingRst?.ttl ?? 0, usualTtl: usual === null ? '' : ttlText(usual),
          ...(run !== null || zeroHop ? { rstFrame: refusingRst?.frame ?? 0, rstIpId: hex4(refusingRst?.ipId ?? 0), synTtl: syn?.ttl ?? 0, zeroHop } : {}),
          ...(run !== null ? sharedCounterData(run) : {}),
        },
        severity: middlebox ? 'warning' as const : 'error' as const,
        confidence: middlebox ? 0.6 : 0.95,
        client: client.text,
        server: server.text,
        backend: backend ? backend.text : null,
        resetBy: middlebox ? 'middlebox' as const : 'server' as const,
        resetSender: who.addr,
        count: group.length,
        ruledOut: refusingRst === undefined ? [] : ruledOutOf(h0.answered, refusingRst, usual, conns),
        remediation,
        evidence,
        connections: conns,
      };
    });
  },
};
