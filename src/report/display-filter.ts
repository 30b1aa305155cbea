import type { EvidencePacket } from '../rules/types.js';

/** Every frame of the evidence, copies on other interfaces included, ascending. */
export function evidenceFrames(evidence: readonly EvidencePacket[]): number[] {
  const set = new Set<number>();
  for (const e of evidence) {
    set.add(e.frame);
    for (const c of e.copies) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

/**
 * A Wireshark display filter that selects a finding's packets: `frame.number in {1,3,5..8}`
 * (runs of three or more as ranges; commas, which Wireshark 4 requires between set elements).
 */
export function displayFilter(evidence: readonly EvidencePacket[]): string {
  const frames = evidenceFrames(evidence);
  if (frames.length === 0) return '';
  const parts: string[] = [];
  for (let i = 0; i < frames.length; ) {
    let j = i;
    while (j + 1 < frames.length && frames[j + 1] === frames[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${frames[i]}..${frames[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(frames[k]));
    i = j + 1;
  }
  return `frame.number in {${parts.join(',')}}`;
}
