import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext } from './types.js';
import { evidenceOf, sortEvidence } from './evidence.js';
import { isRst } from './tcp.js';

/** An idle period this long, then a reset, is reported whoever the reset claims to come from. */
export const IDLE_LONG = 60;
/** Shorter idles are reported only when the reset betrays a middlebox (TTL, no twin behind the NAT). */
export const IDLE_SHORT = 10;
/** The reset must follow the first segment after the idle within this many seconds. */
const ANSWER_WITHIN = 30;
/** Two resets (one each way) this close together at the idle boundary: a middlebox resetting both sides. */
const BOTH_WITHIN = 1;
const COPY_WINDOW = 0.05;

interface KnownTimeout {
  seconds: number;
  who: string;
}

/** Known idle timeouts of common middleboxes (defaults). */
const KNOWN: readonly KnownTimeout[] = [
  { seconds: 240, who: 'Azure Load Balancer (default idle timeout 4 min)' },
  { seconds: 350, who: 'AWS Network Load Balancer (TCP idle timeout 350 s) or AWS NAT gateway (350 s)' },
  { seconds: 1200, who: 'GCP Cloud NAT (established TCP idle timeout 1200 s)' },
  { seconds: 86400, who: 'a node\'s conntrack as kube-proxy sets it (nf_conntrack_tcp_timeout_established = 86400 s, conntrack.tcpEstablishedTimeout 24h)' },
  { seconds: 432000, who: 'a node\'s conntrack at the kernel default (nf_conntrack_tcp_timeout_established = 432000 s, 5 days)' },
];

export interface IdleReset {
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
  /** Why the reset is taken for a middlebox's rather than its purported sender's, or null. */
  middlebox: string | null;
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
function betrayal(c: Connection, rst: ConnEvent): string[] {
  const out: string[] = [];
  const sender = rst.dir === 0 ? c.orig.addr : c.resp.addr;
  const own = c.events.filter((e) => e.dir === rst.dir && !isRst(e) && e.icmpType < 0);
  if (own.length >= 2) {
    let lo = 256;
    let hi = -1;
    for (const e of own) {
      lo = Math.min(lo, e.ttl);
      hi = Math.max(hi, e.ttl);
    }
    // Every other packet of the sender came with one TTL (or two adjacent ones): a RST with
    // another TTL was made at a different distance from the capture point.
    if (hi - lo <= 1 && (rst.ttl < lo || rst.ttl > hi)) {
      const usual = lo === hi ? `${lo}` : `${lo}–${hi}`;
      const hops = rst.ttl > hi ? rst.ttl - hi : lo - rst.ttl;
      out.push(`its TTL is ${rst.ttl} while every other packet from ${sender} arrived with TTL ${usual}: it was made ${hops} hop${hops === 1 ? '' : 's'} ${rst.ttl > hi ? 'closer to' : 'farther from'} the capture point than ${sender}'s packets`);
    }
  }
  if (c.natRole === 'original' && c.natPeer !== null && !hasTwin(c, rst)) {
    out.push(`it appears only on the client side of the NAT (no copy of it in the translated connection ${c.natPeer.orig.text} → ${c.natPeer.resp.text}): the NAT node itself made it`);
  }
  return out;
}

/** The idle-then-reset pattern on one connection, or undefined. Shared with injected-reset (which leaves these alone). */
export function idleResetOf(c: Connection): IdleReset | undefined {
  if (!c.established || c.maxIdle < IDLE_SHORT || c.maxIdleFrame <= 0) return undefined;
  if (c.natRole === 'translated' && c.natPeer !== null) return undefined;
  const k = c.events.findIndex((e) => e.frame === c.maxIdleFrame);
  if (k < 0) return undefined;
  const after = c.events[k]!;
  if (after.icmpType >= 0) return undefined;
  // The event before it is the last packet before the silence unless the event cap dropped packets in between.
  const prevEv = k > 0 ? c.events[k - 1] : undefined;
  const before = prevEv !== undefined && Math.abs(after.t - prevEv.t - c.maxIdle) < 1e-3 ? prevEv : undefined;
  let match: Omit<IdleReset, 'middlebox' | 'natNode'> | undefined;
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
    if (first !== undefined && isRst(first) && first.t - after.t <= ANSWER_WITHIN) {
      match = { conn: c, idle: c.maxIdle, before, after, rsts: [first], pattern: 'next-segment' };
    }
  }
  if (match === undefined) return undefined;
  const reasons = match.pattern === 'both-ways'
    ? ['a RST reached each side at the same moment, right at the end of the idle period: no endpoint resets both ends of its own connection']
    : betrayal(c, match.rsts[0]!);
  const middlebox = reasons.length > 0 ? reasons.join('; and ') : null;
  const natNode = reasons.some((r) => r.includes('the NAT node itself'));
  // Below a minute, an endpoint that lost the connection (stale-connection) is as likely as a timeout:
  // only a reset that betrays a middlebox is taken.
  if (match.idle < IDLE_LONG && middlebox === null) return undefined;
  return { ...match, middlebox, natNode };
}

