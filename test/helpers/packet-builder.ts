/**
 * Minimal packet builders for unit-test captures. Each returns a fresh Uint8Array; compose them
 * from the inside out:
 *
 *   const syn = ethernet({ type: 0x0800 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 },
 *                 tcp({ sport: 40000, dport: 80, seq: 1, flags: 'S', mss: 1460 })));
 *   const f = frame(syn);                       // a Frame for Decoder.decode
 *   writeFileSync('x.pcap', pcapFile(1, [syn])); // a classic pcap for tshark or the reader
 *
 * ipv4()/ipv6() fill in the IPv4 header checksum and the TCP/UDP/ICMPv6 checksum of their payload
 * (pseudo-header included), so tshark shows them as valid; pass `checksum: false` to keep zeros.
 */

export { addrBytes, concat, inetChecksum } from './packet-builder/bytes.js';
export * from './packet-builder/link.js';
export * from './packet-builder/ip.js';
export * from './packet-builder/transport.js';
export * from './packet-builder/tunnel.js';
