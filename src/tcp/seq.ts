/** TCP sequence-space arithmetic, shared by the flow table and the rules. */

/** seq comparison in 32-bit modular space: a - b as a signed number. */
export function seqDiff(a: number, b: number): number {
  return ((a - b) | 0);
}
