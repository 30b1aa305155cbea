import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, sortEvidence, withNatPeer } from './evidence.js';
import { TcpFlag } from '../decode/packet.js';
import { consistentTtl, COPY_WINDOW, IDLE_SHORT, isRst, ownTtlRange, ttlInLine } from './tcp.js';
import type { MessageRef } from './messages.js';
import { Fact } from './facts.js';

/** An idle period this long, then a reset, is reported whoever the reset claims to come from. */
export const IDLE_LONG = 60;
// IDLE_SHORT (tcp.ts): shorter idles are reported only when the reset betrays a middlebox (TTL, no twin behind the NAT).
export { IDLE_SHORT };
/** The reset must follow the first segment after the idle within this many seconds. */
const ANSWER_WITHIN = 30;
/** Two resets (one each way) this close together at the idle boundary: a middlebox resetting both sides. */
const BOTH_WITHIN = 1;

interface KnownTimeout {
  seconds: number;
  who: string;
}

/** Known idle timeouts of common middleboxes (defaults). */
const KNOWN: readonly KnownTimeout[] = [
  { seconds: 240, who: 'Azure Load Balancer (default idle timeout 4 min)' },
  { seconds: 350, who: 'AWS Network Load Balancer (TCP idle timeout 350 s) or AWS NAT gateway (350 s)' },
  { seconds: 600, who: 'a GCP VPC firewall\'s connection tracking (established TCP idle 10 min)' },
  { seconds: 900, who: 'IPVS (kube-proxy in IPVS mode: the TCP timeout of ipvsadm --set, 900 s)' },
  { seconds: 1200, who: 'GCP Cloud NAT (established TCP idle timeout 1200 s)' },
  { seconds: 1800, who: 'Azure outbound rules (idle timeout configurable from 4 to 120 min; 30 min is a common setting)' },
  { seconds: 86400, who: 'a node\'s conntrack as kube-proxy sets it (nf_conntrack_tcp_timeout_established = 86400 s, conntrack.tcpEstablishedTimeout 24h)' },
  { seconds: 432000, who: 'a node\'s conntrack at the kernel default (nf_conntrack_tcp_timeout_established = 432000 s, 5 days)' },
];

interface IdleReset {
  conn: Connection;
  /** Seconds without any packet. */
  idle: number;
  /** Last packet before the silence. */
  before: ConnEvent | undefined;
  /** First packet after it: the segment that met the reset, or the first reset itself. */
  after: ConnEvent;
  /** The reset(s): one answering `after`, or one each way at the idle boundary. */
  rsts: ConnEvent[];
  pattern: 'next-segment' | 'both-ways';
  /** Why the reset is taken for a middlebox's rather than its purported sender's (empty: nothing says so). */
  betrayals: MessageRef[];
  /** The reset was seen made by the NAT node the capture was taken on. */
  natNode: boolean;
}

function fmt(s: number): string {
  return s >= 100 ? s.toFixed(0) : s.toFixed(1);
}

/** A packet from the other NAT half within the copy window: the same packet seen behind the NAT. */
function hasTwin(c: Connection, ev: ConnEvent): boolean {
  const peer = c.natPeer;
  if (peer === null) return true;
  return peer.events.some((o) => o.dir === ev.dir && o.flags === ev.flags && Math.abs(o.t - ev.t) <= COPY_WINDOW);
}

/** Why the RST looks made by something other than its purported sender (empty: nothing says so). */
function betrayal(c: Connection, rst: ConnEvent): MessageRef[] {
  const out: MessageRef[] = [];
  const sender = rst.dir === 0 ? c.orig.addr : c.resp.addr;
  // Every other packet of the sender came with one TTL (or two adjacent ones): a RST with
  // another TTL was made at a different distance from the capture point.
  const range = ownTtlRange(c.events, rst.dir);
  if (consistentTtl(range, 2)) {
    const { lo, hi } = range;
    if (rst.ttl < lo || rst.ttl > hi) {
      const closer = rst.ttl > hi;
      out.push({ messageId: 'betrayedByTtl', data: {
        ttl: rst.ttl, sender, usualLow: lo, usualHigh: hi, usualRange: lo !== hi, hops: closer ? rst.ttl - hi : lo - rst.ttl, closer,
      } });
    }
  }
  if (c.natRole === 'original' && c.natPeer !== null && !hasTwin(c, rst)) {
    out.push({ messageId: 'betrayedByNat', data: { translatedOrig: c.natPeer.orig.text, translatedResp: c.natPeer.resp.text } });
  }
  return out;
}

