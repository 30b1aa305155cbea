import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, flagText, groupBy, sortEvidence, withNatPeer } from './evidence.js';
import { answersSegment, hasReset, isRst, isSynAck, isSynOnly } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

interface Unexplained {
  /** The connection the finding names (the original half when NAT was seen). */
  conn: Connection;
  /** The connection whose events hold the reset (the translated half when only it has one). */
  holder: Connection;
  rst: ConnEvent;
  /** The other side's last packet before the reset. */
  before: ConnEvent | undefined;
}

/** The first reset of a connection or of its translated half. */
function firstReset(c: Connection): Unexplained | undefined {
  for (const holder of c.natRole === 'original' && c.natPeer !== null ? [c, c.natPeer] : [c]) {
    const i = holder.events.findIndex((e) => e.icmpType < 0 && isRst(e));
    if (i < 0) continue;
    const rst = holder.events[i]!;
    let before: ConnEvent | undefined;
    for (let j = i - 1; j >= 0 && before === undefined; j--) {
      const e = holder.events[j]!;
      if (e.icmpType < 0 && e.dir !== rst.dir) before = e;
    }
    return { conn: c, holder, rst, before };
  }
  return undefined;
}

/**
 * A handshake where both sides sent a SYN (the responder answered the SYN with its own SYN, not a
 * SYN-ACK: a split handshake or a simultaneous open), which the connection's state does not count
 * as established: the responder's SYN, and the frames where each side acknowledged the other's SYN
 * (0 when not seen).
 */
interface SynBothWays {
  peerSynFrame: number;
  clientSynAckedAt: number;
  peerSynAckedAt: number;
}

