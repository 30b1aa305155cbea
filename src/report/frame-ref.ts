import type { CaptureInterface, EvidencePacket } from '../rules/types.js';
import type { InputReport } from './types.js';

/** An evidence packet's frame: `input#frame` (inputs from 1) with several inputs, the plain frame number with one. */
export function frameRef(e: Pick<EvidencePacket, 'frame' | 'input'>): string {
  return e.input === undefined ? String(e.frame) : `${e.input + 1}#${e.frame}`;
}

/** An interface as the reports write it: its name, else `if<index>` (as `ip link` numbers it); '' when unknown. */
export function interfaceText(i: CaptureInterface | undefined): string {
  return i === undefined ? '' : i.name ?? (i.ifIndex !== undefined ? `if${i.ifIndex}` : '');
}

/**
 * An evidence table's frame cell: the frame, the interface it was seen on, and its copies on other
 * interfaces (`+2 copies`, or `+2` when `short`), with their interfaces when the capture names them.
 */
export function frameCell(e: EvidencePacket, short = false): string {
  const on = interfaceText(e.iface);
  const frame = on === '' ? frameRef(e) : `${frameRef(e)} on ${on}`;
  const n = e.copies.length;
  if (n === 0) return frame;
  const where = (e.copyIfaces ?? []).map(interfaceText);
  const list = where.some((w) => w !== '') ? `: ${where.map((w) => w || '?').join(', ')}` : '';
  return `${frame} (+${n}${short ? '' : ` cop${n === 1 ? 'y' : 'ies'}`}${list})`;
}

const LINK_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 12: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

/** An input's link types as tcpdump names them (the number when unnamed), for its header line. */
export function linkTypesText(i: InputReport): string {
  return i.linkTypes.map((l) => LINK_NAMES[l] ?? String(l)).join(', ');
}

/** With several inputs: the input's clock against the first input's, as one line (null: no line). */
export function clockLine(i: InputReport, index: number): string | null {
  if (i.clockOffset === undefined || index === 0) return null;
  if (i.clockOffset === null) return 'clock: no packet in common with the other inputs (offset unknown; joined by addresses and times as they are)';
  return `clock: ${i.clockOffset >= 0 ? '+' : ''}${i.clockOffset.toFixed(6)} s against input 1 (from packets seen in both)`;
}
