import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext } from './types.js';
import { evidenceOf, groupBy, sortEvidence } from './evidence.js';
import { isRst } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';

interface Stale {
  conn: Connection;
  trigger: ConnEvent;
  rst: ConnEvent;
  why: 'no-handshake' | 'after-reset' | 'lost';
}

/**
 * A bare RST whose seq equals the ack of the segment it answers: what a TCP stack sends for a
 * segment of a connection it does not have (RFC 9293 §3.10.7.1).
 */
export function answersSegment(events: ConnEvent[], i: number): ConnEvent | undefined {
  const rst = events[i]!;
  if ((rst.flags & TcpFlag.ACK) !== 0) return undefined;
  for (let j = i - 1; j >= 0 && j >= i - 4; j--) {
    const e = events[j]!;
    if (e.dir === rst.dir || e.icmpType >= 0) continue;
    if ((e.flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0 || (e.flags & TcpFlag.ACK) === 0) return undefined;
    return e.ack === rst.seq ? e : undefined;
  }
  return undefined;
}

const LOST = 'the receiver lost it since — a process or pod restart (a new pod with the same IP), a failover to another instance behind the same address, or a NAT/conntrack entry flushed so the segment reached a different host.';
const WHY: Record<Stale['why'], string> = {
  'no-handshake': `The connection's handshake is not in the capture: it was opened earlier, and ${LOST}`,
  'lost': `The connection was established earlier in the capture (frame HANDSHAKE) and ${LOST}`,
  'after-reset': 'The connection had already been reset earlier in the capture, and the other side kept sending on it.',
};

/**
 * The RST at events[i] is a "no such connection" answer: a bare RST answering a segment, from a
 * side that had not closed the connection itself (one that sent FIN and then resets late data
 * is an abortive close after close(), not a lost connection).
 */
export function noConnectionReply(c: Connection, i: number): ConnEvent | undefined {
  const rst = c.events[i]!;
  const trigger = answersSegment(c.events, i);
  if (trigger === undefined) return undefined;
  const closedItself = c.events.some((e, j) => j < i && e.dir === rst.dir && (e.flags & TcpFlag.FIN) !== 0);
  return closedItself ? undefined : trigger;
}

/** A segment for a connection the receiver no longer has, answered with RST. */
export const staleConnection: Rule = {
  meta: {
    id: 'stale-connection',
    severity: 'error',
    title: 'A segment reached an endpoint that no longer had the connection',
    description: 'A segment for a connection the receiver no longer has (restart, failover), answered with RST.',
    docs: 'docs/rules/stale-connection.md',
    messages: {},
    // The server's RST after a leaked reply, a forged RST, and a RST after a long idle are explained by those rules.
    yieldsTo: ['unreversed-nat-midstream', 'injected-reset', 'idle-timeout'],
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Stale[] = [];
    for (const c of ctx.connections) {
      if (ctx.isClaimed(c) || (c.natRole === 'translated' && c.natPeer !== null)) continue;
      const noHandshake = !c.dirs[0].synSeen && !c.dirs[1].synSeen;
      // A live connection's abort is RST+ACK; a bare RST that takes its seq from the segment's ack
      // is the "no such connection" answer. The first such RST from each side is reported.
      let earlierRst = false;
      const seenDir = [false, false];
      for (let i = 0; i < c.events.length; i++) {
        const ev = c.events[i]!;
        if (!isRst(ev)) continue;
        const trigger = noConnectionReply(c, i);
        if (trigger !== undefined && !seenDir[ev.dir]) {
          seenDir[ev.dir] = true;
          hits.push({ conn: c, trigger, rst: ev, why: noHandshake ? 'no-handshake' : earlierRst ? 'after-reset' : 'lost' });
        }
        earlierRst = true;
      }
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.rst.dir}`).map((group) => {
      const h0 = group[0]!;
      const c = h0.conn;
      const loser = h0.rst.dir === 0 ? c.orig : c.resp;
      const sender = h0.trigger.dir === 0 ? c.orig : c.resp;
      // The side that lost the connection is the RST's sender. Without a handshake in view, the
      // side still sending on the connection is taken as the client.
      const by = c.originKnown && h0.rst.dir === 0 ? 'client' as const : 'server' as const;
      const clientEp = c.originKnown ? c.orig : sender;
      const serverEp = c.originKnown ? c.resp : loser;
      const evidence = [];
      // No claim: this explains one RST; the connection's earlier reset may have its own finding.
      for (const h of group) {
        evidence.push(evidenceOf(h.conn, h.trigger, 'a segment of a connection the receiver no longer has'));
        evidence.push(evidenceOf(h.conn, h.rst, 'bare RST, seq = the segment\'s ack: "no such connection"'));
      }
      sortEvidence(evidence);
      return {
        rule: 'stale-connection' as const,
        severity: 'error' as const,
        confidence: h0.why === 'after-reset' ? 0.8 : 0.7,
        client: clientEp.text,
        server: serverEp.text,
        backend: null,
        resetBy: by,
        resetSender: loser.addr,
        count: group.length,
        summary: `${loser.text} no longer had the connection with ${sender.text} and answered its segment with RST`,
        explanation: `${sender.text} sent a segment (frame ${h0.trigger.frame}) on a connection that ${loser.text} no longer had; ${loser.addr} answered with a bare RST whose sequence number is that segment's acknowledgement number (frame ${h0.rst.frame}) — how a TCP stack answers a segment for which it has no connection. ${WHY[h0.why].replace('HANDSHAKE', String(c.dirs[0].synFrame))}`,
        remediation: [
          `Check whether ${loser.addr} restarted, failed over or had its conntrack table flushed around frame ${h0.rst.frame} (kubectl get pod -o wide; events; conntrack -S).`,
          'Clients should treat "connection reset" on a pooled connection as retryable: reconnect, and validate pooled connections before reuse.',
        ],
        evidence,
        connections: group.map((h) => h.conn),
      };
    });
  },
};
