import type { Connection } from '../flow/types.js';
import { PacketStore } from './packet-store.js';

/**
 * What the join keeps of every connection of one input (held or released): enough to recognise
 * it at another vantage point (the originator's ISN survives DNAT, SNAT and encapsulation) and
 * its first packets, to match packets and estimate clock offsets. 
 */
export interface ConnIdentity {
  /** The connection's id in its input (Connection.id, ConnectionReport.id). */
  id: number;
  /** Originator's ISN: its SYN's seq, or the responder's SYN-ACK's ack - 1; -1 when neither was seen. */
  origIsn: number;
  /** Responder's ISN (its SYN-ACK's seq), -1 when not seen. */
  respIsn: number;
  orig: string;
  resp: string;
  firstT: number;
  lastT: number;
  natRole: Connection['natRole'];
  /** The connection's first packets (all of them when `complete`), in capture order. */
  packets: PacketStore;
  /** `packets` holds every packet of the connection (none were left out). */
  complete: boolean;
}

/** Packets kept per identity of a released connection (the handshake and the first exchange). */
const KEPT_PACKETS = 24;

/** Unsigned 32-bit seq - 1. */
function minusOne(n: number): number {
  return (n - 1) >>> 0;
}

export function identityOf(c: Connection, keepAll: boolean): ConnIdentity {
  const [o, r] = c.dirs;
  const origIsn = o.isn >= 0 ? o.isn : r.synAckAck >= 0 ? minusOne(r.synAckAck) : -1;
  const events = c.events.filter((e) => e.icmpType < 0);
  const packets = keepAll ? events : events.slice(0, KEPT_PACKETS);
  return {
    id: c.id, origIsn, respIsn: r.isn, orig: c.orig.text, resp: c.resp.text, firstT: c.firstT, lastT: c.lastT,
    natRole: c.natRole, packets: new PacketStore(packets), complete: c.droppedEvents === 0 && packets.length === events.length,
  };
}
