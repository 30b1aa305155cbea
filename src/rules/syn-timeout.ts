import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence } from './evidence.js';
import { clientSyns, isSynOnly, timerResends } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

function unanswered(c: Connection): boolean {
  const r = c.dirs[1];
  if (!c.dirs[0].synSeen || r.synAckSeen || r.rstSeen || r.packets !== 0 || c.history.includes('u')) return false;
  // The client's own ACK or data after its SYN says a SYN-ACK reached it by a path not captured.
  // (Read last: the events of a connection are made into objects on first read.)
  return !c.events.some((e) => e.dir === 0 && e.icmpType < 0 && (e.flags & (TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.ACK);
}

/**
 * The `unanswered` connections whose SYN was answered all the same: a SYN-ACK acking its ISN + 1
 * reached its client endpoint, from another address when not on its own connection (a reply that
 * escaped the reverse NAT whose link the capture could not make). One pass over the connections,
 * comparing only those whose client endpoint is one of theirs (no key made per connection).
 */
function answeredElsewhere(connections: readonly Connection[], unanswered: readonly Connection[]): Set<Connection> {
  const byClient = new Map<string, Connection[]>();
  // The acks that would answer one of them: most SYN-ACKs are ruled out by their ack alone,
  // without reading their endpoints.
  const wanted = new Set<number>();
  for (const c of unanswered) {
    const list = byClient.get(c.orig.text);
    if (list) list.push(c);
    else byClient.set(c.orig.text, [c]);
    wanted.add((c.dirs[0].isn + 1) >>> 0);
  }
  const answered = new Set<Connection>();
  const mark = (client: string, ack: number): void => {
    const list = byClient.get(client);
    if (list !== undefined) for (const c of list) if (((c.dirs[0].isn + 1) >>> 0) === ack) answered.add(c);
  };
  for (const x of connections) {
    const o = x.dirs[0];
    const r = x.dirs[1];
    if (r.synAckSeen && wanted.has(r.synAckAck)) mark(x.orig.text, r.synAckAck);
    if (o.synAckSeen && wanted.has(o.synAckAck)) mark(x.resp.text, o.synAckAck);
  }
  return answered;
}

/**
 * Nothing came back: no TCP packet from the destination (no refusal), no ICMP error (no
 * rejection), and no SYN-ACK for the SYN at the client's port from any address (answeredElsewhere,
 * checked by detect: no reply that escaped the reverse NAT).
 */
function ruledOutOf(conns: readonly Connection[], client: string, serverAddr: string, retries: number, waited: string): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  if (!conns.some((k) => k.events.some((e) => e.dir === 1 && e.icmpType < 0))) {
    out.push({ rule: 'connection-refused', messageId: 'noRst', data: { serverAddr, retries, waited } });
  }
  if (!conns.some((k) => k.events.some((e) => e.icmpType >= 0))) out.push({ rule: 'icmp-rejected', messageId: 'noIcmp', data: {} });
  out.push({ rule: 'unreversed-dnat', messageId: 'noSynAckAnywhere', data: { client } });
  return out;
}

/** SYNs retransmitted with no answer in the capture. */
export const synTimeout: Rule = {
  meta: {
    id: 'syn-timeout',
    severity: 'error',
    title: 'SYNs went unanswered',
    description: 'SYNs retransmitted with no answer in the capture (a drop; hairpin or policy when S maps to the client itself).',
    docs: 'docs/rules/syn-timeout.md',
    messages: {
      unanswered: {
        summary: '{{clientAddr}} → {{server}}: SYNs unanswered ({{count|plural:attempt}})',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and retransmitted it {{retries|plural:time}} over {{waited}} s with no answer in the capture: no SYN-ACK, no RST, no ICMP error.' +
          ' The SYN or its answer was dropped silently — a firewall or NetworkPolicy with DROP, a security group, a routing black hole, a full accept queue, or a host that is down — or the answer took a path this capture does not see.' +
          '{{#translatedTo}} The node translated it to {{translatedTo}}.{{/translatedTo}}' +
          '{{#oneDirection}} This capture holds not one packet from any responder while originators acknowledge answers: it shows one direction only, so these SYNs may well have been answered on the path it does not see.{{/oneDirection}}',
      },
      hairpin: {
        summary: '{{clientAddr}} → its own Service {{server}}: SYNs unanswered (hairpin)',
        explanation: '{{client}} dialled {{server}} and the node translated it to {{translatedTo}} — the client\'s own address: a pod calling its own Service.' +
          ' The translated SYN must go back out of the bridge port it came in on, which a Linux bridge does only with hairpin mode on that port; it never came back, and {{retries|plural:retransmission}} over {{waited}} s went unanswered (the application sees a connect timeout).',
      },
      noRst: 'nothing came back from {{serverAddr}} (no RST+ACK) to the SYN and its {{retries|plural:retransmission}} over {{waited}} s',
      noIcmp: 'no ICMP error quoting the SYN reached the capture',
      noSynAckAnywhere: 'no SYN-ACK acknowledging the SYN\'s ISN + 1 reached {{client}} from any address: no answer that escaped the reverse NAT',
    },
    // Retried SYNs whose answer came back untranslated, or rejected with ICMP, have a known cause.
    // SYNs sent again (unanswered: nothing from the responder).
    appliesTo: [{ all: Fact.SynOrig | Fact.SynRetriedOrig | Fact.RespSilent }],
    yieldsTo: ['unreversed-dnat', 'icmp-rejected'],
    rollUp: {
      by: ['messageId', 'server'],
      title: 'SYNs to {{server}} got no answer (dropped)',
      titleFor: { hairpin: 'SYNs to {{server}} got no answer: it maps back to the client itself (hairpin)' },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    // syns: the first SYN and the copies the client's retransmission timer sent.
    let hits: { conn: Connection; hairpin: boolean; translated: Connection | null; syns: ConnEvent[] }[] = [];
    for (const c of ctx.candidates) {
      if (c.dirs[0].synRetransmits === 0 || c.natRole === 'translated' && c.natPeer !== null || ctx.isClaimed(c)) continue;
      if (!unanswered(c)) continue;
      // Retransmitted: sent again by the client's timer, not copied, replayed or crafted.
      const syns = clientSyns(c);
      const resends = timerResends(syns);
      if (resends.length === 0) continue;
      const y = c.natRole === 'original' ? c.natPeer : null;
      if (y !== null && !unanswered(y)) continue;
      hits.push({ conn: c, translated: y, hairpin: y !== null && y.resp.addr === c.orig.addr, syns: [syns[0]!, ...resends] });
    }
    if (hits.length > 0) {
      const answered = answeredElsewhere(ctx.connections, hits.map((h) => h.conn));
      hits = hits.filter((h) => !answered.has(h.conn));
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.hairpin}`).map((group) => {
      const h0 = group[0]!;
      const c = h0.conn;
      const evidence = [];
      const conns: Connection[] = [];
      for (const h of group) {
        h.syns.forEach((ev, i) => evidence.push(evidenceOf(h.conn, ev, i === 0 ? 'SYN' : 'retransmitted: no answer')));
        for (const k of [h.conn, ...(h.translated ? [h.translated] : [])]) {
          ctx.claim(k);
          conns.push(k);
          if (k === h.conn) continue;
          for (const ev of k.events) {
            if (isSynOnly(ev) && !ev.retransmit) {
              evidence.push(evidenceOf(k, ev, `translated copy: DNAT ${h.conn.resp.text} → ${k.resp.text}${h.hairpin ? ' (the client itself)' : ''}`));
            }
          }
        }
      }
      sortEvidence(evidence);
      const retries = group.reduce((n, h) => n + h.syns.length - 1, 0);
      // Nothing answered, so `backend` stays null; the translation is in the explanation.
      const backend = h0.translated ? h0.translated.resp.text : null;
      // Over the SYNs the client sent (a later replay or crafted copy adds no wait).
      const waited = (h0.syns[h0.syns.length - 1]!.t - h0.syns[0]!.t).toFixed(1);
      const remediation = h0.hairpin ? [
        'Enable hairpin mode on the pod\'s bridge port: with a CNI bridge plugin, "hairpinMode": true in its config (/etc/cni/net.d/); kubelet\'s --hairpin-mode (hairpin-veth, promiscuous-bridge) applies only where kubelet manages the bridge',
        'bridge -d link show | grep hairpin   # on the node: "hairpin on" for the pod\'s veth',
        'Check that kube-proxy masquerades hairpin traffic (KUBE-MARK-MASQ for the Service\'s own endpoints) so the reply returns through conntrack.',
      ] : [
        `Capture at ${c.resp.addr}'s end too: did the SYN arrive?`,
        'Look for DROP rules on the way: iptables-save | grep -i drop; NetworkPolicies selecting the destination; cloud security groups.',
        `ss -ltn on ${c.resp.addr}: a full accept queue (netstat -s | grep -i overflow) drops SYNs silently.`,
      ];
      return {
        rule: 'syn-timeout' as const,
        // One direction only: the answers may exist on the path the capture does not see.
        severity: ctx.oneDirection ? 'warning' as const : 'error' as const,
        confidence: h0.hairpin ? 0.85 : ctx.oneDirection ? 0.4 : 0.6,
        client: c.orig.text,
        server: c.resp.text,
        backend: null,
        resetBy: null,
        resetSender: null,
        count: group.length,
        ruledOut: ruledOutOf(conns, c.orig.text, c.resp.addr, retries, waited),
        messageId: h0.hairpin ? 'hairpin' : 'unanswered',
        data: {
          oneDirection: ctx.oneDirection,
          clientAddr: c.orig.addr, client: c.orig.text, server: c.resp.text, synFrame: c.dirs[0].synFrame,
          retries, waited, translatedTo: backend,
        },
        remediation,
        evidence,
        connections: conns,
      };
    });
  },
};