function culprit(idle: number, exact: boolean, natNode: boolean): string {
  const near = KNOWN.find((k) => idle >= k.seconds * 0.98 && idle <= k.seconds * 1.1 + 30);
  if (near !== undefined) {
    return `${fmt(idle)} s matches the ${near.seconds} s idle timeout of ${near.who}.`;
  }
  const below = KNOWN.filter((k) => k.seconds <= idle);
  if (below.length === 0) {
    return `Idle ${fmt(idle)} s is shorter than any cloud default (Azure Load Balancer 240 s, AWS NLB / NAT gateway 350 s, GCP Cloud NAT 1200 s): a conntrack or middlebox timeout configured that low (${exact ? '' : `at most ${fmt(idle)} s: `}${natNode ? 'the conntrack of the NAT node this capture was taken on — check sysctl net.netfilter.nf_conntrack_tcp_timeout_established there — ' : 'a node\'s nf_conntrack_tcp_timeout_established tuned down, '}or a firewall, load balancer or proxy idle timeout).`;
  }
  return `The timeout is at most ${fmt(idle)} s (the idle period${exact ? '' : ' includes the time after the entry expired until the next segment'}); known defaults at or below it: ${below.map((k) => `${k.seconds} s ${k.who}`).join('; ')}.`;
}

/** An established connection idle for a long time, then reset: a load balancer, NAT or conntrack entry timed out. */
export const idleTimeout: Rule = {
  meta: {
    id: 'idle-timeout',
    severity: 'error',
    title: 'A connection idle for a long time was reset: a middlebox forgot it',
    description: 'A long idle period, then a reset: a load balancer, NAT or conntrack entry timed out.',
    docs: 'docs/rules/idle-timeout.md',
    messages: {},
    yieldsTo: ['unreversed-nat-midstream'],
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (const c of ctx.connections) {
      if (ctx.isClaimed(c)) continue;
      const m = idleResetOf(c);
      if (m === undefined) continue;
      ctx.claim(c);
      if (c.natPeer !== null) ctx.claim(c.natPeer);
      const rst = m.rsts[0]!;
      const claimed = rst.dir === 0 ? c.orig : c.resp;
      const resetBy = m.middlebox !== null ? 'middlebox' as const : rst.dir === 0 ? 'client' as const : 'server' as const;
      const trigger = m.pattern === 'next-segment' ? (m.after.dir === 0 ? c.orig : c.resp) : null;
      const evidence = [];
      if (m.before) evidence.push(evidenceOf(c, m.before, 'last packet before the idle period'));
      if (m.pattern === 'next-segment') evidence.push(evidenceOf(c, m.after, `first segment after ${fmt(m.idle)} s idle`));
      for (const r of m.rsts) {
        evidence.push(evidenceOf(c, r, m.middlebox !== null ? `RST in ${(r.dir === 0 ? c.orig : c.resp).addr}'s name, made by a middlebox` : 'RST after the idle period'));
      }
      sortEvidence(evidence);
      const backend = c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null;
      const how = m.pattern === 'next-segment'
        ? `After ${fmt(m.idle)} s without a single packet (${m.before ? `frame ${m.before.frame} → ` : 'until '}frame ${m.after.frame}), ${trigger!.text} sent a segment (frame ${m.after.frame}) and was answered with RST from ${claimed.text} (frame ${rst.frame}).`
        : `After ${fmt(m.idle)} s without a single packet, both ends were reset at once (frames ${m.rsts.map((r) => r.frame).join(', ')}).`;
      const who = m.middlebox !== null
        ? ` The RST was not sent by ${claimed.addr}: ${m.middlebox}. A stateful middlebox (load balancer, NAT gateway, conntrack) dropped the idle connection from its table and resets the flow it no longer knows.`
        : ` The RST claims to come from ${claimed.addr}; after an idle period this long the likely cause is a middlebox on the path that forgot the connection and answers (or lets the segment reach a host) with a reset — less likely, ${claimed.addr} itself restarted during the silence.`;
      const keepalive = Math.max(10, Math.floor(Math.min(m.idle, 7200) * 0.5));
      out.push({
        rule: 'idle-timeout',
        severity: 'error',
        confidence: m.middlebox !== null ? 0.9 : m.idle >= 300 ? 0.8 : 0.7,
        client: c.orig.text,
        server: c.resp.text,
        backend,
        resetBy,
        resetSender: claimed.addr,
        count: 1,
        summary: `${c.orig.text} → ${c.resp.text}: reset after ${fmt(m.idle)} s idle — an idle timeout ${m.middlebox !== null ? 'in a middlebox' : 'on the path'}`,
        explanation: `${how}${who} ${culprit(m.idle, m.pattern === 'both-ways', m.natNode)}`,
        remediation: [
          `Keep the connection from going idle that long: enable TCP keepalive (SO_KEEPALIVE) with a first probe well below the timeout, e.g. sysctl -w net.ipv4.tcp_keepalive_time=${keepalive} net.ipv4.tcp_keepalive_intvl=15 (per socket: TCP_KEEPIDLE), or send application-level pings (HTTP/2 PING, gRPC keepalive, database pool validation).`,
          'Or raise the middlebox timeout: AWS NLB TCP idle timeout attribute (60–6000 s), Azure Load Balancer idle timeout (up to 100 min, and enable "TCP reset on idle"), gcloud compute routers nats update --tcp-established-idle-timeout, sysctl net.netfilter.nf_conntrack_tcp_timeout_established on the node.',
          'Clients should treat a reset on a pooled connection that sat idle as retryable, and expire pooled connections before the middlebox does.',
        ],
        evidence,
        connections: c.natPeer !== null ? [c, c.natPeer] : [c],
      });
    }
    return out;
  },
};
