import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, hex4, sortEvidence, withNatPeer } from './evidence.js';
import { consistentTtl, hasReset, isRst, ownTtlRange, seqDiff } from './tcp.js';
import type { MessageData } from './messages.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

/**
 * Detectors of a forged RST (Weaver, Sommer, Paxson, "Detecting Forged TCP Reset Packets", NDSS
 * 2009), plus consistency with the purported sender's other packets. Strong detectors show
 * something no real TCP stack does and can report alone; supporting ones have benign look-alikes
 * (other stacks) and only add confidence to a strong one.
 */
export type Detector =
  | 'RST_SEQ_DATA'
  | 'DATA_SEQ_RST'
  | 'RST_SEQ_CHANGE'
  | 'RST_ACK_CHANGE'
  | 'TTL'
  | 'SYN_ACK_MISMATCH'
  | 'IP_ID'
  | 'NO_TIMESTAMPS'
  | 'TOO_FAST';

export const STRONG: ReadonlySet<Detector> = new Set<Detector>(['RST_SEQ_DATA', 'RST_SEQ_CHANGE', 'RST_ACK_CHANGE', 'TTL', 'SYN_ACK_MISMATCH']);

/** Data after the RST counts within this many seconds of it. */
const DATA_AFTER = 10;
/** Back-to-back RSTs: within this many seconds. */
const BURST = 1;
/** A sequence change smaller than this between back-to-back RSTs is not counted (Weaver et al.). */
const SEQ_NOISE = 2;
/** IP ID steps between successive packets of one sender that count as "sequential". */
const IPID_STEP = 256;
/** Below this handshake RTT the capture's timing cannot tell a fast RST from a normal one. */
const MIN_RTT = 0.001;

/** The fragment message that says why each detector fired. */
const DETECTOR_MESSAGE: Readonly<Record<Detector, string>> = {
  RST_SEQ_DATA: 'detectorRstSeqData',
  DATA_SEQ_RST: 'detectorDataSeqRst',
  RST_SEQ_CHANGE: 'detectorRstSeqChange',
  RST_ACK_CHANGE: 'detectorRstAckChange',
  TTL: 'detectorTtl',
  SYN_ACK_MISMATCH: 'detectorSynAckMismatch',
  IP_ID: 'detectorIpId',
  NO_TIMESTAMPS: 'detectorNoTimestamps',
  TOO_FAST: 'detectorTooFast',
};

export interface Fired {
  detector: Detector;
  /** Why it fired: the data of its fragment message. */
  data: MessageData;
  frames: number[];
}

export interface Injection {
  conn: Connection;
  rst: ConnEvent;
  /** Further RSTs of the same burst. */
  burst: ConnEvent[];
  fired: Fired[];
  /** Evidence rows' events with notes. */
  evidence: { ev: ConnEvent; note: string }[];
}

const tcpEv = (e: ConnEvent): boolean => e.icmpType < 0;

/**
 * The RST answers the peer's latest segment the way a stack without the connection would
 * (RFC 9293 §3.10.7.1): bare RST with seq = the segment's ack, or RST+ACK acking the end of a
 * segment that had no ACK (a SYN).
 */
function answersLatest(events: readonly ConnEvent[], i: number): ConnEvent | undefined {
  const rst = events[i]!;
  for (let j = i - 1; j >= 0; j--) {
    const e = events[j]!;
    if (!tcpEv(e) || e.dir === rst.dir) continue;
    if (isRst(e)) return undefined;
    if ((rst.flags & TcpFlag.ACK) === 0) return (e.flags & TcpFlag.ACK) !== 0 && e.ack === rst.seq ? e : undefined;
    // A stack answers with RST+ACK only a segment without ACK (a SYN); a live socket's abort is
    // RST+ACK too but answers nothing, so acking the peer's last segment proves nothing.
    if ((e.flags & TcpFlag.ACK) !== 0) return undefined;
    const end = (e.seq + e.len + ((e.flags & TcpFlag.SYN) ? 1 : 0) + ((e.flags & TcpFlag.FIN) ? 1 : 0)) >>> 0;
    return rst.ack === end ? e : undefined;
  }
  return undefined;
}