/** The idle-then-reset pattern on one connection, or undefined. */
function idleResetOf(c: Connection): IdleReset | undefined {
  if (!c.established || c.maxIdle < IDLE_SHORT || c.maxIdleFrame <= 0) return undefined;
  if (c.natRole === 'translated' && c.natPeer !== null) return undefined;
  const k = c.events.findIndex((e) => e.frame === c.maxIdleFrame);
  if (k < 0) return undefined;
  const after = c.events[k]!;
  if (after.icmpType >= 0) return undefined;
  // The event before it is the last packet before the silence unless the event cap dropped packets in between.
  const prevEv = k > 0 ? c.events[k - 1] : undefined;
  const before = prevEv !== undefined && Math.abs(after.t - prevEv.t - c.maxIdle) < 1e-3 ? prevEv : undefined;
  let match: Omit<IdleReset, 'betrayals' | 'natNode'> | undefined;
  if (isRst(after)) {
    // Both ways at the boundary: a RST each way, nothing else in between.
    const other = c.events.slice(k + 1).find((e) => e.icmpType < 0);
    if (other !== undefined && isRst(other) && other.dir !== after.dir && other.t - after.t <= BOTH_WITHIN) {
      match = { conn: c, idle: c.maxIdle, before, after, rsts: [after, other], pattern: 'both-ways' };
    }
  } else {
    // The first segment after the idle; the other side's next packet is a RST answering it.
    const later = c.events.slice(k + 1).filter((e) => e.icmpType < 0 && e.dir !== after.dir);
    const first = later[0];
    // A side that sends FIN after the silence closes its own idle connection (an application
    // idle timeout): the RST that meets it is the endpoints' business, not a middlebox's.
    const closesItself = first !== undefined && c.events.some((e, j) => j >= k && e.frame < first.frame && e.dir === after.dir &&
      (e.flags & TcpFlag.FIN) !== 0);
    if (first !== undefined && isRst(first) && !closesItself && first.t - after.t <= ANSWER_WITHIN) {
      match = { conn: c, idle: c.maxIdle, before, after, rsts: [first], pattern: 'next-segment' };
    }
  }
  if (match === undefined) return undefined;
  const betrayals = match.pattern === 'both-ways' ? [{ messageId: 'betrayedByBothWays', data: {} }] : betrayal(c, match.rsts[0]!);
  const natNode = betrayals.some((r) => r.messageId === 'betrayedByNat');
  // Below a minute, an endpoint that lost the connection (stale-connection) is as likely as a timeout:
  // only a reset that betrays a middlebox is taken.
  if (match.idle < IDLE_LONG && betrayals.length === 0) return undefined;
  return { ...match, betrayals, natNode };
}

/**
 * A reset that betrays a middlebox was not its purported sender's: neither a stack that lost the
 * connection nor an endpoint's abort. Any idle-then-reset is timed by the silence, not by a forger.
 */
function ruledOutOf(m: IdleReset, claimedAddr: string): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  if (m.betrayals.length > 0) {
    const data = { claimedAddr, betrayals: m.betrayals };
    out.push({ rule: 'stale-connection', messageId: 'notTheEndpoint', data }, { rule: 'abortive-close', messageId: 'notTheEndpoint', data });
  }
  out.push({ rule: 'injected-reset', messageId: 'afterIdle', data: { idle: fmt(m.idle), bothWays: m.pattern === 'both-ways', afterFrame: m.after.frame } });
  return out;
}

/** The sentence naming the likely timeout: a known default it matches, or the defaults it bounds. */
function culprit(idle: number, exact: boolean, natNode: boolean): MessageRef {
  const near = KNOWN.find((k) => idle >= k.seconds * 0.98 && idle <= k.seconds * 1.1 + 30);
  if (near !== undefined) return { messageId: 'culpritKnown', data: { idle: fmt(idle), seconds: near.seconds, who: near.who } };
  const below = KNOWN.filter((k) => k.seconds <= idle);
  if (below.length === 0) return { messageId: 'culpritBelowDefaults', data: { idle: fmt(idle), exact, natNode } };
  return { messageId: 'culpritAtMost', data: {
    idle: fmt(idle), exact, defaults: below.map((k) => ({ messageId: 'knownTimeout', data: { seconds: k.seconds, who: k.who } })),
  } };
}

