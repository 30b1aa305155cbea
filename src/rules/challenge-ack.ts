import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence, withNatPeer } from './evidence.js';
import { isRst, isSynAck, isSynOnly, ttlInLine } from './tcp.js';
import type { FindingMessage } from './messages.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

interface Challenge {
  conn: Connection;
  syn: ConnEvent;
  /** The bare ACK that answered the SYN without acknowledging it. */
  challenge: ConnEvent;
  rst: ConnEvent;
  /** The same SYN again after the client's RST. */
  retry: ConnEvent | undefined;
  /** The SYN-ACK that finally answered it. */
  synAck: ConnEvent | undefined;
  /** An earlier connection on the same 4-tuple in the capture. */
  older: Connection | undefined;
}

/** RFC 5961 §4: a SYN on a 4-tuple the receiver holds a connection for gets a bare ACK of that connection. */
function challengeOf(c: Connection): Omit<Challenge, 'older'> | undefined {
  const o = c.dirs[0];
  if (!o.synSeen) return undefined;
  const want = (o.isn + 1) >>> 0;
  const syn = c.events.find((e) => e.dir === 0 && isSynOnly(e) && e.seq === o.isn);
  if (syn === undefined) return undefined;
  // The server's first answer to the SYN, and a bare ACK (no SYN, RST, FIN, no payload) that does
  // not ack it: what a stack holding an older connection sends. A server that answered first with
  // anything else (a SYN-ACK, a SYN of its own: a split handshake) was not holding one.
  const challenge = c.events.find((e) => e.dir === 1 && e.icmpType < 0 && e.frame > syn.frame);
  if (challenge === undefined || challenge.len !== 0 || challenge.ack === want ||
    (challenge.flags & (TcpFlag.SYN | TcpFlag.RST | TcpFlag.FIN | TcpFlag.ACK)) !== TcpFlag.ACK) return undefined;
  const rst = c.events.find((e) => e.dir === 0 && isRst(e) && e.frame > challenge.frame && e.seq === challenge.ack);
  if (rst === undefined) return undefined;
  const retry = c.events.find((e) => e.dir === 0 && isSynOnly(e) && e.seq === o.isn && e.frame > rst.frame);
  const synAck = retry === undefined ? undefined
    : c.events.find((e) => e.dir === 1 && isSynAck(e) && e.frame > retry.frame && e.ack === want);
  return { conn: c, syn, challenge, rst, retry, synAck };
}

function challengeMessage(summaryEnd: string, outcome: string): FindingMessage {
  return {
    summary: `{{clientAddr}} → {{server}}: SYN answered by a challenge ACK — the server still held an older connection on port {{clientPort}}; ${summaryEnd}`,
    explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}) and the server answered with a bare ACK (frame {{challengeFrame|frame}}) that does not acknowledge the SYN (ack {{challengeAck}}, the SYN\'s ISN + 1 would be {{want}}):' +
      ' a challenge ACK (RFC 5961 §4), what a stack sends for a SYN on a 4-tuple it still holds a connection for. The client, which has no such connection, answered with RST at that ack (frame {{rstFrame|frame}}), which closes the server\'s old connection.' +
      '{{#olderFrame}} The older connection on this 4-tuple is in the capture (frames {{olderFrame|frame}}–{{olderLastFrame|frame}}); it was never closed on the server\'s side.{{/olderFrame}} ' + outcome +
      '{{#several}} {{count}} connection attempts met this.{{/several}}' +
      ' The client reused a source port while the server still had a connection on it: a client port reused after TIME_WAIT or with tcp_tw_reuse, a NAT or SNAT mapping reused for another client, or a client that vanished without a RST (pod deleted, node lost).',
  };
}

/**
 * The segment the client reset is the server's answer to its SYN, acking an older connection
 * (not a segment of a connection the client lost); the RST is the client stack's own answer to it.
 */
function ruledOutOf(h: Challenge): RuledOutDraft[] {
  const want = (h.conn.dirs[0].isn + 1) >>> 0;
  const out: RuledOutDraft[] = [{ rule: 'stale-connection', messageId: 'answersChallenge', data: {
    challengeFrame: h.challenge.frame, synFrame: h.syn.frame, challengeAck: h.challenge.ack, want,
  } }];
  // A stack answers a segment it has no connection for with a bare RST at that segment's ack.
  if ((h.rst.flags & TcpFlag.ACK) === 0) {
    const ttl = ttlInLine(h.conn.events, h.rst);
    out.push({ rule: 'injected-reset', messageId: 'clientsOwnRst', data: {
      rstFrame: h.rst.frame, challengeAck: h.challenge.ack, ttlInLine: ttl !== null, ttl: ttl?.ttl ?? 0, usualTtl: ttl?.usualTtl ?? '',
    } });
  }
  return out;
}

