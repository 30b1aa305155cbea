/** Big-endian field reads and address copies shared by the layer decoders. */

export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

export function copyAddr(dst: Uint8Array, d: Uint8Array, o: number, len: 4 | 16): void {
  dst[0] = d[o]!;
  dst[1] = d[o + 1]!;
  dst[2] = d[o + 2]!;
  dst[3] = d[o + 3]!;
  if (len === 16) {
    for (let i = 4; i < 16; i++) dst[i] = d[o + i]!;
  } else if ((dst[4]! | dst[5]! | dst[6]! | dst[7]! | dst[8]! | dst[9]! | dst[10]! | dst[11]! | dst[12]! | dst[13]! | dst[14]! | dst[15]!) !== 0) {
    // IPv4: bytes 4..15 stay zero so 16-byte comparisons/keys work for both families
    for (let i = 4; i < 16; i++) dst[i] = 0;
  }
}