function synBothWays(c: Connection): SynBothWays | undefined {
  if (c.established || !c.dirs[0].synSeen) return undefined;
  const peerSyn = c.events.find((e) => e.dir === 1 && e.icmpType < 0 && isSynOnly(e));
  if (peerSyn === undefined) return undefined;
  const ackedAt = (dir: 0 | 1, want: number) =>
    c.events.find((e) => e.dir === dir && e.icmpType < 0 && (e.flags & (TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.ACK && e.ack === want)?.frame ?? 0;
  return {
    peerSynFrame: peerSyn.frame,
    clientSynAckedAt: ackedAt(1, (c.dirs[0].isn + 1) >>> 0),
    peerSynAckedAt: ackedAt(0, (peerSyn.seq + 1) >>> 0),
  };
}

/** What the nearest rules need and these packets do not show. */
function ruledOutOf(u: Unexplained): RuledOutDraft[] {
  const c = u.holder;
  const out: RuledOutDraft[] = [];
  const synSeen = c.dirs[0].synSeen;
  const both = synBothWays(c);
  if (!c.established) {
    out.push({ rule: 'abortive-close', messageId: 'notEstablished', data: {
      synSeen, bothSyn: both !== undefined, bothAcked: both !== undefined && both.clientSynAckedAt > 0 && both.peerSynAckedAt > 0,
    } });
  }
  const i = c.events.indexOf(u.rst);
  if (answersSegment(c.events, i) === undefined) out.push({ rule: 'stale-connection', messageId: 'notAnAnswer', data: {} });
  const synAck = c.dirs[1].synAckSeen;
  if (synSeen && synAck && !c.established && u.rst.dir === 0 && u.rst.seq === c.dirs[1].synAckAck) {
    out.push({ rule: 'synack-rejected', messageId: 'notRetried', data: {} });
  }
  if (synSeen && !c.established && u.rst.dir === 1 && !c.events.some((e) => e.dir === 1 && isSynAck(e))) {
    out.push({ rule: 'connection-refused', messageId: 'notRefusal', data: { ack: (u.rst.flags & TcpFlag.ACK) !== 0 } });
  }
  return out;
}

/**
 * A reset no other rule explains, stated plainly: who sent it, in which state of the connection,
 * after what, and why the nearest rules do not fit. Never silence where resets were counted.
 */
export const unexplainedReset: Rule = {
  meta: {
    id: 'unexplained-reset',
    severity: 'info',
    title: 'A reset that no rule explains',
    description: 'A reset that no rule explains: the packets around it, stated plainly, with the closest rules and why each does not fit.',
    docs: 'docs/rules/unexplained-reset.md',
    messages: {
      unexplained: {
        summary: '{{sender}} sent {{flags}} to {{receiver}}; no rule explains it ({{count|plural:connection}})',
        explanation: '{{sender}}{{#role}}, the {{role}},{{/role}} sent {{flags}} to {{receiver}} (frame {{frame|frame}}).'
          + '{{#established}} The connection was established (frame {{synFrame|frame}}); {{origBytes}} bytes of data from the client and {{respBytes}} from the server were seen before the end of the capture.{{/established}}'
          + '{{^established}}{{#bothSyn}} Both sides sent a SYN (frames {{synFrame|frame}} and {{peerSynFrame|frame}}): the responder sent its own SYN, not a SYN-ACK — a split handshake or a simultaneous open.'
          + '{{#bothAcked}} The client\'s SYN was acknowledged at frame {{clientSynAckedAt}}, the responder\'s at frame {{peerSynAckedAt}}; {{origBytes}} bytes of data from the client and {{respBytes}} from the server were seen before the end of the capture.'
          + ' rstdiag counts only SYN, SYN-ACK, ACK as a completed handshake, so the connection is not treated as established.{{/bothAcked}}'
          + '{{^bothAcked}} The handshake is not complete in the capture.{{/bothAcked}}{{/bothSyn}}{{^bothSyn}}{{#synSeen}} The handshake is not complete in the capture (SYN at frame {{synFrame|frame}}).{{/synSeen}}{{^synSeen}} The connection\'s handshake is not in the capture (it began before the capture did).{{/synSeen}}{{/bothSyn}}{{/established}}'
          + '{{#beforeFrame}} The last packet from {{receiver}} before it was {{beforeFlags}}{{#beforeLen}} with {{beforeLen}} bytes{{/beforeLen}} (frame {{beforeFrame|frame}}, {{beforeMs}} ms earlier).{{/beforeFrame}}'
          + '{{^beforeFrame}} No packet from {{receiver}} precedes it in the capture.{{/beforeFrame}}'
          + '{{#several}} {{count}} connections were reset this way.{{/several}}'
          + ' The packets do not show why: the rules that explain resets need more than this capture shows (see "ruled out"). Capture at both ends at once, or on the node with -i any, to see which side sent it and what it had seen.',
      },
      notEstablished: '{{#bothAcked}}both sides sent a SYN and each acknowledged the other\'s (a split handshake or a simultaneous open), not the SYN, SYN-ACK, ACK handshake the rule reads as established{{/bothAcked}}'
        + '{{^bothAcked}}{{#synSeen}}the handshake is not complete in the capture{{/synSeen}}{{^synSeen}}no handshake in the capture{{/synSeen}}, so the connection is not shown established{{/bothAcked}}',
      notAnAnswer: 'the RST is not a bare RST whose sequence number is the acknowledgement of the segment it answers (how a stack without the connection answers)',
      notRetried: 'the client did not retransmit its SYN after resetting the SYN-ACK: a client that cancelled the connect (or had given up on it) sends the same RST; only a retried SYN shows that its socket was still waiting for an answer from another address',
      notRefusal: '{{#ack}}the RST+ACK does not acknowledge the SYN\'s ISN + 1{{/ack}}{{^ack}}the RST has no ACK: a refusal acknowledges the SYN{{/ack}}',
    },
    // Last: it speaks only for resets no other rule covers.
    // A reset on the connection or on its NAT half.
    appliesTo: [{ any: Fact.Rst }, { all: Fact.Linked, peer: { any: Fact.Rst } }],
    yieldsTo: ['accept-queue-overflow', 'challenge-ack', 'peer-unresponsive', 'pmtu-blackhole', 'syn-retry-delay',
      'abortive-close', 'connection-refused', 'icmp-rejected', 'idle-timeout', 'injected-reset', 'stale-connection',
      'syn-timeout', 'synack-rejected', 'unreversed-dnat', 'unreversed-nat-midstream',
    ],
    rollUp: { by: ['resetBy', 'serverPort'], title: 'Resets on port {{serverPort}} that no rule explains' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Unexplained[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isExplained(c) || (c.natRole === 'translated' && c.natPeer !== null)) continue;
      if (c.natPeer !== null && ctx.isExplained(c.natPeer)) continue;
      if (!hasReset(c) && !(c.natPeer !== null && hasReset(c.natPeer))) continue;
      const u = firstReset(c);
      if (u !== undefined) hits.push(u);
    }
    const endpoints = (u: Unexplained) => u.rst.dir === 0 ? [u.holder.orig, u.holder.resp] as const : [u.holder.resp, u.holder.orig] as const;
    return groupBy(hits, (u) => `${endpoints(u)[0].addr}|${endpoints(u)[1].text}|${u.rst.dir}|${flagText(u.rst.flags)}`).map((group) => {
      const u0 = group[0]!;
      const c = u0.holder;
      const [sender, receiver] = endpoints(u0);
      const role = c.originKnown ? (u0.rst.dir === 0 ? 'client' : 'server') : '';
      const evidence = [];
      for (const u of group) {
        for (const k of withNatPeer(u.conn)) ctx.claim(k);
        if (u.before !== undefined) evidence.push(evidenceOf(u.holder, u.before, ''));
        evidence.push(evidenceOf(u.holder, u.rst, 'the reset'));
      }
      sortEvidence(evidence);
      const before = u0.before;
      const both = synBothWays(c);
      return {
        rule: 'unexplained-reset' as const,
        messageId: 'unexplained',
        data: {
          sender: sender.text, receiver: receiver.text, role, flags: flagText(u0.rst.flags), frame: u0.rst.frame,
          established: c.established, synSeen: c.dirs[0].synSeen, synFrame: c.dirs[0].synFrame,
          bothSyn: both !== undefined, peerSynFrame: both?.peerSynFrame ?? 0,
          bothAcked: both !== undefined && both.clientSynAckedAt > 0 && both.peerSynAckedAt > 0,
          clientSynAckedAt: both?.clientSynAckedAt ?? 0, peerSynAckedAt: both?.peerSynAckedAt ?? 0,
          origBytes: c.dirs[0].payloadBytes, respBytes: c.dirs[1].payloadBytes,
          beforeFrame: before?.frame ?? 0, beforeFlags: before ? flagText(before.flags) : '', beforeLen: before?.len ?? 0,
          beforeMs: before ? ((u0.rst.t - before.t) * 1000).toFixed(1) : '',
        },
        severity: 'info' as const,
        confidence: 0.5,
        client: u0.conn.orig.text,
        server: u0.conn.resp.text,
        backend: u0.conn.natRole === 'original' && u0.conn.natPeer !== null ? u0.conn.natPeer.resp.text : null,
        resetBy: role === '' ? null : role as 'client' | 'server',
        resetSender: sender.addr,
        count: group.length,
        ruledOut: ruledOutOf(u0),
        remediation: [
          `rstdiag flows <capture> --host ${sender.addr}   # the connection's history and state`,
          'Capture at both ends at once (client pod, server pod, node -i any): which side sent the RST, and what it had received.',
        ],
        evidence,
        connections: group.flatMap((u) => withNatPeer(u.conn)),
      };
    });
  },
};
