import type { EvidencePacket } from '../rules/types.js';
import type { InputReport } from './types.js';

/** An evidence packet's frame: `input#frame` (inputs from 1) with several inputs, the plain frame number with one. */
export function frameRef(e: Pick<EvidencePacket, 'frame' | 'input'>): string {
  return e.input === undefined ? String(e.frame) : `${e.input + 1}#${e.frame}`;
}

/** With several inputs: the input's clock against the first input's, as one line (null: no line). */
export function clockLine(i: InputReport, index: number): string | null {
  if (i.clockOffset === undefined || index === 0) return null;
  if (i.clockOffset === null) return 'clock: no packet in common with the other inputs (offset unknown; joined by addresses and times as they are)';
  return `clock: ${i.clockOffset >= 0 ? '+' : ''}${i.clockOffset.toFixed(6)} s against input 1 (from packets seen in both)`;
}