/** How the idle ended: a segment answered with RST, or a RST each way at once. */
const HOW = '{{^bothWays}}After {{idle}} s without a single packet ({{#beforeFrame}}frame {{beforeFrame|frame}} → {{/beforeFrame}}{{^beforeFrame}}until {{/beforeFrame}}frame {{afterFrame|frame}}),' +
  ' {{trigger}} sent a segment (frame {{afterFrame|frame}}) and was answered with RST from {{claimed}} (frame {{rstFrame|frame}}).{{/bothWays}}' +
  '{{#bothWays}}After {{idle}} s without a single packet, both ends were reset at once (frames {{rstFrame|frame}}, {{secondRstFrame|frame}}).{{/bothWays}}';

/** An established connection idle for a long time, then reset: a load balancer, NAT or conntrack entry timed out. */
export const idleTimeout: Rule = {
  meta: {
    id: 'idle-timeout',
    severity: 'error',
    title: 'A connection idle for a long time was reset: a middlebox forgot it',
    description: 'A long idle period, then a reset: a load balancer, NAT or conntrack entry timed out.',
    docs: 'docs/rules/idle-timeout.md',
    messages: {
      middlebox: {
        summary: '{{client}} → {{server}}: reset after {{idle}} s idle — an idle timeout in a middlebox',
        explanation: HOW + ' The RST was not sent by {{claimedAddr}}: {{betrayals|join:; and }}.' +
          ' A stateful middlebox (load balancer, NAT gateway, conntrack) dropped the idle connection from its table and resets the flow it no longer knows. {{culprit}}',
      },
      onPath: {
        summary: '{{client}} → {{server}}: reset after {{idle}} s idle — an idle timeout on the path, or at {{claimedAddr}} itself',
        explanation: HOW + ' The RST claims to come from {{claimedAddr}}, and nothing in it says otherwise' +
          '{{#ownTtl}}: its TTL ({{rstTtl}}) is that of {{claimedAddr}}\'s own packets ({{ownTtl}}), so it was made as far from the capture point as they were{{/ownTtl}}.' +
          ' The silence makes a timeout likely, but not whose: a middlebox (load balancer, NAT, firewall, conntrack) that forgot the idle flow and answers for {{claimedAddr}} from as far away as {{claimedAddr}} is' +
          ' (next to it, or copying its TTL); or {{claimedAddr}} itself — its application or kernel dropped the idle connection (an application idle timeout whose FIN never arrived, a keepalive that failed)' +
          ' or it restarted during the silence, and its stack resets a segment of a connection it no longer has. {{culprit}}',
      },
      betrayedByTtl: 'its TTL is {{ttl}} while every other packet from {{sender}} arrived with TTL {{usualLow}}{{#usualRange}}–{{usualHigh}}{{/usualRange}}:' +
        ' it was made {{hops|plural:hop}} {{#closer}}closer to{{/closer}}{{^closer}}farther from{{/closer}} the capture point than {{sender}}\'s packets',
      betrayedByNat: 'it appears only on the client side of the NAT (no copy of it in the translated connection {{translatedOrig}} → {{translatedResp}}): the NAT node itself made it',
      betrayedByBothWays: 'a RST reached each side at the same moment, right at the end of the idle period: no endpoint resets both ends of its own connection',
      culpritKnown: '{{idle}} s matches the {{seconds}} s idle timeout of {{who}} — a candidate, not proven: the packets show the timing, not the box.',
      culpritBelowDefaults: 'Idle {{idle}} s is shorter than any cloud default (Azure Load Balancer 240 s, AWS NLB / NAT gateway 350 s, GCP Cloud NAT 1200 s):' +
        ' a conntrack or middlebox timeout configured that low ({{^exact}}at most {{idle}} s: {{/exact}}' +
        '{{#natNode}}the conntrack of the NAT node this capture was taken on — check sysctl net.netfilter.nf_conntrack_tcp_timeout_established there — {{/natNode}}' +
        '{{^natNode}}a node\'s nf_conntrack_tcp_timeout_established tuned down, {{/natNode}}or a firewall, load balancer or proxy idle timeout).',
      culpritAtMost: 'The timeout is at most {{idle}} s (the idle period{{^exact}} includes the time after the entry expired until the next segment{{/exact}});' +
        ' known defaults at or below it: {{defaults|join:; }}.',
      knownTimeout: '{{seconds}} s {{who}}',
      notTheEndpoint: 'the RST was not made by {{claimedAddr}}\'s own stack: {{betrayals|join:; and }}',
      afterIdle: '{{^bothWays}}the RST met the first segment after {{idle}} s of silence (frame {{afterFrame|frame}}){{/bothWays}}{{#bothWays}}both ends were reset right at the end of {{idle}} s of silence{{/bothWays}}: the timing of a flow a middlebox forgot, not of a reset forged into a live connection',
    },
    // idleResetOf: a long silence after the handshake, and a RST after it.
    appliesTo: [{ all: Fact.Established | Fact.Idle, any: Fact.Rst }],
    yieldsTo: ['unreversed-nat-midstream'],
    rollUp: {
      by: ['messageId', 'serverPort'],
      title: 'Connections to port {{serverPort}} reset after an idle period (e.g. {{idle}} s): a load balancer, NAT or conntrack timeout',
      titleFor: { onPath: 'Connections to port {{serverPort}} reset after an idle period (e.g. {{idle}} s): an idle timeout on the path or at the server' },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c)) continue;
      const m = idleResetOf(c);
      if (m === undefined) continue;
      for (const k of withNatPeer(c)) ctx.claim(k);
      const rst = m.rsts[0]!;
      const claimed = rst.dir === 0 ? c.orig : c.resp;
      const middlebox = m.betrayals.length > 0;
      const resetBy = middlebox ? 'middlebox' as const : rst.dir === 0 ? 'client' as const : 'server' as const;
      const trigger = m.pattern === 'next-segment' ? (m.after.dir === 0 ? c.orig : c.resp) : null;
      const evidence = [];
      if (m.before) evidence.push(evidenceOf(c, m.before, 'last packet before the idle period'));
      if (m.pattern === 'next-segment') evidence.push(evidenceOf(c, m.after, `first segment after ${fmt(m.idle)} s idle`));
      for (const r of m.rsts) {
        evidence.push(evidenceOf(c, r, middlebox ? `RST in ${(r.dir === 0 ? c.orig : c.resp).addr}'s name, made by a middlebox` : 'RST after the idle period'));
      }
      sortEvidence(evidence);
      const backend = c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null;
      const keepalive = Math.max(10, Math.floor(Math.min(m.idle, 7200) * 0.5));
      // Nothing betrays a middlebox: the RST may be its purported sender's own (see onPath).
      const own = middlebox ? null : ttlInLine(c.events, rst);
      out.push({
        rule: 'idle-timeout',
        // Only a reset its purported sender did not make excludes the endpoint's own idle close or restart.
        severity: middlebox ? 'error' : 'warning',
        confidence: middlebox ? 0.9 : m.idle >= 300 ? 0.6 : 0.5,
        client: c.orig.text,
        server: c.resp.text,
        backend,
        resetBy,
        resetSender: claimed.addr,
        count: 1,
        ruledOut: ruledOutOf(m, claimed.addr),
        messageId: middlebox ? 'middlebox' : 'onPath',
        data: {
          client: c.orig.text, server: c.resp.text, idle: fmt(m.idle), bothWays: m.pattern === 'both-ways',
          beforeFrame: m.before ? m.before.frame : null, afterFrame: m.after.frame, trigger: trigger ? trigger.text : null,
          claimed: claimed.text, claimedAddr: claimed.addr, rstFrame: rst.frame, secondRstFrame: m.rsts[1]?.frame ?? null,
          betrayals: m.betrayals, culprit: [culprit(m.idle, m.pattern === 'both-ways', m.natNode)],
          rstTtl: rst.ttl, ownTtl: own?.usualTtl ?? '',
        },
        remediation: [
          `Keep the connection from going idle that long: enable TCP keepalive (SO_KEEPALIVE) with a first probe well below the timeout, e.g. sysctl -w net.ipv4.tcp_keepalive_time=${keepalive} net.ipv4.tcp_keepalive_intvl=15 (per socket: TCP_KEEPIDLE), or send application-level pings (HTTP/2 PING, gRPC keepalive, database pool validation).`,
          'Or raise the middlebox timeout: AWS NLB TCP idle timeout attribute (60–6000 s), Azure Load Balancer idle timeout (up to 100 min, and enable "TCP reset on idle"), gcloud compute routers nats update --tcp-established-idle-timeout, sysctl net.netfilter.nf_conntrack_tcp_timeout_established on the node.',
          'Clients should treat a reset on a pooled connection that sat idle as retryable, and expire pooled connections before the middlebox does.',
          ...(middlebox ? [] : [`Check ${claimed.text} itself: its application's idle timeout (keep-alive timeout of the server or proxy), and whether it restarted during the silence.`]),
        ],
        evidence,
        connections: withNatPeer(c),
      });
    }
    return out;
  },
};