/** A SYN answered by a bare ACK of an older connection on the same 4-tuple (RFC 5961 challenge ACK). */
export const challengeAck: Rule = {
  meta: {
    id: 'challenge-ack',
    severity: 'warning',
    title: 'A SYN met a challenge ACK: the server still held an older connection on that port',
    description: 'A SYN answered by a bare ACK that does not ack its ISN + 1 (RFC 5961 challenge ACK); the client resets it and retries.',
    docs: 'docs/rules/challenge-ack.md',
    messages: {
      recovered: challengeMessage('the retry connected after {{delayMs}} ms',
        'The client retransmitted the same SYN (frame {{retryFrame|frame}}) and the server answered it with a SYN-ACK (frame {{synAckFrame|frame}}): the connection opened {{delayMs}} ms late (at once on recent Linux, after about 1 s on older kernels).'),
      keptFailing: challengeMessage('the retries did not connect',
        'The client retransmitted the same SYN (frame {{retryFrame|frame}}) but no SYN-ACK acknowledging it followed in the capture: the connection failed.'),
      noRetry: challengeMessage('no retry in the capture',
        'No retransmission of the SYN follows in the capture, so how the attempt ended is not shown.'),
      answersChallenge: 'the segment the client reset (frame {{challengeFrame|frame}}) is the server\'s bare ACK to its SYN (frame {{synFrame|frame}}) acking {{challengeAck}}, not the SYN\'s ISN + 1 ({{want}}): an older connection the server held, not one the client lost',
      clientsOwnRst: 'the client\'s RST (frame {{rstFrame|frame}}) is its stack\'s answer to an ACK it has no connection for: seq = that ACK\'s ack ({{challengeAck}}){{#ttlInLine}}, TTL {{ttl}} as the client\'s other packets ({{usualTtl}}){{/ttlInLine}}',
    },
    appliesTo: [{ all: Fact.RstOrig | Fact.SynOrig }],
    yieldsTo: ['unreversed-dnat'],
    rollUp: { by: ['messageId', 'server'], title: 'SYNs to {{server}} answered by a challenge ACK: it still holds an older connection on the reused client port' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Challenge[] = [];
    for (const c of ctx.candidates) {
      if (!c.dirs[0].rstSeen || (c.natRole === 'translated' && c.natPeer !== null) || ctx.isClaimed(c)) continue;
      const hit = challengeOf(c);
      if (hit === undefined) continue;
      const older = ctx.byClient(c.orig.text).filter((x) => x.id < c.id && x.resp.text === c.resp.text).pop();
      hits.push({ ...hit, older });
    }
    const outcome = (h: Challenge): 'recovered' | 'keptFailing' | 'noRetry' =>
      h.retry === undefined ? 'noRetry' : h.synAck !== undefined ? 'recovered' : 'keptFailing';
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${outcome(h)}`).map((group) => {
      const h0 = group[0]!;
      const c = h0.conn;
      const messageId = outcome(h0);
      const evidence = [];
      for (const h of group) {
        for (const k of withNatPeer(h.conn)) ctx.claim(k);
        evidence.push(evidenceOf(h.conn, h.syn, 'SYN'));
        evidence.push(evidenceOf(h.conn, h.challenge, 'challenge ACK: acks an older connection, not this SYN'));
        evidence.push(evidenceOf(h.conn, h.rst, 'the client has no such connection: RST at that ack'));
        if (h.retry) evidence.push(evidenceOf(h.conn, h.retry, 'the same SYN again'));
        if (h.synAck) evidence.push(evidenceOf(h.conn, h.synAck, 'the retry is answered'));
      }
      sortEvidence(evidence);
      const backend = c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null;
      return {
        rule: 'challenge-ack' as const,
        messageId,
        data: {
          clientAddr: c.orig.addr, client: c.orig.text, clientPort: c.orig.port, server: c.resp.text,
          synFrame: h0.syn.frame, challengeFrame: h0.challenge.frame, challengeAck: h0.challenge.ack,
          want: (c.dirs[0].isn + 1) >>> 0, rstFrame: h0.rst.frame, retryFrame: h0.retry?.frame ?? 0,
          synAckFrame: h0.synAck?.frame ?? 0,
          delayMs: h0.synAck ? ((h0.synAck.t - h0.syn.t) * 1000).toFixed(1) : '',
          olderFrame: h0.older?.firstFrame ?? 0, olderLastFrame: h0.older?.lastFrame ?? 0,
        },
        severity: messageId === 'keptFailing' ? 'error' as const : 'warning' as const,
        confidence: messageId === 'noRetry' ? 0.7 : 0.9,
        client: c.orig.text,
        server: c.resp.text,
        backend,
        resetBy: 'client' as const,
        resetSender: c.orig.addr,
        count: group.length,
        ruledOut: ruledOutOf(h0),
        remediation: [
          `ss -tan 'sport = :${c.resp.port}' | grep ${c.orig.addr}   # on the server: the connection it still holds for ${c.orig.text} (TIME_WAIT, ESTABLISHED, CLOSE_WAIT)`,
          'Do not bind fixed client source ports; leave net.ipv4.tcp_tw_reuse at its default (2: loopback only) unless you know the server side.',
          'Behind SNAT (a NAT gateway, kube-proxy masquerade): a mapping reused for another client meets the old connection; use --random-fully on MASQUERADE and check conntrack -S (insert_failed).',
          'With IPVS kube-proxy: sysctl net.ipv4.vs.conn_reuse_mode (1 reschedules a reused port instead of reusing the old connection).',
          'A client that vanished without a RST leaves the server\'s connection open: the server\'s TCP keepalive (net.ipv4.tcp_keepalive_time) frees it.',
        ],
        evidence,
        connections: group.flatMap((h) => withNatPeer(h.conn)),
      };
    });
  },
};
