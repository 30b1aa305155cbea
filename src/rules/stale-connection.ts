import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence } from './evidence.js';
import { consistentTtl, hasReset, isRst, noConnectionReply, ownTtlRange, ttlInLine } from './tcp.js';
import type { FindingMessage } from './messages.js';
import { Fact } from './facts.js';

interface Stale {
  conn: Connection;
  trigger: ConnEvent;
  rst: ConnEvent;
  why: 'noHandshake' | 'afterReset' | 'lost';
  /** Seconds the RST's sender had been silent before the segment it answers; null: nothing from it before. */
  silence: number | null;
}

/** Silence of the RST's sender before the segment, long enough for a restart in between. */
const RESTART_GAP = 1;

/** The sender's own packets came with one TTL (or two adjacent ones) and the RST with another. */
function ttlOutOfLine(c: Connection, rst: ConnEvent): boolean {
  const range = ownTtlRange(c.events, rst.dir);
  return consistentTtl(range) && (rst.ttl < range.lo || rst.ttl > range.hi);
}

/** Seconds between the RST sender's last packet before the trigger and the trigger. */
function silenceBefore(c: Connection, trigger: ConnEvent, dir: number): number | null {
  let last: ConnEvent | undefined;
  for (const e of c.events) {
    if (e.frame >= trigger.frame) break;
    if (e.dir === dir && e.icmpType < 0) last = e;
  }
  return last === undefined ? null : trigger.t - last.t;
}

const LOST = 'the receiver lost it since — a process or pod restart (a new pod with the same IP), a failover to another instance behind the same address, or a NAT/conntrack entry flushed so the segment reached a different host.';

/** The three variants differ only in what the capture shows of the connection before. */
function staleMessage(before: string): FindingMessage {
  return {
    summary: '{{loser}} no longer had the connection with {{sender}} and answered its segment with RST',
    explanation: '{{sender}} sent a segment (frame {{triggerFrame|frame}}) on a connection that {{loser}} no longer had; {{loserAddr}} answered with a bare RST whose sequence number is that segment\'s acknowledgement number (frame {{rstFrame|frame}}) — how a TCP stack answers a segment for which it has no connection. ' + before
      + ' Probable, not proven: a socket its application had closed answers the same way when its FIN is not in the capture ({{#unseen}}the capture holds nothing from {{loserAddr}} before this RST{{/unseen}}{{^unseen}}lost by the capture, as -i any on a busy node does{{/unseen}}).'
      + '{{#recent}} And {{loserAddr}} had sent its own last packet only {{silenceMs}} ms before that segment: a restart in between is unlikely.{{/recent}}',
  };
}

/** A segment for a connection the receiver no longer has, answered with RST. */
export const staleConnection: Rule = {
  meta: {
    id: 'stale-connection',
    severity: 'warning',
    title: 'A segment reached an endpoint that no longer had the connection',
    description: 'A segment for a connection the receiver no longer has (restart, failover), answered with RST.',
    docs: 'docs/rules/stale-connection.md',
    messages: {
      noHandshake: staleMessage(`The connection's handshake is not in the capture: it was opened earlier, and ${LOST}`),
      lost: staleMessage(`The connection was established earlier in the capture (frame {{handshakeFrame|frame}}) and ${LOST}`),
      afterReset: staleMessage('The connection had already been reset earlier in the capture, and the other side kept sending on it.'),
      ttlInLine: 'the RST came with TTL {{ttl}}, as {{loserAddr}}\'s other packets did: its own stack sent it, not a device in its name',
    },
    // The server's RST after a leaked reply, a forged RST, and a RST after a long idle are explained by those rules.
    appliesTo: [{ any: Fact.Rst }],
    yieldsTo: ['challenge-ack', 'unreversed-nat-midstream', 'injected-reset', 'idle-timeout', 'accept-queue-overflow'],
    rollUp: { by: ['resetBy', 'serverPort'], title: 'Segments on port {{serverPort}} for connections the receiver no longer has (restart, failover), answered with RST' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Stale[] = [];
    for (const c of ctx.candidates) {
      if (!hasReset(c) || (c.natRole === 'translated' && c.natPeer !== null) || ctx.isClaimed(c)) continue;
      const noHandshake = !c.dirs[0].synSeen && !c.dirs[1].synSeen;
      // A live connection's abort is RST+ACK; a bare RST that takes its seq from the segment's ack
      // is the "no such connection" answer. The first such RST from each side is reported.
      let earlierRst = false;
      const seenDir = [false, false];
      for (let i = 0; i < c.events.length; i++) {
        const ev = c.events[i]!;
        if (!isRst(ev)) continue;
        const trigger = noConnectionReply(c, i);
        // A RST whose TTL is out of line with its sender's packets was not made by its stack.
        if (trigger !== undefined && !seenDir[ev.dir] && !ttlOutOfLine(c, ev)) {
          seenDir[ev.dir] = true;
          hits.push({ conn: c, trigger, rst: ev, why: noHandshake ? 'noHandshake' : earlierRst ? 'afterReset' : 'lost',
            silence: silenceBefore(c, trigger, ev.dir) });
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
      // Never proven: a closed socket whose FIN the capture lost answers the same way (the same
      // packets, one dropped, as an endpoint's own close). More likely after a silence long enough
      // to restart in.
      const likely = h0.silence !== null && h0.silence >= RESTART_GAP;
      // Claimed only when verified: the RST's TTL among its sender's own (which agree within one).
      const inLine = ttlInLine(c.events, h0.rst);
      const ruledOut: RuledOutDraft[] = [];
      if (inLine !== null) ruledOut.push({ rule: 'injected-reset', messageId: 'ttlInLine', data: { ttl: inLine.ttl, loserAddr: loser.addr } });
      return {
        rule: 'stale-connection' as const,
        severity: 'warning' as const,
        confidence: likely ? 0.7 : 0.5,
        client: clientEp.text,
        server: serverEp.text,
        backend: null,
        resetBy: by,
        resetSender: loser.addr,
        count: group.length,
        messageId: h0.why,
        data: {
          loser: loser.text, loserAddr: loser.addr, sender: sender.text, triggerFrame: h0.trigger.frame,
          rstFrame: h0.rst.frame, handshakeFrame: c.dirs[0].synFrame,
          recent: h0.silence !== null && !likely, silenceMs: h0.silence === null ? '' : (h0.silence * 1000).toFixed(1),
          unseen: h0.silence === null,
        },
        ruledOut,
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
