/**
 * pcapng timestamps: an interface's if_tsresol / if_tsoffset turned into what the packet loop
 * needs to convert a 64-bit unit count into exact (seconds, nanoseconds).
 */

import { Frame } from './types.js';

const TWO_32 = 4294967296;

/** Per-section interface state used on the hot path. */
export interface InterfaceClock {
  linkType: number;
  snapLen: number;
  /** 0: decimal units per second ≤ 10^9 (number arithmetic); 1: anything else (BigInt). */
  mode: number;
  /** Units per second when mode 0. */
  div: number;
  /** Nanoseconds per unit when mode 0 (10^9 / div, an integer). */
  mult: number;
  /** mode 1: units per second as BigInt (decimal) or 0n; shift for binary resolutions. */
  bigDiv: bigint;
  binShift: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

/** The clock for an interface with if_tsresol `tsresol` (default 6) and its text, e.g. `10^-6`. */
export function interfaceClock(
  linkType: number,
  snapLen: number,
  tsresol: number,
  tsOffset: number,
): { clock: InterfaceClock; resolution: string } {
  const clock: InterfaceClock = { linkType, snapLen, mode: 0, div: 1000000, mult: 1000, bigDiv: 0n, binShift: 0, tsOffset };
  const exp = tsresol & 0x7f;
  if ((tsresol & 0x80) !== 0) {
    clock.mode = 1;
    clock.binShift = exp;
    return { clock, resolution: `2^-${exp}` };
  }
  if (exp <= 9) {
    clock.div = 10 ** exp;
    clock.mult = 10 ** (9 - exp);
  } else {
    clock.mode = 1;
    clock.bigDiv = 10n ** BigInt(exp);
  }
  return { clock, resolution: `10^-${exp}` };
}

/** Set frame.tsSec / tsNsec from the unit count hi·2^32 + lo. */
export function setFrameTime(frame: Frame, clock: InterfaceClock, hi: number, lo: number): void {
  if (clock.mode !== 0) {
    setFrameTimeBig(frame, clock, hi, lo);
    return;
  }
  // Long division in 16-bit digits keeps every intermediate below 2^53.
  const d = clock.div;
  const q1 = Math.floor(hi / d);
  let r = hi - q1 * d;
  let t = r * 65536 + (lo >>> 16);
  const q2 = Math.floor(t / d);
  r = t - q2 * d;
  t = r * 65536 + (lo & 0xffff);
  const q3 = Math.floor(t / d);
  r = t - q3 * d;
  frame.tsSec = q1 * TWO_32 + q2 * 65536 + q3 + clock.tsOffset;
  frame.tsNsec = r * clock.mult;
}

function setFrameTimeBig(frame: Frame, clock: InterfaceClock, hi: number, lo: number): void {
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  let sec: bigint;
  let nsec: bigint;
  if (clock.bigDiv !== 0n) {
    sec = ts / clock.bigDiv;
    nsec = ((ts - sec * clock.bigDiv) * 1000000000n) / clock.bigDiv;
  } else {
    const sh = BigInt(clock.binShift);
    sec = ts >> sh;
    nsec = ((ts & ((1n << sh) - 1n)) * 1000000000n) >> sh;
  }
  frame.tsSec = Number(sec) + clock.tsOffset;
  frame.tsNsec = Number(nsec);
}

/** if_tsoffset: a signed 64-bit count of seconds. */
export function readTsOffset(dv: DataView, at: number, le: boolean): number {
  const high = dv.getInt32(le ? at + 4 : at, le);
  const low = dv.getUint32(le ? at : at + 4, le);
  return high * TWO_32 + low;
}
