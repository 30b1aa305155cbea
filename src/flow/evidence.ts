import { TcpFlag, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import type { Dir } from './types.js';
import { EventLog, TAIL_ID } from './events.js';
import { PacketEvent, writePacketEvent } from './event-schema.js';
import { COPY_WINDOW } from './copies.js';
import { InlineArea, PartWord, Row, type ConnSlots } from './slots.js';
import { BlockPool, resizedU32 } from './block-pool.js';

/**
 * Evidence kept per connection: the first MAX_ROUTINE_EVENTS packets, then the notable ones
 * (SYN/RST/FIN/ICMP, retransmissions, anything after a RST) up to MAX_EVENTS; past that the latest
 * TAIL_EVENTS packets, rolling, where the connection's ending is kept too: its first reset and each
 * side's first FIN, when none was kept yet, each with the TAIL_EVENTS - 1 packets before it (at most
 * MAX_EVENTS + 4 × TAIL_EVENTS events). A long connection that ends with a reset keeps that reset
 * and what led to it, however many packets filled the bound before: the summary counts every
 * reset, and the rules that explain one read how each side closed.
 */
const MAX_EVENTS = 64;
const MAX_ROUTINE_EVENTS = 24;
const TAIL_EVENTS = 8;
/**
 * Evidence events kept in the buffer's own arrays per connection; past that (or at the first copy
 * or ICMP error) the connection's evidence moves to an EventLog object. Most connections are short.
 */
const INLINE_EVENTS = 12;
/**
 * An event's 32-bit words: its cells, then its seconds as a double (the two words at SEC_WORD,
 * 8-byte aligned), so writing an event touches one place. Its seconds at (o + SEC_WORD) / 2 of
 * the same memory seen as doubles, o its first word.
 */
const SEC_WORD = PacketEvent.Cells + (PacketEvent.Cells % 2);
const EVENT_WORDS = SEC_WORD + 2;
/**
 * Of the inline events, the first HEAD_EVENTS are in the connection's row (a SYN flood's
 * connection has one event); the rest in a block of BLOCK_EVENTS taken at the connection's next event.
 */
const HEAD_EVENTS = 2;
const BLOCK_EVENTS = INLINE_EVENTS - HEAD_EVENTS;
const INITIAL_BLOCKS = 1024;
if (HEAD_EVENTS * EVENT_WORDS !== InlineArea.Events) throw new Error('evidence: the row\'s inline area does not fit HEAD_EVENTS');
const NOTABLE_FLAGS = TcpFlag.SYN | TcpFlag.RST | TcpFlag.FIN;

/**
 * The evidence buffer: per slot, its first INLINE_EVENTS events in cells laid out as
 * src/flow/event-schema.ts says (seconds kept exactly beside them), then an EventLog. Event i < HEAD_EVENTS
 * is in the row's inline area (Row.Events), the others in its block's part of blockCells (blockSecs:
 * the same memory seen as doubles).
 */
export class EvidenceBuffer {
  private blockCells = new Uint32Array(0);
  private blockSecs = new Float64Array(0);
  private readonly blocks = new BlockPool(INITIAL_BLOCKS, (n) => {
    this.blockCells = resizedU32(this.blockCells, n * BLOCK_EVENTS * EVENT_WORDS);
    this.blockSecs = new Float64Array(this.blockCells.buffer);
  });

  /** Its counts and block are in the connections' rows (PartWord.EventCount, EventsDropped, EventBlock). */
  constructor(private readonly conns: ConnSlots) {}

  /** Evidence moved out of the inline arrays (long connections, copies, ICMP errors). */
  private logs: (EventLog | undefined)[] = [];
  /** Per slot with a rolling tail: the Ending kinds among its kept events (the tail freezes at the first of another). */
  private endingKept: (number | undefined)[] = [];

  /** Every block and log dropped (the table starts over). */
  clear(): void {
    this.blocks.clear();
    this.logs = [];
    this.endingKept = [];
  }

  /** The slot is free: its log and block go with it. */
  release(slot: number): void {
    this.logs[slot] = undefined;
    this.endingKept[slot] = undefined;
    this.releaseBlock(slot);
  }

  private releaseBlock(slot: number): void {
    const b = this.conns.word(slot, PartWord.EventBlock);
    if (b === 0) return;
    this.blocks.give(b - 1);
    this.conns.setWord(slot, PartWord.EventBlock, 0);
  }

  /** The slot's block (taken now if it has none). */
  private blockOf(slot: number): number {
    const b = this.conns.word(slot, PartWord.EventBlock);
    return b !== 0 ? b - 1 : this.takeBlock(slot);
  }

  /** Out of line: once per connection at most. */
  private takeBlock(slot: number): number {
    const taken = this.blocks.take();
    this.conns.setWord(slot, PartWord.EventBlock, taken + 1);
    return taken;
  }

  dropped(slot: number): number {
    return this.conns.word(slot, PartWord.EventsDropped);
  }

  length(slot: number): number {
    const log = this.logs[slot];
    return log === undefined ? this.conns.word(slot, PartWord.EventCount) : log.length;
  }

  /** Moves the slot's evidence to an EventLog (kept for the rest of its life); returns it. */
  logOf(slot: number): EventLog {
    let log = this.logs[slot];
    if (log !== undefined) return log;
    const n = this.conns.word(slot, PartWord.EventCount);
    log = new EventLog(n);
    const c = this.conns;
    for (let i = 0, o = slot * Row.Words + Row.Events; i < n && i < HEAD_EVENTS; i++, o += EVENT_WORDS) {
      log.pushCells(c.u, o, c.d[(o + SEC_WORD) >> 1]!);
    }
    if (n > HEAD_EVENTS) {
      const first = (this.blockOf(slot) * BLOCK_EVENTS - HEAD_EVENTS) * EVENT_WORDS;
      for (let i = HEAD_EVENTS, o = first + i * EVENT_WORDS; i < n; i++, o += EVENT_WORDS) {
        log.pushCells(this.blockCells, o, this.blockSecs[(o + SEC_WORD) >> 1]!);
      }
    }
    this.logs[slot] = log;
    this.releaseBlock(slot);
    return log;
  }

  /**
   * Keeps a TCP packet as evidence if the bounds allow: the first MAX_ROUTINE_EVENTS, notable
   * ones up to MAX_EVENTS (meanwhile the latest routine one in the last routine event's place),
   * and past that the rolling tail (see MAX_EVENTS). Returns the event's index or tail id (for
   * addCopy), or -1.
   */
  add(slot: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean, notable: boolean): number {
    // The common case first, small enough to inline: room in the inline buffer (INLINE_EVENTS < MAX_ROUTINE_EVENTS).
    const n = this.conns.word(slot, PartWord.EventCount);
    if (n < INLINE_EVENTS && this.logs[slot] === undefined) {
      let cells = this.conns.u;
      let secs = this.conns.d;
      let o = slot * Row.Words + Row.Events + n * EVENT_WORDS;
      if (n >= HEAD_EVENTS) {
        // The block first: taking one may grow the arrays.
        o = (this.blockOf(slot) * BLOCK_EVENTS + n - HEAD_EVENTS) * EVENT_WORDS;
        cells = this.blockCells;
        secs = this.blockSecs;
      }
      writePacketEvent(cells, o, frame, dir, p, retransmit);
      secs[(o + SEC_WORD) >> 1] = frame.tsSec;
      this.conns.setWord(slot, PartWord.EventCount, n + 1);
      return n;
    }
    return this.addToLog(slot, frame, dir, p, retransmit, notable);
  }

  private addToLog(slot: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean, notable: boolean): number {
    const log = this.logOf(slot);
    const count = log.length;
    if (!log.hasTail) {
      if (count < MAX_ROUTINE_EVENTS || (notable && count < MAX_EVENTS)) return log.pushPacket(frame, dir, p, retransmit);
      if (count < MAX_EVENTS) {
        this.countDropped(slot);
        return this.overwriteRoutine(log, frame, dir, p, retransmit);
      }
      // The first packet past the bound: the rolling tail begins; it keeps the latest routine one too.
      this.endingKept[slot] = endingOf(log);
    }
    if (log.tailFull(TAIL_EVENTS)) this.countDropped(slot);
    const id = log.pushTail(frame, dir, p, retransmit, TAIL_EVENTS);
    const kind = endingKind(p.flags, dir);
    const kept = this.endingKept[slot]!;
    if ((kind & ~kept) !== 0) {
      log.freezeTail();
      this.endingKept[slot] = kept | kind;
    }
    return id;
  }

  private countDropped(slot: number): void {
    this.conns.setWord(slot, PartWord.EventsDropped, this.conns.word(slot, PartWord.EventsDropped) + 1);
  }

  /** Another copy (same packet, another interface) of event `index` (or tail id), if it is still kept. */
  addCopy(slot: number, index: number, frameNumber: number): void {
    if (index < 0) return;
    if (index >= TAIL_ID) {
      const log = this.logs[slot];
      const at = log === undefined ? -1 : log.positionOf(index);
      if (at >= 0) log!.addCopy(at, frameNumber);
    } else if (index < this.length(slot)) this.logOf(slot).addCopy(index, frameNumber);
  }

  /**
   * An ICMP error about the connection, sent now (t). False when it is a copy of one just seen
   * (the same error on several interfaces is one error).
   */
  addIcmpError(slot: number, frame: Frame, t: number, dir: Dir, p: Packet, sender: string): boolean {
    const log = this.logOf(slot);
    const events = log.events;
    for (let i = events.length - 1; i >= 0 && i >= events.length - 4; i--) {
      const ev = events[i]!;
      if (ev.icmpType === p.icmpType && ev.icmpCode === p.icmpCode && ev.icmpSender === sender &&
        ev.seq === p.innerSeq && t - ev.t <= COPY_WINDOW) {
        log.addCopy(log.positionAt(i), frame.frameNumber);
        return false;
      }
    }
    if (log.length < MAX_EVENTS && !log.hasTail) log.pushIcmp(frame, dir, p, sender);
    else this.countDropped(slot);
    return true;
  }

  /** Replaces the last event if it is a routine one (the rolling "latest routine packet"); its index or -1. */
  private overwriteRoutine(log: EventLog, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): number {
    const last = log.length - 1;
    if ((log.flagsAt(last) & NOTABLE_FLAGS) !== 0 || log.icmpTypeAt(last) >= 0) return -1;
    log.overwritePacket(last, frame, dir, p, retransmit);
    return last;
  }
}

/** How a connection ends, as bits: a FIN from the originator, from the responder; a RST. */
const enum Ending {
  Fin0 = 1,
  Fin1 = 2,
  Rst = 4,
}

function endingKind(flags: number, dir: Dir): number {
  return ((flags & TcpFlag.FIN) !== 0 ? (dir === 0 ? Ending.Fin0 : Ending.Fin1) : 0) | ((flags & TcpFlag.RST) !== 0 ? Ending.Rst : 0);
}

/** The Ending kinds among the log's events (read from its cells: no event objects made). */
function endingOf(log: EventLog): number {
  let kinds = 0;
  for (let i = 0; i < log.length; i++) if (log.icmpTypeAt(i) < 0) kinds |= endingKind(log.flagsAt(i), log.dirAt(i));
  return kinds;
}
