/**
 * Classic pcap: the 24-byte file header (µs / ns, both byte orders, Kuznetzov's modified pcap)
 * and the record loop, the reader's hot path.
 */

import { captureOpenError } from './capture-errors.js';
import { ReadState } from './read-state.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34; // Alexey Kuznetzov's patched libpcap: 24-byte record headers
const PCAP_MAGICS = [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED];

export const PCAP_FILE_HEADER_LENGTH = 24;

/** Whether the 4 bytes at p are a pcap magic: true little-endian, false big-endian, null neither. */
export function pcapByteOrder(dv: DataView, p: number): boolean | null {
  if (PCAP_MAGICS.includes(dv.getUint32(p, true))) return true;
  if (PCAP_MAGICS.includes(dv.getUint32(p, false))) return false;
  return null;
}

/** How caplen and len are stored: libpcap before 2.3 swapped them, 2.3 sometimes did. */
const LENGTHS_IN_ORDER = 0;
const LENGTHS_SWAPPED = 1;
const LENGTHS_SWAPPED_WHEN_CAPLEN_LARGER = 2;

export class PcapRecordParser {
  private readonly unitsPerSecond: number;
  private readonly nsPerUnit: number;
  private readonly headerLength: number;
  private readonly lengthOrder: number;

  private constructor(
    private readonly state: ReadState,
    private readonly le: boolean,
    nano: boolean,
    modified: boolean,
    private readonly snapLen: number,
    private readonly linkType: number,
    lengthOrder: number,
  ) {
    this.unitsPerSecond = nano ? 1000000000 : 1000000;
    this.nsPerUnit = nano ? 1 : 1000;
    this.headerLength = modified ? 24 : 16;
    this.lengthOrder = lengthOrder;
  }

  /**
   * Read the file header at p (24 bytes present, magic already recognised in byte order `le`).
   * Throws CaptureOpenError for a header libpcap would refuse.
   */
  static open(state: ReadState, dv: DataView, p: number, le: boolean): PcapRecordParser {
    const path = state.info.path;
    const magic = dv.getUint32(p, le);
    const major = dv.getUint16(p + 4, le);
    const minor = dv.getUint16(p + 6, le);
    // libpcap: 2.0 .. 2.4 (and the odd 543.568); everything else is refused.
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 568))) {
      throw captureOpenError(path, `unsupported pcap version ${major}.${minor} (not a capture libpcap can read)`);
    }
    const snap = dv.getUint32(p + 16, le);
    const linkTypeField = dv.getUint32(p + 20, le);
    if ((linkTypeField & 0x03ff0000) !== 0) {
      throw captureOpenError(path, `pcap link-type field has reserved bits set (0x${(linkTypeField >>> 0).toString(16).padStart(8, '0')})`);
    }
    let lengthOrder = LENGTHS_IN_ORDER;
    if (major === 2 && minor < 3) lengthOrder = LENGTHS_SWAPPED;
    else if (major === 2 && minor === 3) lengthOrder = LENGTHS_SWAPPED_WHEN_CAPLEN_LARGER;
    const nano = magic === PCAP_MAGIC_NS;
    const parser = new PcapRecordParser(state, le, nano, magic === PCAP_MAGIC_MODIFIED, snap, linkTypeField & 0xffff, lengthOrder);
    state.info.format = 'pcap';
    state.info.interfaces.push({
      linkType: parser.linkType,
      name: null,
      description: null,
      snapLen: snap,
      tsResolution: nano ? '10^-9' : '10^-6',
    });
    state.consumed += PCAP_FILE_HEADER_LENGTH;
    state.need = parser.headerLength;
    return parser;
  }

  /** Decode every complete record in buf[start, end); returns where the first incomplete one starts. */
  parse(buf: Buffer, start: number, end: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const state = this.state;
    const frame = state.frame;
    const le = this.le;
    const hl = this.headerLength;
    const unitsPerSecond = this.unitsPerSecond;
    const nsPerUnit = this.nsPerUnit;
    const linkType = this.linkType;
    const snap = this.snapLen;
    const maxRecord = state.maxRecord;
    const base = state.consumed - start;
    const memory = buf.buffer;
    const memoryOffset = buf.byteOffset;
    let p = start;
    for (;;) {
      if (end - p < hl) {
        state.need = hl;
        break;
      }
      let incl = dv.getUint32(p + 8, le);
      let orig = dv.getUint32(p + 12, le);
      if (this.swapped(incl, orig)) {
        const t = incl;
        incl = orig;
        orig = t;
      }
      const total = hl + incl;
      if (incl > maxRecord) {
        state.stop(`record at byte offset ${base + p} claims ${incl} captured bytes (more than the ${maxRecord}-byte limit); stopped reading`);
        break;
      }
      if (end - p < total) {
        if (state.knownTotal !== null && base + p + total > state.knownTotal) {
          const present = Math.max(0, state.knownTotal - (base + p) - hl);
          state.stop(`truncated record at byte offset ${base + p}: header claims ${incl} bytes, ${present} present`);
          break;
        }
        state.need = total;
        break;
      }
      const sec = dv.getUint32(p, le);
      const frac = dv.getUint32(p + 4, le);
      if (frac < unitsPerSecond) {
        frame.tsSec = sec;
        frame.tsNsec = frac * nsPerUnit;
      } else {
        state.fracOverflow(base + p);
        const carry = Math.floor(frac / unitsPerSecond);
        frame.tsSec = sec + carry;
        frame.tsNsec = (frac - carry * unitsPerSecond) * nsPerUnit;
      }
      if ((incl > snap && snap !== 0) || incl > orig) state.lengthOddity(base + p, incl, orig, snap);
      state.deliver(memory, memoryOffset + p + hl, linkType, 0, incl, orig, base + p);
      p += total;
    }
    state.consumed = base + p;
    return p;
  }

  /** The record's caplen and len fields are stored the other way round (old libpcap versions). */
  private swapped(incl: number, orig: number): boolean {
    return this.lengthOrder !== LENGTHS_IN_ORDER && (this.lengthOrder === LENGTHS_SWAPPED || incl > orig);
  }

  /** End of input with `tailLen` bytes of an incomplete record in `tail`. */
  finishTail(tail: Buffer, tailLen: number): void {
    const at = this.state.consumed;
    const hl = this.headerLength;
    if (tailLen < hl) {
      this.state.stop(`truncated record header at byte offset ${at}: ${hl} bytes needed, ${tailLen} present`);
    } else {
      const dv = new DataView(tail.buffer, tail.byteOffset, tailLen);
      const first = dv.getUint32(8, this.le);
      const second = dv.getUint32(12, this.le);
      // The same field the whole-buffer path reads: a stream cut mid-record says what a file does.
      const incl = this.swapped(first, second) ? second : first;
      this.state.stop(`truncated record at byte offset ${at}: header claims ${incl} bytes, ${tailLen - hl} present`);
    }
  }
}