function ipIdSequential(own: readonly ConnEvent[]): boolean {
  const ids = own.filter((e) => e.ipId !== 0);
  if (ids.length < 3) return false;
  for (let i = 1; i < ids.length; i++) {
    const step = (ids[i]!.ipId - ids[i - 1]!.ipId) & 0xffff;
    if (step < 1 || step > IPID_STEP) return false;
  }
  return true;
}

/** Run every detector on one RST of a connection. */
export function examine(c: Connection, i: number): Injection | undefined {
  const events = c.events;
  const r = events[i]!;
  const d = r.dir;
  const senderAddr = d === 0 ? c.orig.addr : c.resp.addr;
  const own = events.filter((e) => e.dir === d && tcpEv(e) && !isRst(e));
  const ownBefore = own.filter((e) => e.frame < r.frame);
  const fired: Fired[] = [];
  const evidence: { ev: ConnEvent; note: string }[] = [];
  const answered = answersLatest(events, i);

  // The burst: RSTs from the same sender right after this one, nothing else in between.
  const burst: ConnEvent[] = [];
  for (let j = i + 1; j < events.length; j++) {
    const e = events[j]!;
    if (!tcpEv(e)) continue;
    if (e.dir !== d || !isRst(e) || e.t - r.t > BURST) break;
    // One injector's spray shares its TTL; a RST with another TTL was made elsewhere (a genuine
    // RST and a device's cleanup can follow each other when the packets between are not kept).
    if (e.ttl !== r.ttl) break;
    burst.push(e);
  }

  // RST_SEQ_DATA: the "resetting" side goes on sending new data (seq at or past the RST's).
  // Data after a new SYN from that side is a new connection on the same 4-tuple, not this one.
  const newSyn = events.find((e) => e.frame > r.frame && e.dir === d && tcpEv(e) && (e.flags & TcpFlag.SYN) !== 0);
  const dataAfter = events.find((e) => e.frame > r.frame && e.dir === d && tcpEv(e) && !isRst(e) && e.len > 0 &&
    seqDiff(e.seq, r.seq) >= 0 && e.t - r.t <= DATA_AFTER && (newSyn === undefined || e.frame < newSyn.frame));
  if (dataAfter !== undefined) {
    fired.push({ detector: 'RST_SEQ_DATA', frames: [r.frame, dataAfter.frame],
      data: { senderAddr, dataFrame: dataAfter.frame, len: dataAfter.len, atRstSeq: seqDiff(dataAfter.seq, r.seq) === 0, rstFrame: r.frame } });
  }

  // DATA_SEQ_RST: the RST's seq lies below data the sender had already sent (racing in-flight data).
  let sentEnd = -1;
  for (const e of ownBefore) {
    const end = (e.seq + e.len + ((e.flags & TcpFlag.FIN) ? 1 : 0)) >>> 0;
    if (e.len > 0 && (sentEnd === -1 || seqDiff(end, sentEnd) > 0)) sentEnd = end;
  }
  if (answered === undefined && sentEnd !== -1 && seqDiff(sentEnd, r.seq) > 0) {
    fired.push({ detector: 'DATA_SEQ_RST', frames: [r.frame],
      data: { below: seqDiff(sentEnd, r.seq), senderAddr } });
  }

  // RST_SEQ_CHANGE / RST_ACK_CHANGE: back-to-back RSTs (no packet from either side between) that
  // disagree. A stack sends one RST per segment it answers.
  let prev = r;
  for (const b of burst) {
    const between = events.some((e) => tcpEv(e) && e.dir !== d && e.frame > prev.frame && e.frame < b.frame);
    if (between) break;
    const ds = seqDiff(b.seq, prev.seq);
    // A stack answering several in-flight segments sends one RST per segment, each at that
    // segment's ack: differing seqs that are all acks of the peer's segments are no spraying.
    const answersEach = peerAcks(events, d, b.frame);
    if (Math.abs(ds) > SEQ_NOISE && !(answersEach.has(prev.seq) && answersEach.has(b.seq)) &&
      !fired.some((f) => f.detector === 'RST_SEQ_CHANGE')) {
      fired.push({ detector: 'RST_SEQ_CHANGE', frames: [prev.frame, b.frame],
        data: { firstFrame: prev.frame, secondFrame: b.frame, ahead: ds > 0, seqChange: ds } });
    }
    if ((prev.flags & b.flags & TcpFlag.ACK) !== 0 && prev.ack !== b.ack && !fired.some((f) => f.detector === 'RST_ACK_CHANGE')) {
      fired.push({ detector: 'RST_ACK_CHANGE', frames: [prev.frame, b.frame],
        data: { firstFrame: prev.frame, secondFrame: b.frame } });
    }
    prev = b;
  }

  // TTL: the sender's packets arrive with one TTL (± 1); the RST with another (≥ 2 away).
  const ttl = ownTtlRange(own, d);
  if (consistentTtl(ttl, 2) && (r.ttl <= ttl.lo - 2 || r.ttl >= ttl.hi + 2)) {
    fired.push({ detector: 'TTL', frames: [r.frame],
      data: { ttl: r.ttl, others: own.length, senderAddr, usualLow: ttl.lo, usualHigh: ttl.hi, usualRange: ttl.lo !== ttl.hi } });
  }

  // SYN_ACK_MISMATCH: a RST+ACK answering a SYN must ack the SYN's ISN + 1.
  const synAckBefore = ownBefore.some((e) => (e.flags & TcpFlag.SYN) !== 0);
  const syns = events.filter((e) => e.dir !== d && tcpEv(e) && (e.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN && e.frame < r.frame);
  if ((r.flags & TcpFlag.ACK) !== 0 && !c.established && !synAckBefore && syns.length > 0 &&
    !syns.some((s) => r.ack === ((s.seq + 1) >>> 0))) {
    fired.push({ detector: 'SYN_ACK_MISMATCH', frames: [syns[syns.length - 1]!.frame, r.frame],
      data: { ack: r.ack, synSeq: syns[syns.length - 1]!.seq } });
  }

  // The supporting detectors below only add weight to a strong one (they come after it in `fired`).
  if (!fired.some((f) => STRONG.has(f.detector))) return undefined;

  // IP_ID: the sender's IP IDs count up (a per-connection or host counter); the RST's is off it.
  // IP ID 0 is what Linux puts on a RST sent without a socket (and on SYN-ACKs): not counted.
  if (r.ipId !== 0 && c.orig.version === 4 && ipIdSequential(own)) {
    const last = [...ownBefore].reverse().find((e) => e.ipId !== 0);
    const step = last ? (r.ipId - last.ipId) & 0xffff : -1;
    if (last && (step < 1 || step > IPID_STEP)) {
      fired.push({ detector: 'IP_ID', frames: [last.frame, r.frame],
        data: { ipId: hex4(r.ipId), senderAddr, lastFrame: last.frame, lastIpId: hex4(last.ipId) } });
    }
  }

  // NO_TIMESTAMPS: every segment of the sender carries TCP timestamps, the RST does not. A stack
  // resetting a live connection (Linux: RST+ACK) keeps the option; a RST answering a segment for a
  // connection the stack no longer has (bare, seq = that segment's ack) carries none, so those
  // are not counted. Some stacks omit options on every RST: supporting evidence only.
  const afterSyn = own.filter((e) => (e.flags & TcpFlag.SYN) === 0);
  const bareAnswer = (r.flags & TcpFlag.ACK) === 0 && answered !== undefined;
  if (!r.hasTs && !bareAnswer && c.established && afterSyn.length >= 2 && own.every((e) => e.hasTs)) {
    fired.push({ detector: 'NO_TIMESTAMPS', frames: [r.frame],
      data: { others: own.length, senderAddr } });
  }

  // TOO_FAST: the RST answers a segment sooner than the path's RTT allows.
  if (answered !== undefined) {
    const syn = events.find((e) => e.dir !== d && (e.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN);
    const synAck = events.find((e) => e.dir === d && (e.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK));
    const rtt = syn && synAck ? synAck.t - syn.t : 0;
    const delay = r.t - answered.t;
    if (rtt >= MIN_RTT && delay < rtt / 2) {
      fired.push({ detector: 'TOO_FAST', frames: [answered.frame, r.frame],
        data: { answeredFrame: answered.frame, delayMs: (delay * 1000).toFixed(2), rttMs: (rtt * 1000).toFixed(2), senderAddr } });
    }
  }

  const lastOwn = ownBefore[ownBefore.length - 1];
  if (lastOwn) evidence.push({ ev: lastOwn, note: `${senderAddr}'s last real packet before the RST (TTL ${lastOwn.ttl}, IP ID 0x${lastOwn.ipId.toString(16)}${lastOwn.hasTs ? ', timestamps' : ''})` });
  evidence.push({ ev: r, note: `RST in ${senderAddr}'s name (TTL ${r.ttl}, IP ID 0x${r.ipId.toString(16)}${r.hasTs ? ', timestamps' : ', no timestamps'})` });
  for (const b of burst) evidence.push({ ev: b, note: 'another RST of the same burst' });
  if (dataAfter) {
    evidence.push({ ev: dataAfter, note: `${senderAddr} still sending: it never reset the connection` });
    const answer = events.find((e) => e.frame > dataAfter.frame && e.dir !== d && tcpEv(e) && isRst(e));
    if (answer) evidence.push({ ev: answer, note: 'the receiver had already dropped the connection: its own RST' });
  }
  return { conn: c, rst: r, burst, fired, evidence };
}

/** The ack numbers of the other side's segments before a frame. */
function peerAcks(events: readonly ConnEvent[], d: number, before: number): Set<number> {
  const acks = new Set<number>();
  for (const e of events) {
    if (e.frame >= before) break;
    if (e.dir !== d && tcpEv(e) && (e.flags & TcpFlag.ACK) !== 0) acks.add(e.ack);
  }
  return acks;
}

/** The frame at which the connection had ended before this RST (a RST, or FIN both ways), or 0. */
function endedBefore(events: readonly ConnEvent[], r: ConnEvent): number {
  const fin = [0, 0];
  for (const e of events) {
    if (e.frame >= r.frame) break;
    if (!tcpEv(e)) continue;
    if (isRst(e)) return e.frame;
    if ((e.flags & TcpFlag.FIN) !== 0 && fin[e.dir] === 0) fin[e.dir] = e.frame;
    if (fin[0] !== 0 && fin[1] !== 0) return Math.max(fin[0], fin[1]);
  }
  return 0;
}

/** A RST that also carries SYN or FIN is no reset a stack sends: a scan or garbage probe. */
function plainRst(ev: ConnEvent): boolean {
  return isRst(ev) && (ev.flags & (TcpFlag.SYN | TcpFlag.FIN)) === 0;
}

/**
 * A strong detector that fired shows the RST was not made by its purported sender's stack:
 * neither a stack that lost the connection (stale-connection) nor, on an established connection,
 * an endpoint's own abort (abortive-close). The first one is quoted, to keep the line short.
 */
function ruledOutOf(c: Connection, hit: Injection, senderAddr: string): RuledOutDraft[] {
  const strong = hit.fired.find((f) => STRONG.has(f.detector));
  if (strong === undefined) return [];
  const data = { senderAddr, facts: [{ messageId: DETECTOR_MESSAGE[strong.detector], data: strong.data }] };
  const out: RuledOutDraft[] = [{ rule: 'stale-connection', messageId: 'notItsStack', data }];
  if (c.established) out.push({ rule: 'abortive-close', messageId: 'notItsStack', data });
  return out;
}

const DETECTORS_SENTENCE = ' Detectors that fired (Weaver, Sommer, Paxson, NDSS 2009): {{fired}}.';

/** A RST that its purported sender did not send. */
export const injectedReset: Rule = {
  meta: {
    id: 'injected-reset',
    severity: 'error',
    title: 'A forged RST: its purported sender did not send it',
    description: 'A RST that its purported sender did not send: TTL / IP ID / timestamps out of line, or data continues after it (Weaver, Sommer, Paxson, NDSS 2009).',
    docs: 'docs/rules/injected-reset.md',
    messages: {
      forged: {
        summary: '{{victim}} got a RST in {{sender}}\'s name that {{senderAddr}} did not send ({{detectorCount|plural:detector}}: {{detectorNames}})',
        explanation: 'The RST at frame {{rstFrame|frame}}{{#burstCount}} (and {{burstCount}} more right after it, frames {{burstFrames|frame}}){{/burstCount}} claims to come from {{sender}} but does not fit {{senderAddr}}\'s own packets.' +
          DETECTORS_SENTENCE +
          ' {{#agree}}{{detectorCount}} independent detectors agree.{{/agree}}{{^agree}}One detector fired: treat as likely, not certain.{{/agree}}' +
          ' Benign look-alikes ruled out: NAT or a path change alters every packet\'s TTL alike (only the RST differs here); Linux RSTs for a connection it no longer has (bare, seq = the segment\'s ack, IP ID 0, no options) are not held against it;' +
          ' stacks that omit options on RSTs or use a host-wide IP ID counter only add {{#supporting}}supporting {{/supporting}}weight, never a finding on their own.' +
          ' Something on the path — a firewall or IDS killing the flow, a censor, a load balancer or proxy, an attacker — forged the reset; {{victimAddr}}\'s application saw "connection reset by peer".',
      },
      forgedAfterEnd: {
        summary: '{{victim}} got a RST in {{sender}}\'s name after the connection had ended ({{detectorCount|plural:detector}}: {{detectorNames}})',
        explanation: 'The RST at frame {{rstFrame|frame}}{{#burstCount}} (and {{burstCount}} more right after it, frames {{burstFrames|frame}}){{/burstCount}} claims to come from {{sender}} but does not fit {{senderAddr}}\'s own packets.' +
          DETECTORS_SENTENCE +
          ' The connection had already ended (frame {{endFrame|frame}}: a reset, or FIN both ways), so this reset broke nothing: a device on the path (the capture host\'s firewall or VPN client, a NAT, an IDS) resets flows it sees closing.',
      },
      detectorRstSeqData: 'RST_SEQ_DATA — {{senderAddr}} kept sending new data after "its" RST: frame {{dataFrame|frame}} carries {{len}} bytes at seq {{#atRstSeq}}equal to{{/atRstSeq}}{{^atRstSeq}}beyond{{/atRstSeq}} the RST\'s (frame {{rstFrame|frame}});' +
        ' a stack that resets has no connection left to send from',
      detectorDataSeqRst: 'DATA_SEQ_RST — the RST\'s seq is {{below}} bytes below data {{senderAddr}} had already sent (a stack resets at its next sequence number, past everything it sent)',
      detectorRstSeqChange: 'RST_SEQ_CHANGE — back-to-back RSTs (frames {{firstFrame|frame}}, {{secondFrame|frame}}) with seq {{#ahead}}+{{/ahead}}{{seqChange}} apart: one stack resetting once sends one RST, an injector sprays several to hit the window',
      detectorRstAckChange: 'RST_ACK_CHANGE — back-to-back RSTs (frames {{firstFrame|frame}}, {{secondFrame|frame}}) acknowledge different sequence numbers',
      detectorTtl: 'TTL — TTL {{ttl}} while all {{others}} other packets from {{senderAddr}} arrived with TTL {{usualLow}}{{#usualRange}}–{{usualHigh}}{{/usualRange}}:' +
        ' it was made at another distance from the capture point (NAT rewriting TTL, or a path change, would change every packet alike)',
      detectorSynAckMismatch: 'SYN_ACK_MISMATCH — a RST+ACK to a SYN that does not acknowledge the SYN\'s ISN + 1 (ack {{ack}}, the SYN\'s seq {{synSeq}}): the answering stack would have read the SYN it answers',
      detectorIpId: 'IP_ID — IP ID {{ipId}} is off {{senderAddr}}\'s sequence (its previous packet, frame {{lastFrame|frame}}, had {{lastIpId}}, and its IDs count up one by one)',
      detectorNoTimestamps: 'NO_TIMESTAMPS — no TCP timestamps on the RST, while all {{others}} other segments from {{senderAddr}} carry them (a Linux stack resetting a live connection includes them)',
      notItsStack: '{{senderAddr}}\'s own stack did not send it: {{facts}}',
      detectorTooFast: 'TOO_FAST — the RST answered frame {{answeredFrame|frame}} after {{delayMs}} ms, under half the handshake\'s round trip ({{rttMs}} ms): it came from closer than {{senderAddr}}',
    },
    // A leaked reply's RST is the NAT's doing; a reset after a long idle is a middlebox that timed out, not a forger.
    appliesTo: [{ any: Fact.Rst }],
    yieldsTo: ['challenge-ack', 'unreversed-nat-midstream', 'idle-timeout', 'accept-queue-overflow'],
    rollUp: { by: ['messageId', 'server'], title: 'Resets on connections to {{server}} not sent by their purported sender (forged on the path)' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (const c of ctx.candidates) {
      if (!hasReset(c) || (c.natRole === 'translated' && c.natPeer !== null) || ctx.isClaimed(c)) continue;
      let hit: Injection | undefined;
      for (let i = 0; i < c.events.length && hit === undefined; i++) {
        const ev = c.events[i]!;
        if (tcpEv(ev) && plainRst(ev)) hit = examine(c, i);
      }
      if (hit === undefined) continue;
      for (const k of withNatPeer(c)) ctx.claim(k);
      const r = hit.rst;
      const sender = r.dir === 0 ? c.orig : c.resp;
      const victim = r.dir === 0 ? c.resp : c.orig;
      const n = hit.fired.length;
      const detectors = hit.fired.map((f) => f.detector);
      const evidence = sortEvidence(hit.evidence.map((x) => evidenceOf(c, x.ev, x.note)));
      const backend = c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null;
      const supporting = hit.fired.filter((f) => !STRONG.has(f.detector)).length;
      const endFrame = endedBefore(c.events, r);
      out.push({
        rule: 'injected-reset',
        severity: endFrame !== 0 ? 'info' : n >= 2 ? 'error' : 'warning',
        confidence: Math.min(0.95, 0.5 + 0.1 * n),
        client: c.orig.text,
        server: c.resp.text,
        backend,
        resetBy: 'middlebox',
        resetSender: sender.addr,
        count: 1,
        messageId: endFrame !== 0 ? 'forgedAfterEnd' : 'forged',
        data: {
          endFrame,
          victim: victim.text, victimAddr: victim.addr, sender: sender.text, senderAddr: sender.addr, rstFrame: r.frame,
          burstCount: hit.burst.length, burstFrames: hit.burst.map((b) => b.frame),
          detectorCount: n, detectorNames: detectors.join(', '), agree: n >= 2, supporting: supporting > 0,
          fired: hit.fired.map((f) => ({ messageId: DETECTOR_MESSAGE[f.detector], data: f.data })),
        },
        detectors,
        ruledOut: ruledOutOf(c, hit, sender.addr),
        remediation: [
          `Find the device between the capture point and ${sender.addr} that resets connections (the RST's TTL ${r.ttl} hints at its distance): IDS/IPS "reset" actions, firewall REJECT --reject-with tcp-reset rules, proxies or DPI appliances; check their logs at the RST's time.`,
          'Capture on both ends at once: a forged RST appears at the victim and is absent at its purported sender.',
          'If the path is untrusted, use TLS/mTLS or a VPN (RSTs still kill plain TCP, but a protocol-level retry then reconnects safely); TCP-AO (RFC 5925) authenticates segments where both ends support it.',
        ],
        evidence,
        connections: withNatPeer(c),
      });
    }
    return out;
  },
};
