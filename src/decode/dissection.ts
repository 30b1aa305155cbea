/**
 * The dissector tables (Wireshark style) and the per-frame state the layer decoders share.
 *
 * Every layer decoder has the same shape `(cx, data, off, end, out, depth)`:
 *
 * - `off`  where this layer starts in `data`;
 * - `end`  the layer's *logical* end: what the enclosing header says its payload length is (it may
 *          lie beyond the captured bytes when the snaplen cut the frame). Lengths reported in the
 *          Packet (payloadLength, ipLength) come from these header claims, never from the captured
 *          length; reads are bounded by `cx.capEnd` (the captured length) as well as `end`.
 * - `depth` the number of encapsulations removed so far (VXLAN, Geneve, GRE, IP-in-IP); a decoder
 *          that would decapsulate once more at MAX_ENCAPSULATION stops instead.
 *
 * Layer decoders are plain functions (no state of their own), so one set of tables serves every
 * Decoder; what changes per frame lives in the Dissection.
 */

import {
  REASON_LLC, REASON_MALFORMED, REASON_PPP_CONTROL, REASON_PPP_PROTOCOL, REASON_TRUNCATED, REASON_UNKNOWN_ETHERTYPE,
} from './constants.js';
import { Transport, type Packet } from './packet.js';

export type Dissector = (cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number) => void;

/** Where each layer hands over to the next; the layer modules register their decoders here. */
export interface DissectorTables {
  /** LINKTYPE_* → link-layer decoder. */
  readonly linkType: Map<number, Dissector>;
  /** Ethertype → decoder (also GRE and Geneve protocol types, and SLL protocols). */
  readonly etherType: Map<number, Dissector>;
  /** BSD loopback address family → decoder. */
  readonly addressFamily: Map<number, Dissector>;
  /** IP protocol / IPv6 next header → decoder. */
  readonly ipProtocol: (Dissector | undefined)[];
  /** UDP port → decoder (tunnels). */
  readonly udpPort: Map<number, Dissector>;
  /** PPP protocol number → decoder (PPPoE, PPTP's GRE, L2TP). */
  readonly pppProtocol: Map<number, Dissector>;
}

export function emptyTables(): DissectorTables {
  return {
    linkType: new Map(),
    etherType: new Map(),
    addressFamily: new Map(),
    ipProtocol: new Array<Dissector | undefined>(256),
    udpPort: new Map(),
    pppProtocol: new Map(),
  };
}

/** One frame's walk through the tables (reused: the Decoder resets it per frame). */
export class Dissection {
  /** The captured length: no read goes past it. */
  capEnd = 0;
  vlanTags = 0;
  extHeaders = 0;
  /** Start of the current IPv6 payload and whether its length must come from a jumbo option. */
  v6PayloadStart = 0;
  v6Jumbo = false;
  /** The flags word of the GRE header being decapsulated (ERSPAN's type depends on the S bit). */
  greFlags = 0;

  constructor(readonly tables: DissectorTables) {}

  /** Bytes up to `need` are wanted; true when they are there, else marks the packet and returns false. */
  have(need: number, end: number, out: Packet): boolean {
    if (need > this.capEnd) {
      out.truncatedHeaders = true;
      out.undecodedReason = REASON_TRUNCATED;
      return false;
    }
    if (need > end) {
      out.undecodedReason = REASON_MALFORMED;
      return false;
    }
    return true;
  }

  dispatchEther(type: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    out.etherType = type;
    const next = this.tables.etherType.get(type);
    if (next === undefined) {
      out.undecodedReason = type <= 1500 ? REASON_LLC : REASON_UNKNOWN_ETHERTYPE;
      return;
    }
    next(this, d, off, end, out, depth);
  }

  dispatchProto(proto: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    out.ipProtocol = proto;
    const next = this.tables.ipProtocol[proto];
    if (next === undefined) {
      out.transport = Transport.Other;
      return;
    }
    next(this, d, off, end, out, depth);
  }

  dispatchPpp(proto: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    const next = this.tables.pppProtocol.get(proto);
    if (next === undefined) {
      // Link control (LCP, IPCP, …) carries no packet; an unknown network protocol might.
      out.undecodedReason = proto < 0x4000 ? REASON_PPP_PROTOCOL : REASON_PPP_CONTROL;
      return;
    }
    next(this, d, off, end, out, depth);
  }

  dispatchAddressFamily(af: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    const next = this.tables.addressFamily.get(af);
    if (next === undefined) {
      out.undecodedReason = REASON_UNKNOWN_ETHERTYPE;
      return;
    }
    next(this, d, off, end, out, depth);
  }
}
