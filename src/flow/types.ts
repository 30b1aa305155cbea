/**
 * Connection records: what the flow table keeps per TCP connection (one 4-tuple). Rules and
 * reports read these; only the flow table writes them.
 *
 * Direction 0 is the originator (the side that sent the first SYN; the SYN-ACK's receiver when a
 * SYN-ACK came first — history '^'; the first packet's sender when no SYN was seen), direction 1
 * the responder.
 */

import type { EndpointState } from './endpoint-state.js';

export type Dir = 0 | 1;

/** One notable packet of a connection, kept as evidence (the table keeps a bounded number). */
export interface ConnEvent {
  /** Frame number of the first copy of this packet in the capture. */
  frame: number;
  sec: number;
  nsec: number;
  /** Seconds since the epoch as a double: for durations and ordering, not for printing. */
  t: number;
  dir: Dir;
  /** TCP flags; 0 for an ICMP error event. */
  flags: number;
  seq: number;
  ack: number;
  len: number;
  window: number;
  ttl: number;
  ipId: number;
  hasTs: boolean;
  tsVal: number;
  tsEcr: number;
  /** Frames of further copies of the same packet (other interfaces of `-i any`), if any. */
  copies: number[] | null;
  /** The packet retransmits earlier sequence space (not a copy). */
  retransmit: boolean;
  /** For an ICMP error tied to this connection: its type/code and sender; else -1 / null. */
  icmpType: number;
  icmpCode: number;
  icmpSender: string | null;
}

export interface DirState {
  packets: number;
  /** TCP payload bytes (copies excluded). */
  payloadBytes: number;
  /** IP bytes (copies excluded). */
  ipBytes: number;
  synSeen: boolean;
  /** ISN of this direction (seq of its SYN), -1 when no SYN was seen. */
  isn: number;
  synTsVal: number;
  synHasTs: boolean;
  synAckSeen: boolean;
  /** The ack number of this direction's first SYN-ACK (-1 before one). */
  synAckAck: number;
  /** TSecr of that SYN-ACK (-1 when it had no timestamps). */
  synAckTsEcr: number;
  /** Frame of the first SYN (or SYN-ACK) this direction sent; 0 when none. */
  synFrame: number;
  finSeen: boolean;
  rstSeen: boolean;
  /** This side's own TCP state as Zeek keeps it (endpoint-state.ts): what conn_state is read from. */
  endpointState: EndpointState;
  /** Highest sequence number end (seq + len (+1 for SYN/FIN)) sent, -1 before any. */
  nextSeq: number;
  /** Last acknowledgement number sent (with ACK set), -1 before any. */
  lastAck: number;
  retransmits: number;
  /** Copies of packets already counted (same packet seen on several interfaces). */
  duplicates: number;
  synRetransmits: number;
  minTtl: number;
  maxTtl: number;
  /** Last time a packet was sent this way. */
  lastT: number;
  /** Time of the last packet carrying payload or SYN/FIN (for idle detection). */
  lastDataT: number;
}

/**
 * RSTs of several source addresses whose IPv4 IDs come from one counter (src/flow/reset-ipids.ts):
 * the run a connection's RST belongs to, as it stood when the table last synced its record (at
 * its retirement at the latest).
 */
export interface IpIdRun {
  /** The direction that sent the connection's RST on the run, and that RST's frame. */
  dir: Dir;
  rstFrame: number;
  /** RSTs on the run, and distinct source addresses among them (counted up to 8). */
  rsts: number;
  addrs: number;
  firstFrame: number;
  lastFrame: number;
  firstIpId: number;
  lastIpId: number;
}

export interface Endpoint {
  version: 4 | 6;
  addr: string;
  port: number;
  /** "ip:port" or "[ip6]:port". */
  text: string;
}

export interface Connection {
  /** Stable number, in order of first packet. */
  id: number;
  orig: Endpoint;
  resp: Endpoint;
  /** True when the originator is known from a SYN (else guessed from the first packet). */
  originKnown: boolean;
  firstFrame: number;
  lastFrame: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  firstT: number;
  lastT: number;
  dirs: [DirState, DirState];
  /** Zeek-style history: upper case from the originator, lower case from the responder. */
  history: string;
  /** Evidence, in capture order; bounded (see MAX_EVENTS). */
  events: ConnEvent[];
  /** Events not kept because the bound was reached. */
  droppedEvents: number;
  /** Longest silence between two packets of this connection after it was established, seconds. */
  maxIdle: number;
  /** Frame after that longest silence. */
  maxIdleFrame: number;
  established: boolean;
  /** Time the handshake completed (the originator's ACK of the SYN-ACK), or NaN. */
  establishedT: number;
  /** Link to the other half when one connection was seen through NAT (set by src/nat). */
  natPeer: Connection | null;
  /** 'original' for the half the client addressed, 'translated' for the NAT'd half. */
  natRole: 'original' | 'translated' | null;
  /** Ids of findings that involve this connection (set by the rules engine). */
  findingIds: string[];
  /** Its RST's IP ID continues a counter other addresses' RSTs used too (one stack sent them), when so. */
  rstIpIdRun: IpIdRun | null;
}
