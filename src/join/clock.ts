import type { ConnIdentity } from './identity.js';
import { ConnectionGroups } from './connections.js';
import { matchPackets } from './packets.js';

/** Clocks of captures from different hosts disagree by up to this much (seconds) and still join. */
export const MAX_CLOCK_OFFSET = 2.5;

/** Matched packets per pair of inputs beyond which the median would not move. */
const ENOUGH = 2000;

/** An input's clock against the first input's. */
export interface ClockOffset {
  /** Seconds to subtract from this input's times to put them on the first input's clock; null when no packet matched. */
  offset: number | null;
  /** Packets seen both here and in the input the offset was measured against. */
  matches: number;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Each input's clock offset from packets seen in two inputs: connections paired by ISN with the
 * clocks taken as they are (times may differ by MAX_CLOCK_OFFSET), their packets matched, and the
 * median time difference taken. An input that shares no packet with the first one is measured
 * through one that does.
 */
export function estimateOffsets(inputs: readonly (readonly ConnIdentity[])[]): ClockOffset[] {
  const n = inputs.length;
  const coarse = new ConnectionGroups(inputs, inputs.map(() => 0), MAX_CLOCK_OFFSET);
  // diffs[i][j]: times in j minus times in i, per matched packet (i < j).
  const diffs: number[][][] = Array.from({ length: n }, () => Array.from({ length: n }, () => []));
  for (const group of coarse.groups) {
    for (const a of group) {
      for (const b of group) {
        if (a.input >= b.input || diffs[a.input]![b.input]!.length >= ENOUGH) continue;
        for (const p of matchPackets(a.conn.packets.events(), b.conn.packets.events(), 0, MAX_CLOCK_OFFSET)) diffs[a.input]![b.input]!.push(p.b.t - p.a.t);
      }
    }
  }
  const result: ClockOffset[] = inputs.map((_, i) => ({ offset: i === 0 ? 0 : null, matches: 0 }));
  // Breadth first from input 0, over the pairs with most matches first.
  const known = [0];
  for (let k = 0; k < known.length; k++) {
    const i = known[k]!;
    const base = result[i]!.offset!;
    const next: { j: number; d: number[]; sign: 1 | -1 }[] = [];
    for (let j = 0; j < n; j++) {
      if (result[j]!.offset !== null) continue;
      const d = i < j ? diffs[i]![j]! : diffs[j]![i]!;
      if (d.length > 0) next.push({ j, d, sign: i < j ? 1 : -1 });
    }
    for (const { j, d, sign } of next.sort((x, y) => y.d.length - x.d.length)) {
      result[j] = { offset: base + sign * median(d), matches: d.length };
      known.push(j);
    }
  }
  return result;
}
