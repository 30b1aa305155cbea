import type { ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, looksLikeService, sortEvidence, translatedPeer, withNatPeer } from './evidence.js';
import { backsOff, ipSizeOf, secondsText, smallUnanswered, stallOf, tooLargeCandidate, ALWAYS_FITS, type Stall } from './stall.js';
import { IDLE_SHORT, isRst } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

/** Retransmissions with backoff at least this many, with nothing back: the peer is gone, not slow. */
const CERTAIN_RETRANSMITS = 3;

function ruledOutOf(s: Stall, idleBefore: number): RuledOutDraft[] {
  const passed = s.largestAcked?.len ?? 0;
  const out: RuledOutDraft[] = [];
  const small = smallUnanswered(s);
  if (small !== undefined) {
    out.push({ rule: 'pmtu-blackhole', messageId: 'smallAlsoLost', data: { len: small.len, frame: small.frame } });
  } else out.push(s.minLen <= passed
    ? { rule: 'pmtu-blackhole', messageId: 'sizePassedBefore', data: { len: s.minLen, passed, passedFrame: s.largestAcked?.frame ?? 0 } }
    : { rule: 'pmtu-blackhole', messageId: 'fitsAnyPath', data: { ipSize: ipSizeOf(s.conn, s.first, s.maxLen), fits: ALWAYS_FITS } });
  out.push({ rule: 'stale-connection', messageId: 'noAnswerAtAll', data: {} });
  if (idleBefore < IDLE_SHORT) out.push({ rule: 'idle-timeout', messageId: 'notIdle', data: { idle: secondsText(idleBefore) } });
  return out;
}

/** The sender's RST after the stall began: it gave up. */
function gaveUpOf(s: Stall): ConnEvent | undefined {
  return s.conn.events.find((e) => e.dir === s.dir && isRst(e) && e.frame > s.first.frame);
}

/**
 * The silent peer's own address, whose packets on other connections say whether it is up: the
 * backend behind a DNAT when the capture linked it; none for a Service address seen unlinked
 * (other backends answer in its name) or when both ends share one address (loopback).
 */
function silentAddr(s: Stall, ctx: RuleContext): string | undefined {
  const c = s.conn;
  const sender = s.dir === 0 ? c.orig.addr : c.resp.addr;
  let addr = c.orig.addr;
  if (s.dir === 0) {
    const backend = translatedPeer(c);
    if (backend !== null) addr = backend.resp.addr;
    else if (looksLikeService(c, (a) => ctx.isServiceAddress(a))) return undefined;
    else addr = c.resp.addr;
  }
  return addr === sender ? undefined : addr;
}

interface Alive {
  addr: string;
  /** When the silent peer last sent a packet on any connection. */
  lastSent: number;
}

/**
 * The silent peer sent packets on other connections after this one's stall began (nothing of it
 * came here since, or the stall would not be one): the host is up, only this flow goes unanswered.
 */
function aliveElsewhere(s: Stall, ctx: RuleContext): Alive | undefined {
  const addr = silentAddr(s, ctx);
  if (addr === undefined) return undefined;
  const lastSent = ctx.lastSentBy(addr);
  return lastSent > s.first.t ? { addr, lastSent } : undefined;
}

const SUMMARY = '{{sender}} → {{receiver}}: no answer since {{silentSince}}; {{retransmits|plural:retransmission}} over {{waited}} s unacknowledged{{#gaveUp}}, then it gave up{{/gaveUp}}';

/** The stall itself: what both findings start from. */
const STALL = 'On the established connection {{client}} → {{server}}, {{receiver}} sent its last packet at frame {{peerLastFrame|frame}} ({{silentSince}}).' +
  ' {{sender}} then sent {{len}} bytes (frame {{firstFrame|frame}}) and retransmitted them {{retransmits|plural:time}} with exponential backoff over {{waited}} s (waits {{intervals}} s); nothing came back — no acknowledgement, no RST, no ICMP error.' +
  '{{#gaveUp}} {{sender}} then reset the connection (frame {{rstFrame|frame}}): its application or stack gave up.{{/gaveUp}}' +
  '{{^gaveUp}} The capture ends with the segment still unacknowledged.{{/gaveUp}}' +
  '{{#nothingAcked}} {{receiver}} never acknowledged a byte of {{sender}}\'s data, only the handshake: a middlebox that completes handshakes itself (a SYN proxy, a load balancer whose backend is gone) or inspects and drops requests (an IPS, DPI filtering) would look the same.{{/nothingAcked}}' +
  '{{#idleBefore}} The connection had been idle {{idleBefore}} s before: a NAT, conntrack or load-balancer entry that expired and now drops the flow silently would look the same.{{/idleBefore}}';

