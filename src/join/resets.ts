import { TcpFlag } from '../decode/packet.js';
import type { ConnEvent } from '../flow/types.js';
import type { ConnectionGroups } from './connections.js';
import { matchPackets } from './packets.js';

/** After removing the clock offsets, copies of one packet are this close (seconds). */
const TOLERANCE = 0.5;

/**
 * Resets seen again in an earlier input (the same RST at two vantage points): subtracted from the
 * inputs' sum so the summary counts each reset once.
 */
export function repeatedResets(groups: ConnectionGroups, offsets: readonly (number | null)[]): number {
  let repeated = 0;
  for (const members of groups.groups) {
    const seen: { input: number; ev: ConnEvent }[] = [];
    for (const m of members) {
      const rsts = m.conn.packets.events().filter((e) => (e.flags & TcpFlag.RST) !== 0);
      for (const ev of rsts) {
        const offB = offsets[m.input] ?? 0;
        const again = seen.some((s) => s.input !== m.input &&
          matchPackets([s.ev], [ev], offB - (offsets[s.input] ?? 0), TOLERANCE).length > 0);
        if (again) repeated++;
        else seen.push({ input: m.input, ev });
      }
    }
  }
  return repeated;
}
