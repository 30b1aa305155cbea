import ipaddr from 'ipaddr.js';
import { TcpFlag } from '../decode/packet.js';
import type { Connection, ConnEvent, Dir, IpIdRun } from '../flow/types.js';
import { ADDRS as RUN_ADDRS, MAX_STEP as IPID_MAX_STEP } from '../flow/reset-ipids.js';
import type { EvidencePacket } from './types.js';
import { copyKinds, synsOf } from './tcp.js';

const ICMP4: Record<number, Record<number, string> | string> = {
  3: { 0: 'net-unreachable', 1: 'host-unreachable', 2: 'protocol-unreachable', 3: 'port-unreachable', 4: 'frag-needed',
    9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited' },
  11: 'time-exceeded',
};
const ICMP6: Record<number, Record<number, string> | string> = {
  1: { 0: 'no-route', 1: 'admin-prohibited', 3: 'address-unreachable', 4: 'port-unreachable', 5: 'policy-failed', 6: 'reject-route' },
  2: 'packet-too-big',
  3: 'time-exceeded',
};

export function icmpName(version: 4 | 6, type: number, code: number): string {
  const t = (version === 6 ? ICMP6 : ICMP4)[type];
  if (t === undefined) return `type ${type} code ${code}`;
  if (typeof t === 'string') return t;
  return t[code] ?? `unreachable code ${code}`;
}

/** flagText by flag byte, made on first use (every evidence row has a label). */
const FLAG_TEXT: (string | undefined)[] = [];

export function flagText(flags: number): string {
  if (flags >= 0 && flags < 256) return FLAG_TEXT[flags] ??= spellFlags(flags);
  return spellFlags(flags);
}

function spellFlags(flags: number): string {
  const parts: string[] = [];
  if (flags & TcpFlag.SYN) parts.push('SYN');
  if (flags & TcpFlag.FIN) parts.push('FIN');
  if (flags & TcpFlag.RST) parts.push('RST');
  if (flags & TcpFlag.PSH) parts.push('PSH');
  if (flags & TcpFlag.ACK) parts.push('ACK');
  if (flags & TcpFlag.URG) parts.push('URG');
  return parts.join(',') || 'none';
}

/** An IP ID as rules quote it: 0x and four hex digits. */
export function hex4(ipId: number): string {
  return `0x${ipId.toString(16).padStart(4, '0')}`;
}

/**
 * The run of one IPv4 ID counter that the connection's RST from `dir` is on, with RSTs of other
 * source addresses (capture-wide: src/flow/reset-ipids.ts): one stack sent them all in several
 * addresses' name, so the RST is not shown to be its named sender's own. Null when not so.
 */
export function sharedCounterRun(c: Connection, dir: Dir): IpIdRun | null {
  return c.rstIpIdRun?.dir === dir ? c.rstIpIdRun : null;
}

/** The facts of a shared-counter run, as message data (the `run*` placeholders of SHARED_COUNTER_FACTS). */
export function sharedCounterData(run: IpIdRun): Record<string, string | number> {
  return {
    runRsts: run.rsts, runAddrs: run.addrs >= RUN_ADDRS ? `${RUN_ADDRS} or more` : run.addrs, runFirstFrame: run.firstFrame, runLastFrame: run.lastFrame,
    runFirstIpId: hex4(run.firstIpId), runLastIpId: hex4(run.lastIpId), runMaxStep: IPID_MAX_STEP,
  };
}

/** What a shared-counter run shows, for a message's explanation (data from sharedCounterData). */
export const SHARED_COUNTER_FACTS = ' {{runRsts}} RSTs from {{runAddrs}} different addresses, frames {{runFirstFrame|frame}} to {{runLastFrame|frame}}, carry IP IDs {{runFirstIpId}} to {{runLastIpId}}, each at most {{runMaxStep}} above the one before: one IP ID counter, so one stack sent them all. Separate hosts count their IP IDs apart (or send 0).';

function rel(value: number, isn: number): number | null {
  if (isn < 0) return null;
  return (value - isn) >>> 0;
}

/** One evidence row from a connection event. */
export function evidenceOf(conn: Connection, ev: ConnEvent, note = ''): EvidencePacket {
  const from = ev.dir === 0 ? conn.orig.text : conn.resp.text;
  const to = ev.dir === 0 ? conn.resp.text : conn.orig.text;
  if (ev.icmpType >= 0) {
    return {
      frame: ev.frame, sec: ev.sec, nsec: ev.nsec, from: ev.icmpSender ?? from, to: conn.orig.addr,
      label: `ICMP ${icmpName(conn.orig.version, ev.icmpType, ev.icmpCode)}`, relSeq: null, relAck: null, len: 0,
      note: note || `about ${conn.orig.text} → ${conn.resp.text}`, copies: ev.copies ?? [],
    };
  }
  const own = conn.dirs[ev.dir].isn;
  const peer = conn.dirs[ev.dir === 0 ? 1 : 0].isn;
  const ackRel = (ev.flags & TcpFlag.ACK) ? (peer >= 0 ? rel(ev.ack, peer) : null) : null;
  return {
    frame: ev.frame, sec: ev.sec, nsec: ev.nsec, from, to, label: flagText(ev.flags),
    relSeq: rel(ev.seq, own), relAck: ackRel, len: ev.len,
    note: note || (ev.retransmit ? 'retransmission' : ''), copies: ev.copies ?? [],
  };
}

/**
 * Evidence notes for a connection's SYN copies after the first (each side's SYNs with its ISN; see
 * copyKinds): `resent` for one its retransmission timer sent, and for any other what it is — never
 * "retransmission". The first SYN has no entry (the rule labels it).
 */
export function synCopyNotes(c: Connection, resent: string): Map<ConnEvent, string> {
  const notes = new Map<ConnEvent, string>();
  for (const dir of [0, 1] as const) {
    if (!c.dirs[dir].synSeen) continue;
    const copies = synsOf(c, dir);
    const kinds = copyKinds(copies);
    let last = copies[0];
    copies.forEach((e, i) => {
      const kind = kinds[i]!;
      if (kind === 'first') return;
      if (kind === 'timer') notes.set(e, resent);
      else if (kind === 'tooSoon') notes.set(e, `the same SYN again ${((e.t - last!.t) * 1000).toFixed(1)} ms later: too soon for a retransmission timer, not counted as a retransmission`);
      else if (kind === 'otherData') notes.set(e, 'the same SYN with other data: not a retransmission');
      else notes.set(e, 'repeats an earlier copy\'s IP ID and TCP timestamp: a replay or duplicate, not a retransmission');
      if (kind === 'timer') last = e;
    });
  }
  return notes;
}

/** Evidence rows relative to another connection's ISNs (a NAT half shown in its original's terms). */
export function evidenceAcross(conn: Connection, ev: ConnEvent, isnOf: { client: number; server: number }, note: string): EvidencePacket {
  const row = evidenceOf(conn, ev, note);
  const clientSent = ev.dir === 0;
  const own = clientSent ? isnOf.client : isnOf.server;
  const peer = clientSent ? isnOf.server : isnOf.client;
  // A SYN starts its own sequence space (a fresh SYN-ACK per retransmitted SYN has a new ISN).
  row.relSeq = (ev.flags & TcpFlag.SYN) ? 0 : own >= 0 ? rel(ev.seq, own) : row.relSeq;
  row.relAck = (ev.flags & TcpFlag.ACK) && peer >= 0 ? rel(ev.ack, peer) : row.relAck;
  return row;
}

export function sortEvidence(rows: EvidencePacket[]): EvidencePacket[] {
  return rows.sort((a, b) => a.frame - b.frame);
}

/** Items grouped by a key, groups in order of first appearance. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): T[][] {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return [...m.values()];
}

/** A connection with its other NAT half, when linked: what a finding covers and claims. */
export function withNatPeer(c: Connection): Connection[] {
  return c.natPeer !== null ? [c, c.natPeer] : [c];
}

/** The DNAT'd half of a connection, when the capture linked one. */
export function translatedPeer(c: Connection): Connection | null {
  return c.natRole === 'original' ? c.natPeer : null;
}

/**
 * Looks like a Kubernetes Service address: seen DNAT'd, inside a --service-cidr, or (without
 * hints) in kubeadm's default Service range 10.96.0.0/12.
 */
export function looksLikeService(c: Connection, isServiceAddress?: (addr: string) => boolean | null): boolean {
  if (c.natRole === 'original') return true;
  const hinted = isServiceAddress?.(c.resp.addr) ?? null;
  if (hinted !== null) return hinted;
  const p = c.resp.addr.split('.').map(Number);
  return p.length === 4 && p[0] === 10 && p[1]! >= 96 && p[1]! <= 111;
}

/** Address ranges a host reaches the Internet from only through a NAT (or NAT66 / NPTv6). */
const NAT_SIDE = new Set(['private', 'carrierGradeNat', 'linkLocal', 'uniqueLocal']);

/**
 * `client` is a private address (RFC 1918, shared CGN space, link-local, ULA) and `server` a public
 * one: packets between them cross at least one router, the NAT, and a capture that shows the
 * private address is on the client's side of it.
 */
export function acrossNat(client: string, server: string): boolean {
  if (!ipaddr.isValid(client) || !ipaddr.isValid(server)) return false;
  const c = ipaddr.process(client);
  const s = ipaddr.process(server);
  return c.kind() === s.kind() && NAT_SIDE.has(c.range()) && s.range() === 'unicast';
}