/** An established connection where one side retransmits with backoff and nothing comes back. */
export const peerUnresponsive: Rule = {
  meta: {
    id: 'peer-unresponsive',
    severity: 'error',
    title: 'The peer stopped answering an established connection',
    description: 'An established connection where one side retransmits with backoff and never gets an acknowledgement: the peer vanished.',
    docs: 'docs/rules/peer-unresponsive.md',
    messages: {
      silent: {
        summary: SUMMARY,
        explanation: STALL + '{{#several}} {{count}} connections went silent this way.{{/several}}' +
          ' The peer vanished without closing: its pod was deleted or its node went down, or a NetworkPolicy, route or firewall change now drops the path. The application sees the connection hang until tcp_retries2 (about 15 minutes by default) or its own timeout.',
      },
      aliveElsewhere: {
        summary: SUMMARY + ', while {{silentAddr}} still sends on other connections',
        explanation: STALL + ' Yet {{silentAddr}} did not vanish: it was still sending on other connections at {{aliveUntil}}, {{aliveAfter}} s after this stall began.' +
          ' A host that is up acknowledges a segment of a connection it holds, or resets one it does not; nothing at all came back, so this flow\'s packets or their answers are lost between the two:' +
          ' a firewall, IPS or NetworkPolicy (on the path or on the host itself) dropping this flow, a conntrack or NAT entry of this flow that expired or turned INVALID, or a route that changed for this flow only (an asymmetric return path).' +
          ' (If {{silentAddr}} is a shared address — a NAT or a load balancer — the host behind it for this connection may also be gone.)' +
          '{{#several}} {{count}} connections went silent this way.{{/several}}',
      },
      sizePassedBefore: 'the stalled segment ({{len}} bytes) is no larger than one that was acknowledged before ({{passed}} bytes, frame {{passedFrame|frame}}): not its size',
      smallAlsoLost: 'a {{len}}-byte segment sent after it (frame {{frame|frame}}), small enough for any path, drew no answer either: not the size',
      fitsAnyPath: 'the stalled packets ({{ipSize}} bytes) fit any path ({{fits}} bytes or less): not its size',
      noAnswerAtAll: 'no RST came back: the peer did not answer from a restarted stack',
      notIdle: 'the connection was busy (idle at most {{idle}} s before the stall): no idle timeout',
    },
    // Too-large segments are pmtu-blackhole's even when the peer is silent too.
    // stallOf: retransmissions.
    appliesTo: [{ all: Fact.Established | Fact.Retransmitted }],
    yieldsTo: ['pmtu-blackhole', 'unreversed-nat-midstream'],
    rollUp: {
      by: ['messageId', 'server'],
      title: 'Established connections with {{server}} hang: one side stopped answering (pod deleted, node down, policy or route change)',
      titleFor: { aliveElsewhere: 'Established connections with {{server}} hang while the silent side answers elsewhere: this flow is dropped on the path (firewall, IPS, conntrack, route)' },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: { s: Stall; alive: Alive | undefined }[] = [];
    for (const c of ctx.candidates) {
      if (!c.established || c.natRole === 'translated' && c.natPeer !== null || ctx.isClaimed(c)) continue;
      for (const dir of [0, 1] as const) {
        const s = stallOf(c, dir);
        // Anything from the peer after the stall began says it is there.
        if (s === undefined || s.peerAfter !== undefined || !backsOff(s) || tooLargeCandidate(s)) continue;
        // A peer that had closed (FIN) and then left the last segments unacknowledged ended the
        // connection itself: a teardown left unfinished, nothing its application waits for.
        if (c.events.some((e) => e.dir !== dir && e.icmpType < 0 && (e.flags & TcpFlag.FIN) !== 0 && e.frame < s.first.frame)) continue;
        hits.push({ s, alive: aliveElsewhere(s, ctx) });
        break;
      }
    }
    return groupBy(hits, ({ s, alive }) => `${s.conn.orig.addr}|${s.conn.resp.text}|${s.dir}|${alive !== undefined}`).map((hitGroup) => {
      const group = hitGroup.map((h) => h.s);
      const s = group[0]!;
      // The latest sign of life among the group's silent peers (behind a DNAT, several backends may share a group).
      const alive = hitGroup.reduce<Alive | undefined>((a, h) => (h.alive !== undefined && (a === undefined || h.alive.lastSent > a.lastSent) ? h.alive : a), undefined);
      const c = s.conn;
      const sender = s.dir === 0 ? c.orig.text : c.resp.text;
      const receiver = s.dir === 0 ? c.resp.text : c.orig.text;
      const gaveUp = gaveUpOf(s);
      const evidence = [];
      for (const g of group) {
        for (const k of withNatPeer(g.conn)) ctx.claim(k);
        if (g.peerLast) evidence.push(evidenceOf(g.conn, g.peerLast, 'the peer\'s last packet'));
        evidence.push(evidenceOf(g.conn, g.first, 'never acknowledged'));
        for (const r of g.retransmits) evidence.push(evidenceOf(g.conn, r, 'retransmitted: no answer'));
        const rst = gaveUpOf(g);
        if (rst) evidence.push(evidenceOf(g.conn, rst, 'gave up'));
      }
      sortEvidence(evidence);
      const last = s.retransmits[s.retransmits.length - 1]!;
      const before = c.events.filter((e) => e.frame < s.first.frame && e.icmpType < 0).pop();
      const idleBefore = before ? s.first.t - before.t : 0;
      const peerLast = s.peerLast ?? s.first;
      // Not one byte acknowledged: something that completes handshakes itself, or inspects and drops requests, is as likely.
      const nothingAcked = s.largestAcked === undefined;
      // The silent side still sends on other connections: it is up, this flow is lost on the way.
      const certain = alive === undefined && s.retransmits.length >= CERTAIN_RETRANSMITS && idleBefore < IDLE_SHORT && !ctx.oneDirection && !nothingAcked;
      const silentAt = s.dir === 0 ? c.resp.addr : c.orig.addr;
      return {
        rule: 'peer-unresponsive' as const,
        messageId: alive === undefined ? 'silent' : 'aliveElsewhere',
        data: {
          client: c.orig.text, server: c.resp.text, sender, receiver, len: s.first.len,
          peerLastFrame: peerLast.frame, silentSince: new Date(peerLast.t * 1000).toISOString(),
          firstFrame: s.first.frame, retransmits: s.retransmits.length,
          waited: secondsText(last.t - s.first.t), intervals: s.intervals.map(secondsText).join(', '),
          gaveUp: gaveUp !== undefined, rstFrame: gaveUp?.frame ?? 0,
          idleBefore: idleBefore >= IDLE_SHORT ? secondsText(idleBefore) : '', nothingAcked,
          ...(alive === undefined ? {} : {
            silentAddr: alive.addr, aliveUntil: new Date(alive.lastSent * 1000).toISOString(), aliveAfter: secondsText(alive.lastSent - s.first.t),
          }),
        },
        severity: certain ? 'error' as const : 'warning' as const,
        confidence: certain ? 0.8 : alive === undefined ? 0.55 : 0.5,
        client: c.orig.text,
        server: c.resp.text,
        backend: c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null,
        resetBy: gaveUp === undefined ? null : s.dir === 0 ? 'client' as const : 'server' as const,
        resetSender: gaveUp === undefined ? null : s.dir === 0 ? c.orig.addr : c.resp.addr,
        count: group.length,
        ruledOut: ruledOutOf(s, idleBefore),
        remediation: [
          alive === undefined
            ? `kubectl get pods -A -o wide | grep ${silentAt}   # is the peer still there (deleted, rescheduled, node NotReady)?`
            : `The peer ${alive.addr} is up: look for what drops this one flow — firewall / IPS / IDS logs and NetworkPolicies for ${c.orig.text} ↔ ${c.resp.text} at ${new Date(s.first.t * 1000).toISOString()}, and ip route get ${alive.addr} (and back) on each hop.`,
          `conntrack -L -d ${silentAt}   # on the node: is the flow's entry still there, and where does it point?`,
          'Check NetworkPolicies, routes and firewall changes at the time the silence began.',
          'Let applications notice sooner: TCP keepalive (net.ipv4.tcp_keepalive_time) or TCP_USER_TIMEOUT, and a lower net.ipv4.tcp_retries2 on clients of short-lived pods.',
        ],
        evidence,
        connections: group.flatMap((g) => withNatPeer(g.conn)),
      };
    });
  },
};
