import { TcpFlag } from '../decode/packet.js';
import type { Dir } from './types.js';
import { ConnFlag, PartWord, type ConnSlots } from './slots.js';

/**
 * History letters (Zeek's conn.log history), upper case from the originator: s SYN, h SYN-ACK,
 * a pure ACK, d data, f FIN, r RST, t retransmitted data, and '^' first when the roles were
 * flipped (a SYN-ACK seen first). rstdiag's own: u an ICMP error about the connection. Unlike
 * Zeek, each letter is recorded once per direction (Zeek repeats f h r s for new sequence numbers
 * and counts t logarithmically), and Zeek's c g i q w x are not kept.
 */
const HISTORY_LETTERS = 'shadfrtu';
const HISTORY_UPPER = HISTORY_LETTERS.toUpperCase();

/** Indexes into HISTORY_LETTERS. */
export const enum HistoryLetter {
  Syn = 0,
  SynAck,
  Ack,
  Data,
  Fin,
  Rst,
  Retransmit,
  IcmpError,
}

/** History bits of an ICMP error either way ('u' / 'U'). */
const ICMP_BITS = (1 << HistoryLetter.IcmpError) | (1 << (HistoryLetter.IcmpError + 8));

/**
 * Per slot, the history's letters in order of first occurrence, in the connection's row
 * (PartWord.History*). Each (letter, direction) enters once, so at most 16 letters.
 */
export class HistoryLetters {
  constructor(private readonly conns: ConnSlots) {}

  add(slot: number, dir: Dir, letter: HistoryLetter): void {
    const c = this.conns;
    const k = letter + (dir === 0 ? 0 : 8);
    const bit = 1 << k;
    const seen = c.word(slot, PartWord.HistorySeen);
    if ((seen & bit) !== 0) return;
    c.setWord(slot, PartWord.HistorySeen, seen | bit);
    const n = c.word(slot, PartWord.HistoryLength);
    const w = n < 8 ? PartWord.HistoryLo : PartWord.HistoryHi;
    c.setWord(slot, w, (c.word(slot, w) | (k << ((n & 7) * 4))) >>> 0);
    c.setWord(slot, PartWord.HistoryLength, n + 1);
  }

  /**
   * A TCP packet's letters (Zeek): s h a d f r t, each on its first occurrence per direction.
   * Most packets bring none new: one look at the seen bits, small enough for V8 to inline.
   */
  addPacket(slot: number, dir: Dir, flags: number, len: number, retransmit: boolean): void {
    const letters = PACKET_LETTERS[(flags & LETTER_FLAGS) | (len > 0 ? (retransmit ? DATA_KEY | RETRANSMIT_KEY : DATA_KEY) : 0)]!;
    const bits = letters << (dir === 0 ? 0 : 8);
    if ((this.conns.word(slot, PartWord.HistorySeen) & bits) !== bits) this.addLetters(slot, dir, letters);
  }

  /** Each letter of the `letters` bits, in Zeek's order (add skips those already seen). */
  private addLetters(slot: number, dir: Dir, letters: number): void {
    if ((letters & (1 << HistoryLetter.Syn)) !== 0) this.add(slot, dir, HistoryLetter.Syn);
    if ((letters & (1 << HistoryLetter.SynAck)) !== 0) this.add(slot, dir, HistoryLetter.SynAck);
    if ((letters & (1 << HistoryLetter.Rst)) !== 0) this.add(slot, dir, HistoryLetter.Rst);
    if ((letters & (1 << HistoryLetter.Fin)) !== 0) this.add(slot, dir, HistoryLetter.Fin);
    if ((letters & (1 << HistoryLetter.Data)) !== 0) this.add(slot, dir, HistoryLetter.Data);
    if ((letters & (1 << HistoryLetter.Ack)) !== 0) this.add(slot, dir, HistoryLetter.Ack);
    if ((letters & (1 << HistoryLetter.Retransmit)) !== 0) this.add(slot, dir, HistoryLetter.Retransmit);
  }

  /** An ICMP error was tied to the connection (either way). */
  hasIcmpError(slot: number): boolean {
    return (this.conns.word(slot, PartWord.HistorySeen) & ICMP_BITS) !== 0;
  }

  /** The Zeek-style history string ('^' first when the roles were flipped from the first packet's). */
  text(slot: number): string {
    const n = this.conns.word(slot, PartWord.HistoryLength);
    let out = (this.conns.bits(slot) & ConnFlag.Flipped) !== 0 ? '^' : '';
    for (let i = 0; i < n; i++) {
      const word = this.conns.word(slot, i < 8 ? PartWord.HistoryLo : PartWord.HistoryHi);
      const k = (word >>> ((i & 7) * 4)) & 15;
      out += k < 8 ? HISTORY_UPPER[k]! : HISTORY_LETTERS[k - 8]!;
    }
    return out;
  }
}

/** The flags that decide a packet's letters, and two bits above them: payload, retransmitted payload. */
const LETTER_FLAGS = TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST | TcpFlag.FIN;
const DATA_KEY = 1 << 5;
const RETRANSMIT_KEY = 1 << 6;

/** packetLetters of every (flags, payload, retransmitted) key: one load a packet instead of the tests. */
const PACKET_LETTERS = new Uint8Array(RETRANSMIT_KEY * 2);
for (let key = 0; key < PACKET_LETTERS.length; key++) {
  PACKET_LETTERS[key] = packetLetters(key & LETTER_FLAGS, (key & DATA_KEY) !== 0 ? 1 : 0, (key & RETRANSMIT_KEY) !== 0);
}

/** A TCP packet's history letters, one bit each (1 << HistoryLetter). */
function packetLetters(flags: number, len: number, retransmit: boolean): number {
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  const rst = (flags & TcpFlag.RST) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0;
  let letters = 0;
  if (syn) letters |= 1 << (ack ? HistoryLetter.SynAck : HistoryLetter.Syn);
  if (rst) letters |= 1 << HistoryLetter.Rst;
  if (fin) letters |= 1 << HistoryLetter.Fin;
  if (len > 0) letters |= 1 << HistoryLetter.Data;
  else if (ack && !syn && !fin && !rst) letters |= 1 << HistoryLetter.Ack;
  if (retransmit && len > 0) letters |= 1 << HistoryLetter.Retransmit;
  return letters;
}
