import { PartWord, type ConnSlots } from './slots.js';

/**
 * Recency: held slots in two lists ordered by their last packet (a packet moves its slot to the
 * tail), so a sweep looks only at the connections it retires — O(retired), not O(held).
 * Unfinished connections quiet for the table's retireAfter wait in the idle list until its
 * idleRetireAfter. Links are stored as slot + 1 (0: none); the heads are returned as slots (-1: none).
 */
export class RecencyLists {
  private activeHead = 0;
  private activeTail = 0;
  private activeSize = 0;
  private idleHead = 0;
  private idleTail = 0;
  private idleSize = 0;

  /** The links live in the connections' rows (PartWord.Recency*). */
  constructor(private readonly conns: ConnSlots) {}

  get size(): number {
    return this.activeSize + this.idleSize;
  }

  /** The longest-quiet active (idle) slot, or -1. */
  firstActive(): number {
    return this.activeHead - 1;
  }

  firstIdle(): number {
    return this.idleHead - 1;
  }

  /** The slot after `slot` on its list, or -1. */
  after(slot: number): number {
    return this.conns.word(slot, PartWord.RecencyNext) - 1;
  }

  isIdle(slot: number): boolean {
    return this.conns.word(slot, PartWord.RecencyIdle) === 1;
  }

  /** A new slot: the most recently active. */
  add(slot: number): void {
    this.conns.setWord(slot, PartWord.RecencyIdle, 0);
    this.push(slot, false);
  }

  remove(slot: number): void {
    this.unlink(slot, this.conns.word(slot, PartWord.RecencyIdle) === 1);
  }

  /** A packet for the slot: it becomes the most recently active (off the idle list if there). */
  touch(slot: number): void {
    if (this.conns.word(slot, PartWord.RecencyIdle) === 1) {
      this.unlink(slot, true);
      this.conns.setWord(slot, PartWord.RecencyIdle, 0);
      this.push(slot, false);
    } else if (this.activeTail !== slot + 1) {
      this.unlink(slot, false);
      this.push(slot, false);
    }
  }

  /** An active slot quiet past retireAfter but not finished: to the idle list's tail. */
  makeIdle(slot: number): void {
    this.unlink(slot, false);
    this.conns.setWord(slot, PartWord.RecencyIdle, 1);
    this.push(slot, true);
  }

  private push(slot: number, idle: boolean): void {
    const tail = idle ? this.idleTail : this.activeTail;
    this.conns.setWord(slot, PartWord.RecencyPrev, tail);
    this.conns.setWord(slot, PartWord.RecencyNext, 0);
    if (tail !== 0) this.conns.setWord(tail - 1, PartWord.RecencyNext, slot + 1);
    else if (idle) this.idleHead = slot + 1;
    else this.activeHead = slot + 1;
    if (idle) {
      this.idleTail = slot + 1;
      this.idleSize++;
    } else {
      this.activeTail = slot + 1;
      this.activeSize++;
    }
  }

  private unlink(slot: number, idle: boolean): void {
    const prev = this.conns.word(slot, PartWord.RecencyPrev);
    const next = this.conns.word(slot, PartWord.RecencyNext);
    if (prev !== 0) this.conns.setWord(prev - 1, PartWord.RecencyNext, next);
    else if (idle) this.idleHead = next;
    else this.activeHead = next;
    if (next !== 0) this.conns.setWord(next - 1, PartWord.RecencyPrev, prev);
    else if (idle) this.idleTail = prev;
    else this.activeTail = prev;
    this.conns.setWord(slot, PartWord.RecencyPrev, 0);
    this.conns.setWord(slot, PartWord.RecencyNext, 0);
    if (idle) this.idleSize--;
    else this.activeSize--;
  }
}
