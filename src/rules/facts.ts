/**
 * What a connection's own fields say at once, as bits: the engine reads them once per connection
 * and hands each rule only the connections its `meta.appliesTo` admits (ctx.candidates). Read
 * from fields alone, never from the events (a record's events are made into objects on first read).
 */
import type { Connection } from '../flow/types.js';
import { IDLE_SHORT } from './tcp.js';

export const enum Fact {
  /** The originator sent a RST. */
  RstOrig = 1 << 0,
  RstResp = 1 << 1,
  /** Either side sent a RST. */
  Rst = RstOrig | RstResp,
  /** The originator sent a SYN (its ISN is known). */
  SynOrig = 1 << 2,
  /** The responder sent a SYN (its SYN-ACK). */
  SynResp = 1 << 3,
  SynAckResp = 1 << 4,
  Established = 1 << 5,
  /** The originator sent its SYN again. */
  SynRetriedOrig = 1 << 6,
  /** The responder sent its SYN-ACK again. */
  SynRetriedResp = 1 << 7,
  /** Either side retransmitted data (or a FIN). */
  Retransmitted = 1 << 8,
  /** Not one packet from the responder. */
  RespSilent = 1 << 9,
  /** An ICMP error about the connection, either way. */
  Icmp = 1 << 10,
  /** Silent at least IDLE_SHORT seconds after it was established. */
  Idle = 1 << 11,
  NatOriginal = 1 << 12,
  NatTranslated = 1 << 13,
  /** The other NAT half is linked (natPeer). */
  Linked = 1 << 14,
}

/** How many bits Fact uses: a connection's and its NAT peer's facts fit one number side by side. */
export const FACT_BITS = 15;

/**
 * Facts a connection must show for a rule to fire on it: every bit of `all`, at least one of
 * `any` (when given), none of `none`; with `peer`, its linked NAT half must pass that test too.
 */
export interface FactTest {
  all?: number;
  any?: number;
  none?: number;
  peer?: FactTest;
}

/** The facts of one connection (not of its NAT peer). */
export function factsOf(c: Connection): number {
  const o = c.dirs[0];
  const r = c.dirs[1];
  let f = 0;
  if (o.rstSeen) f |= Fact.RstOrig;
  if (r.rstSeen) f |= Fact.RstResp;
  if (o.synSeen) f |= Fact.SynOrig;
  if (r.synSeen) f |= Fact.SynResp;
  if (r.synAckSeen) f |= Fact.SynAckResp;
  if (c.established) f |= Fact.Established;
  if (o.synRetransmits > 0) f |= Fact.SynRetriedOrig;
  if (r.synRetransmits > 0) f |= Fact.SynRetriedResp;
  if (o.retransmits > 0 || r.retransmits > 0) f |= Fact.Retransmitted;
  if (r.packets === 0) f |= Fact.RespSilent;
  // Each ICMP error event is recorded in the history ('u' / 'U').
  if (c.history.includes('u') || c.history.includes('U')) f |= Fact.Icmp;
  if (!(c.maxIdle < IDLE_SHORT)) f |= Fact.Idle;
  if (c.natRole === 'original') f |= Fact.NatOriginal;
  else if (c.natRole === 'translated') f |= Fact.NatTranslated;
  if (c.natPeer !== null) f |= Fact.Linked;
  return f;
}

function passes(t: FactTest, own: number, peer: number): boolean {
  const all = t.all ?? 0;
  if ((own & all) !== all || (t.any !== undefined && (own & t.any) === 0) || (own & (t.none ?? 0)) !== 0) return false;
  return t.peer === undefined || ((own & Fact.Linked) !== 0 && passes(t.peer, peer, 0));
}

/** Some test admits a connection with these facts (and its NAT peer's: 0 when none). */
export function admits(tests: readonly FactTest[], own: number, peer: number): boolean {
  return tests.some((t) => passes(t, own, peer));
}
