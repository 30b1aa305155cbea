import ipaddr from 'ipaddr.js';

/** Text form of an address held in a 16-byte array (IPv4 in bytes 0..3); IPv6 per RFC 5952. */
export function formatAddress(bytes: Uint8Array, version: 4 | 6 | 0): string {
  if (version === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (version === 6) return (ipaddr.fromByteArray(Array.from(bytes.subarray(0, 16))) as ipaddr.IPv6).toRFC5952String();
  return '?';
}

/** `ip:port`, or `[ip6]:port` for IPv6 (the report's endpoint form). */
export function formatEndpoint(bytes: Uint8Array, version: 4 | 6 | 0, port: number): string {
  const a = formatAddress(bytes, version);
  return version === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An IPv4 address as formatAddress writes it (four decimal numbers, no leading zeros). */
export function isDottedQuad(text: string): boolean {
  return DOTTED_QUAD.test(text);
}
