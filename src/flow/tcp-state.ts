import { TcpFlag, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import type { Dir } from './types.js';
import { seqDiff } from '../tcp/seq.js';
import type { ConnectionRecord } from './connection.js';
import { ConnFlag, type ConnSlots } from './slots.js';
import { DirFlag } from './dir-layout.js';
import type { DirSlots } from './dir-slots.js';
import type { CopyWindow } from './copies.js';
import type { HistoryLetters } from './history.js';
import type { EvidenceBuffer } from './evidence.js';
import type { HandshakeHook } from './options.js';
import { advanceEndpoints, mayChangeEndpoint } from './endpoint-state.js';
import type { ResetIpIds } from './reset-ipids.js';

/** In synSeen's result: the SYN was a retransmission (above every DirFlag). */
const SYN_RETRANSMIT = 1 << 30;

/**
 * TCP state: what one packet of a held connection changes — sequence and handshake state,
 * retransmissions, copies, history letters and evidence — in the table's parts.
 */
export class TcpState {
  /**
   * The current packet's capture time, seconds, set by the table. A field, not an argument: a
   * double passed to a method that is not inlined is boxed (allocated) at each call.
   */
  now = 0.5;
  /** RST packets seen (copies excluded). */
  resets = 0;

  constructor(private readonly conns: ConnSlots, private readonly dirs: DirSlots, private readonly copies: CopyWindow,
    private readonly history: HistoryLetters, private readonly evidence: EvidenceBuffer,
    private readonly handles: (ConnectionRecord | undefined)[], private readonly onHandshake: HandshakeHook | undefined,
    private readonly resetIpIds: ResetIpIds) {}

  /** One TCP packet of the connection in `slot`, sent in direction `dir`: its state, history and evidence. */
  update(slot: number, dir: Dir, p: Packet, frame: Frame): void {
    const copyAt = this.copies.find(slot, dir, p);
    if (copyAt >= 0) {
      this.countCopy(slot, dir, copyAt, frame);
      return;
    }
    const t = this.now;
    const c = this.conns;
    const d = this.dirs;
    const i = d.at(slot, dir);
    const flags = p.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackf = (flags & TcpFlag.ACK) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const len = p.payloadLength;
    let cbits = c.bits(slot);
    let dbits = d.bits(i);

    // Idle gap (after establishment): the silence before this packet.
    const lastT = c.lastT(slot);
    if ((cbits & ConnFlag.Established) !== 0 && lastT > 0 && t - lastT > c.maxIdle(slot)) c.setMaxIdle(slot, t - lastT, frame.frameNumber);

    let retransmit = false;
    const nextSeqValid = (dbits & DirFlag.NextSeqValid) !== 0;
    if (syn) {
      // Kept out of line: most packets are not SYNs, and this method's size decides what V8 inlines.
      const r = this.synSeen(slot, dir, p, frame, dbits);
      retransmit = (r & SYN_RETRANSMIT) !== 0;
      dbits = r & ~SYN_RETRANSMIT;
      cbits = c.bits(slot);
    } else if (len > 0 && nextSeqValid && seqDiff(p.seq + len, d.nextSeq(i)) <= 0) {
      retransmit = true;
      d.countRetransmit(i);
    } else if (fin && (dbits & DirFlag.FinSeen) !== 0 && nextSeqValid && seqDiff(p.seq + 1, d.nextSeq(i)) <= 0) {
      retransmit = true;
      d.countRetransmit(i);
    }

    const end = (p.seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (!rst && (!nextSeqValid || seqDiff(end, d.nextSeq(i)) > 0)) {
      d.setNextSeq(i, end);
      dbits |= DirFlag.NextSeqValid;
    }
    if (ackf) {
      d.setLastAck(i, p.ack);
      dbits |= DirFlag.LastAckValid;
    }
    if (fin) dbits |= DirFlag.FinSeen;
    if (rst) {
      dbits |= DirFlag.RstSeen;
      this.resets++;
      if (p.ipVersion === 4 && p.ipId > 0) this.resetIpId(slot, dir, p.ipId, frame.frameNumber);
    }
    d.setBits(i, dbits);
    if (mayChangeEndpoint(dbits, flags)) advanceEndpoints(d, slot, dir, flags, len);
    d.countPacket(slot, dir, len, p.ipLength, this, len > 0 || syn || fin);
    d.widenTtl(i, p.ttl);

    // Handshake completion: the originator acks the responder's ISN + 1.
    if ((cbits & ConnFlag.Established) === 0 && dir === 0 && ackf && !syn && !rst && this.completes(slot, p.ack)) {
      cbits |= ConnFlag.Established;
      c.setEstablishedT(slot, t);
    }
    c.setBits(slot, cbits);
    this.history.addPacket(slot, dir, flags, len, retransmit);
    c.setLastPacket(slot, t, frame);

    // Packets after a RST are evidence too (data continuing after a forged RST, segments answered
    // by a "no such connection" RST), however long the connection was before it; so are
    // retransmissions (the backoff of a peer that stopped answering, segments too large to pass).
    this.keep(slot, dir, p, frame, retransmit, syn || rst || fin || retransmit || (d.eitherBits(slot) & DirFlag.RstSeen) !== 0);
  }

  /**
   * The packet as evidence (if the bounds allow) and in the copy window. Out of line: V8 gives each
   * function its own inlining budget, and update's is spent on the connection's state.
   */
  private keep(slot: number, dir: Dir, p: Packet, frame: Frame, retransmit: boolean, notable: boolean): void {
    this.copies.remember(slot, dir, p, this.evidence.add(slot, frame, dir, p, retransmit, notable));
  }

  /** A RST's IPv4 ID, to the capture-wide runs (out of line: RSTs are few). */
  private resetIpId(slot: number, dir: Dir, ipId: number, frame: number): void {
    this.resetIpIds.observe(slot, dir, this.conns.addrWord(slot, dir === 0), ipId, this.now, frame);
  }

  /** The originator's ACK of `ack` completes the handshake: the responder sent a SYN-ACK with ISN ack - 1. */
  private completes(slot: number, ack: number): boolean {
    const d = this.dirs;
    const r = d.at(slot, 1);
    const rbits = d.bits(r);
    return (rbits & DirFlag.SynSeen) !== 0 && (rbits & DirFlag.SynAckSeen) !== 0 && ack === ((d.isn(r) + 1) >>> 0);
  }

  /** The packet is a copy of ring entry `copyAt` (seen on another interface): counted once, its frame noted. */
  private countCopy(slot: number, dir: Dir, copyAt: number, frame: Frame): void {
    this.dirs.countDuplicate(this.dirs.at(slot, dir));
    this.evidence.addCopy(slot, this.copies.eventAt(copyAt), frame.frameNumber);
    this.conns.setLastFrame(slot, frame.frameNumber);
  }

  /**
   * A SYN or SYN-ACK sent in direction dir, whose bits are `dbits`: records a first one (and tells
   * the handshake hook), counts a retransmitted one. Returns the direction's new bits, with
   * SYN_RETRANSMIT set for a retransmission; leaves the connection's bits stored.
   */
  private synSeen(slot: number, dir: Dir, p: Packet, frame: Frame, dbits: number): number {
    const c = this.conns;
    const d = this.dirs;
    const i = d.at(slot, dir);
    const ackf = (p.flags & TcpFlag.ACK) !== 0;
    let retransmit = false;
    let cbits = c.bits(slot);
    if ((dbits & DirFlag.SynSeen) !== 0 && d.isn(i) === p.seq) {
      // A duplicated frame waited no timeout: counting it as a retransmitted SYN would invent a
      // retry (syn-timeout, syn-retry-delay) where the stack sent one SYN.
      if (this.copies.duplicateFrame(slot, dir, p)) {
        d.countDuplicate(i);
      } else {
        retransmit = true;
        d.countSynRetransmit(i);
        d.countRetransmit(i);
      }
    } else if ((dbits & DirFlag.SynSeen) === 0) {
      dbits |= DirFlag.SynSeen;
      d.setIsn(i, p.seq);
      if (p.hasTimestamps) dbits |= DirFlag.SynHasTs;
      d.setSynTsVal(i, p.tsVal);
      d.setSynFrame(i, frame.frameNumber);
      if (ackf) {
        dbits |= DirFlag.SynAckSeen;
        d.setSynAckAck(i, p.ack);
        if (p.hasTimestamps) {
          dbits |= DirFlag.SynAckHasTs;
          d.setSynAckTsEcr(i, p.tsEcr);
        }
      }
    }
    // The hook reads the table (the SYN's ISN): store this direction's state first.
    d.setBits(i, dbits);
    // A retransmitted SYN too: when the first was lost before NAT, the translated half begins with it.
    if ((!retransmit || !ackf) && this.onHandshake !== undefined) {
      this.onHandshake(slot, dir, p, this.now, frame.frameNumber);
      // The hook may have marked the slot (a NAT link).
      cbits = c.bits(slot);
    }
    if ((cbits & ConnFlag.OriginKnown) === 0 && !ackf && dir === 0) {
      cbits |= ConnFlag.OriginKnown;
      const h = this.handles[slot];
      if (h !== undefined) h.originKnown = true;
    }
    c.setBits(slot, cbits);
    return retransmit ? dbits | SYN_RETRANSMIT : dbits;
  }
}
