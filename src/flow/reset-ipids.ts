import type { ConnSlots } from './slots.js';
import type { Dir, IpIdRun } from './types.js';

/**
 * A RST's IPv4 ID continues a run when it is 1 to MAX_STEP above the run's last ID (mod 2^16):
 * one counter, a few packets between. Two independent stacks' IDs are unrelated, so a chance
 * continuation has probability MAX_STEP / 65536 per run compared (RUNS of them).
 */
export const MAX_STEP = 64;
/** Seconds between two RSTs of one run, at most (an idle counter does not move; this keeps runs local). */
const MAX_GAP = 60;
/** Runs followed at once: RSTs of other stacks interleave with a run without breaking it. */
const RUNS = 4;
/**
 * RSTs a run needs, from at least two source addresses, before its members are marked: two
 * continuations in a row (chance (RUNS · MAX_STEP / 65536)² ≈ 1.5e-5 per RST for unrelated stacks).
 */
const MIN_RSTS = 3;
/** Connections remembered per run (the latest ones), marked when the run shows if still held. */
const MEMBERS = 16;
/** Distinct source addresses counted per run (beyond that the count says "at least"). */
export const ADDRS = 8;

interface Run {
  lastId: number;
  lastT: number;
  rsts: number;
  firstFrame: number;
  lastFrame: number;
  firstId: number;
  addrs: number[];
  /** MIN_RSTS from two addresses reached: members are marked as they join. */
  shown: boolean;
  /** Latest member connections: slot, connection id, direction, and frame of its first RST on the run, four numbers each. */
  members: number[];
}

/** A held connection's RST on a shown run: the run (read when the table syncs its record). */
interface Mark {
  dir: Dir;
  rstFrame: number;
  run: Run;
}

/**
 * Capture-wide, bounded: RSTs whose IPv4 IDs come from one counter although they carry several
 * source addresses — one stack made them in the others' name (a NAT or firewall answering for
 * the peers, or one host owning all those addresses). Fed every RST (not copies) with a non-zero
 * IP ID in capture order; once a run has MIN_RSTS or more from two or more addresses, each member
 * whose connection is still held in the table is marked, and so is each that joins later. Only
 * held connections are marked, and a record reads its run when the table syncs it (last at its
 * retirement), so what a connection carries depends on the packets and the table's retirement,
 * never on when the pipeline evaluates retired connections.
 */
export class ResetIpIds {
  private readonly runs: Run[] = [];
  /** Held slots whose RST is on a shown run. */
  private readonly marks = new Map<number, Mark>();

  constructor(private readonly conns: ConnSlots) {}

  observe(slot: number, dir: Dir, addr: number, ipId: number, t: number, frame: number): void {
    let run: Run | undefined;
    let best = MAX_STEP + 1;
    for (const r of this.runs) {
      const step = (ipId - r.lastId) & 0xffff;
      if (step >= 1 && step < best && t - r.lastT <= MAX_GAP) {
        best = step;
        run = r;
      }
    }
    if (run === undefined) {
      run = { lastId: ipId, lastT: t, rsts: 0, firstFrame: frame, lastFrame: frame, firstId: ipId, addrs: [], shown: false, members: [] };
      if (this.runs.length === RUNS) this.runs.splice(this.oldestRun(), 1);
      this.runs.push(run);
    }
    run.lastId = ipId;
    run.lastT = t;
    run.lastFrame = frame;
    run.rsts++;
    if (run.addrs.length < ADDRS && !run.addrs.includes(addr)) run.addrs.push(addr);
    const id = this.conns.id(slot);
    if (!this.isMember(run, slot, id)) {
      if (run.members.length === 4 * MEMBERS) run.members.splice(0, 4);
      run.members.push(slot, id, dir, frame);
      if (run.shown) this.marks.set(slot, { dir, rstFrame: frame, run });
    }
    if (!run.shown && run.rsts >= MIN_RSTS && run.addrs.length >= 2) this.show(run);
  }

  private isMember(run: Run, slot: number, id: number): boolean {
    const m = run.members;
    for (let i = 0; i < m.length; i += 4) if (m[i] === slot && m[i + 1] === id) return true;
    return false;
  }

  private oldestRun(): number {
    let oldest = 0;
    for (let i = 1; i < this.runs.length; i++) if (this.runs[i]!.lastT < this.runs[oldest]!.lastT) oldest = i;
    return oldest;
  }

  /** The run just showed one counter across addresses: its members still held are marked. */
  private show(run: Run): void {
    run.shown = true;
    const m = run.members;
    for (let i = 0; i < m.length; i += 4) {
      const slot = m[i]!;
      if (this.conns.id(slot) === m[i + 1]) this.marks.set(slot, { dir: m[i + 2] as Dir, rstFrame: m[i + 3]!, run });
    }
  }

  /**
   * The run a held slot's RST belongs to, if it was marked, as it stands now: the table reads it
   * into the connection's record at each sync, the last time when the connection retires.
   */
  of(slot: number): IpIdRun | null {
    const mark = this.marks.get(slot);
    if (mark === undefined) return null;
    const r = mark.run;
    return { dir: mark.dir, rstFrame: mark.rstFrame, rsts: r.rsts, addrs: r.addrs.length, firstFrame: r.firstFrame,
      lastFrame: r.lastFrame, firstIpId: r.firstId, lastIpId: r.lastId };
  }

  /** The slot is freed: its mark goes. */
  release(slot: number): void {
    if (this.marks.size > 0) this.marks.delete(slot);
  }

  clear(): void {
    this.marks.clear();
  }
}
