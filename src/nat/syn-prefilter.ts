import { TcpFlag, Transport, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import { RecentKeys } from '../flow/recent-keys.js';
import { isnHash, LINK_WINDOW } from './syn-index.js';

/**
 * Marks the SYNs and SYN-ACKs the NAT linker (linker.ts) need not look up (Packet.noSynTwin),
 * before the flow table sees them and where the packets are decoded — on the decoding thread when
 * there is one, which waits on the analysis most of the time. The linker's SYN index
 * (syn-index.ts) is a ring bucketed by ISN that a SYN flood makes as large as the SYNs of
 * LINK_WINDOW seconds: each lookup missed the cache two or three times, a seventh of the flood's
 * analysis, for SYNs that share an ISN with nothing.
 *
 * The linker looks up, for a SYN without ACK, the earlier SYNs with its sequence number, and for a
 * SYN-ACK, those with its acknowledgement number - 1, within LINK_WINDOW seconds; its index holds
 * only SYNs without ACK. Every SYN without ACK is remembered here (copies and retransmissions
 * too), so a packet with no such SYN here has none there: noSynTwin, exactly. The window's times
 * are the flow table's (RecentKeys.clock).
 */
export class SynTwinPrefilter extends RecentKeys {
  constructor() {
    super(LINK_WINDOW, 1);
  }

  /** For a TCP SYN or SYN-ACK (p as decoded from frame): noSynTwin when no SYN it could be linked with was seen. */
  mark(frame: Frame, p: Packet): void {
    if (p.transport !== Transport.Tcp || p.ipVersion === 0 || (p.flags & TcpFlag.SYN) === 0) return;
    if (!this.clock(frame)) return;
    const synAck = (p.flags & TcpFlag.ACK) !== 0;
    const isn = (synAck ? p.ack - 1 : p.seq) | 0;
    const b = this.bucket(isn);
    p.noSynTwin = !this.seen(isn, b);
    if (!synAck) this.remember(isn, b);
  }

  protected bucket(isn: number): number {
    return isnHash(isn) & this.bucketMask;
  }
}
