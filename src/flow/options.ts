import type { Packet } from '../decode/packet.js';
import type { Dir } from './types.js';
import type { ConnectionRecord } from './connection.js';

export interface FlowTableOptions {
  /** Upper bound on connections held at once; past it the oldest idle ones are retired. */
  maxConnections?: number;
  /** Called for a connection the table releases (finished and quiet), in retirement order. */
  onRetire?: (conn: ConnectionRecord) => void;
  /**
   * Offered each plainly healthy connection (established, no RST, no ICMP error, no NAT link, no
   * SYN retransmission, no long silence) retired before the end of the capture, before any record
   * of it is made: returns true when it needs none (then onRetire is not called). Most of a busy
   * node's connections end here, costing no allocation.
   */
  releaseHealthy?: (slot: number) => boolean;
  /**
   * Offered each lone SYN (one SYN, answered at most by the responder's SYN-ACK: a handshake never
   * completed; no RST, FIN, ICMP error or NAT link) when it is retired, before any record of it is
   * made: returns true when it needs none. No rule fires on one alone (syn-timeout wants
   * retransmissions, the others a RST, an ICMP error, a link or an established connection); only a
   * connection sharing its client endpoint could cite it. A SYN flood's spoofed sources end here.
   */
  releaseLoneSyn?: (slot: number) => boolean;
  /**
   * Seconds of capture time after its last packet before a finished (FIN both ways, or RST)
   * connection is retired: 60, Linux's TIME_WAIT. Unfinished connections are retired after
   * `idleRetireAfter` (3600) of silence.
   */
  retireAfter?: number;
  idleRetireAfter?: number;
  /** Called for each new (not copied, not retransmitted) SYN or SYN-ACK: the NAT linker's feed. */
  onHandshake?: HandshakeHook;
}

/**
 * Connections held at once by default. Past it the longest-quiet one is retired early (and a
 * warning says so): a SYN flood or a scan cannot exhaust memory. A node's capture rarely has more
 * than a few thousand concurrent connections: the 200k-connection benchmark holds about 12k.
 */
export const DEFAULT_MAX_CONNECTIONS = 100_000;

/** A new SYN or SYN-ACK of the connection in `slot` (FlowTable slot index), sent in direction `dir`. */
export type HandshakeHook = (slot: number, dir: Dir, p: Packet, t: number, frame: number) => void;
