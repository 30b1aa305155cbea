/**
 * Frame → Packet header view.
 *
 * gopacket DecodingLayerParser style: one `Decoder` per capture decodes every frame into one reused
 * `Packet`; nothing is allocated and no string is built per packet (`undecodedReason` is always one
 * of the constant strings in constants.ts). Dispatch goes through one set of tables, Wireshark
 * dissector-table style (dissection.ts): link type → link layer, ethertype → network layer, IP
 * protocol → transport, ICMP or tunnel, UDP port → tunnel; one module per layer family in layers/.
 *
 * No byte sequence makes `decode` throw or read past the captured length.
 */

import type { Frame } from '../capture/types.js';
import { REASON_MALFORMED, REASON_UNKNOWN_ETHERTYPE, REASON_UNKNOWN_LINKTYPE } from './constants.js';
import { Dissection, emptyTables, type DissectorTables } from './dissection.js';
import { registerEncapsulations } from './layers/encap.js';
import { registerIcmpLayers } from './layers/icmp.js';
import { registerIpLayers } from './layers/ip.js';
import { registerLinkLayers } from './layers/link.js';
import { registerTransportLayers } from './layers/transport.js';
import { registerTunnels } from './layers/tunnel.js';
import { registerUdpTunnels } from './layers/udp-tunnels.js';
import { registerWlan } from './layers/wlan.js';
import { Transport, TunnelKind, type Packet } from './packet.js';
import { decoderWarnings, etherTypeLabel, HIDING_REASONS, mayHideTcp, type DecoderCounts } from './undecoded.js';

export {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_TEB, ETHERTYPE_VLAN, MAX_ENCAPSULATION,
  REASON_BAD_IP_VERSION, REASON_ENCRYPTED, REASON_FRAGMENT, REASON_LLC, REASON_MALFORMED, REASON_NO_NEXT,
  REASON_TOO_DEEP, REASON_TRUNCATED, REASON_UNKNOWN_ETHERTYPE, REASON_UNKNOWN_LINKTYPE, REASON_UNSUPPORTED_TUNNEL,
} from './constants.js';

function buildTables(): DissectorTables {
  const tables = emptyTables();
  registerLinkLayers(tables);
  registerIpLayers(tables);
  registerTransportLayers(tables);
  registerIcmpLayers(tables);
  registerTunnels(tables);
  registerEncapsulations(tables);
  registerUdpTunnels(tables);
  registerWlan(tables);
  return tables;
}

/** The layer decoders keep no state of their own: one set of tables serves every Decoder. */
const TABLES = buildTables();

/** Linux cooked capture v1 (`-i any` before libpcap 1.10): it names no interface. */
const LINKTYPE_LINUX_SLL = 113;

export class Decoder {
  /** LINKTYPE → frames seen with that (undecoded) link type. */
  readonly unknownLinkTypes = new Map<number, number>();
  /** Frames in which TCP may be but was not reached: reason → frames (see undecoded.ts). */
  readonly undecoded = new Map<string, number>();
  /** The same for unknown ethertypes that may carry IP: ethertype → frames. */
  private readonly unknownEtherTypes = new Map<number, number>();
  /** Frames passed to decode(). */
  frames = 0;
  /** Frames in which an IP header (outermost) was decoded. */
  ipFrames = 0;
  /** Frames whose innermost transport is TCP. */
  tcp = 0;
  /** Frames that are ICMP/ICMPv6 errors (transport IcmpError). */
  icmpErrors = 0;
  /** Non-first IP fragments (isFragment: no transport header in them). */
  fragments = 0;
  /** Frames from which at least one encapsulation was removed. */
  tunnels = 0;
  /** Frames with truncatedHeaders set. */
  truncated = 0;

  private readonly cx = new Dissection(TABLES);

  /** Decode one frame into `out` (reset first). Never throws. */
  decode(frame: Frame, out: Packet): void {
    out.reset();
    this.frames++;
    const d = frame.data;
    const cx = this.cx;
    cx.capEnd = Math.min(frame.capturedLength, d.length);
    cx.vlanTags = 0;
    const originalLength = Math.max(frame.originalLength, cx.capEnd);
    out.linkType = frame.linkType;
    out.ifIndex = frame.interfaceId;
    const link = TABLES.linkType.get(frame.linkType);
    if (link === undefined) {
      this.unknownLinkTypes.set(frame.linkType, (this.unknownLinkTypes.get(frame.linkType) ?? 0) + 1);
      out.undecodedReason = REASON_UNKNOWN_LINKTYPE;
    } else {
      try {
        link(cx, d, 0, originalLength, out, 0);
      } catch {
        // Defensive: a bug must not stop a capture's analysis.
        out.undecodedReason = REASON_MALFORMED;
      }
    }
    if (out.undecodedReason !== '' && out.transport !== Transport.Tcp) this.countUndecoded(out);
    out.capturePoint = frame.linkType === LINKTYPE_LINUX_SLL ? -1 : ((out.ifIndex * 8 + out.direction + 1) * 4099 + out.vlanId + 1) | 0;
    if (out.ipVersion !== 0 || out.outerIpVersion !== 0) this.ipFrames++;
    if (out.transport === Transport.Tcp) this.tcp++;
    else if (out.transport === Transport.IcmpError) this.icmpErrors++;
    if (out.isFragment) this.fragments++;
    if (out.tunnel !== TunnelKind.None) this.tunnels++;
    if (out.truncatedHeaders) this.truncated++;
  }

  private countUndecoded(out: Packet): void {
    const why = out.undecodedReason;
    if (why === REASON_UNKNOWN_ETHERTYPE && mayHideTcp(out.etherType)) {
      this.unknownEtherTypes.set(out.etherType, (this.unknownEtherTypes.get(out.etherType) ?? 0) + 1);
    } else if (HIDING_REASONS.has(why)) {
      this.undecoded.set(why, (this.undecoded.get(why) ?? 0) + 1);
    }
  }

  /** What this decoder could not decode, to merge into another (a decoding thread's counts) or to warn about. */
  counts(): DecoderCounts {
    const undecoded = [...this.undecoded];
    for (const [t, n] of this.unknownEtherTypes) undecoded.push([etherTypeLabel(t), n]);
    return { unknownLinkTypes: [...this.unknownLinkTypes], undecoded };
  }

  /** Merge counts from the decoder that really decoded the frames (in a decoding thread). */
  addCounts(c: DecoderCounts): void {
    for (const [lt, n] of c.unknownLinkTypes) this.unknownLinkTypes.set(lt, (this.unknownLinkTypes.get(lt) ?? 0) + n);
    for (const [r, n] of c.undecoded) this.undecoded.set(r, (this.undecoded.get(r) ?? 0) + n);
  }

  /** One line per kind of frame not decoded: unsupported link types, encapsulations that hide TCP. */
  warnings(): string[] {
    return decoderWarnings(this.counts());
  }
}
