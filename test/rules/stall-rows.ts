/**
 * Rows for stalled connections (pmtu-blackhole, peer-unresponsive): after `opening`, one side
 * sends a segment and retransmits it with exponential backoff, never acknowledged.
 */
import type { TablePacket } from '../helpers/rule-tester.js';
import type { Conversation } from './table-rows.js';

/** The client sends `len` bytes at `at` and retransmits them after 0.2, 0.4, 0.8… s (`retries` times). */
export function clientStalls(k: Conversation, at: number, len: number, retries: number, seq = k.cNext): TablePacket[] {
  const rows: TablePacket[] = [k.c(at, 'PA', seq, k.sNext, { len })];
  let t = at;
  for (let i = 0; i < retries; i++) {
    t += 0.2 * 2 ** i;
    rows.push(k.c(t, 'PA', seq, k.sNext, { len }));
  }
  return rows;
}
