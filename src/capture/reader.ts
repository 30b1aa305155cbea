/**
 * Streaming capture reader: classic pcap (µs / ns, both byte orders, Kuznetzov's modified pcap)
 * and pcapng (sections, interfaces, if_tsresol, if_tsoffset, EPB / SPB / OPB), from a file, from
 * standard input or from any readable stream, gzip-compressed or not (detected by magic bytes).
 *
 * Design:
 * - The input is read in chunks. Records are decoded straight out of each chunk; only a record
 *   split across two chunks is copied into a carry-over buffer, and that buffer only ever grows
 *   with bytes actually received (never to a length a record header merely claims).
 * - One `Frame` object is reused for every record; `frame.data` is a view into the current chunk
 *   (or the carry-over buffer), valid only during the callback.
 * - Frame numbers follow Wireshark: 1-based across all sections. pcapng blocks that Wireshark
 *   turns into records without being packets (custom blocks 0x0BAD / 0x40000BAD, systemd journal
 *   export 0x9, sysdig event blocks) consume a frame number but are not delivered; they are counted
 *   in `info.otherRecords`.
 * - An EPB / OPB / SPB naming an interface the section does not define is skipped with one warning
 *   per interface id and does NOT consume a frame number (Wireshark stops with an error there).
 * - Damage (a truncated tail, an impossible length, a broken block trailer) stops decoding with a
 *   warning naming the byte offset in the uncompressed stream; everything before it is kept.
 */

import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureInfo, CaptureOpenError, Frame, FrameCallback, InterfaceInfo } from './types.js';

export interface ReadCaptureOptions {
  /** Called after every chunk with the bytes read from the source (compressed bytes for .gz). */
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
  /** Largest record / block accepted; anything claiming more stops the read. Default 256 MiB. */
  maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const MAX_WARNINGS = 100;
const MAX_COMMENTS = 256;
const MAX_COMMENT_CHARS = 4096;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34; // Alexey Kuznetzov's patched libpcap: 24-byte record headers
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;

const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;

const STATE_START = 0;
const STATE_PCAP = 1;
const STATE_PCAPNG = 2;
const STATE_STOPPED = 3;

const TWO_32 = 4294967296;

/** Per-section interface state used on the hot path. */
interface Iface {
  linkType: number;
  snapLen: number;
  /** 0: decimal units per second ≤ 10^9 (number arithmetic); 1: anything else (BigInt). */
  mode: number;
  /** Units per second when mode 0. */
  div: number;
  /** Nanoseconds per unit when mode 0 (10^9 / div, an integer). */
  mult: number;
  /** mode 1: units per second as BigInt (decimal) or 0n; shift for binary resolutions. */
  bigDiv: bigint;
  binShift: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

function displayPath(path: string): string {
  if (path === '-') return '<stdin>';
  // One-line messages even for hostile file names.
  return path.replace(/[\x00-\x1f\x7f]/g, '?');
}

function hexBytes(buf: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  for (let i = start; i < end; i++) parts.push(buf[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}

function newInfo(path: string): CaptureInfo {
  return {
    path,
    format: null,
    compressed: false,
    linkTypes: [],
    interfaces: [],
    packets: 0,
    bytes: 0,
    truncated: false,
    warnings: [],
    comments: [],
    otherRecords: 0,
  };
}

/**
 * Incremental decoder for one capture. `parse(buf, start, end)` decodes every complete record in
 * buf[start, end) and returns the position of the first incomplete one; `need` is then the number
 * of bytes (from that position) required to make progress.
 */
class CaptureParser {
  readonly info: CaptureInfo;
  private readonly onFrame: FrameCallback;
  private readonly frame: Frame;
  private readonly maxRecord: number;
  private readonly shownPath: string;

  state = STATE_START;
  /** Absolute offset (uncompressed stream) of the first byte not yet consumed. */
  consumed = 0;
  /** Bytes needed at `consumed` to make progress. */
  need = 4;
  /** Total uncompressed size when known (plain regular file), for early truncation detection. */
  knownTotal: number | null = null;

  private frameCount = 0;
  private lastLinkType = -1;
  private le = true;

  // classic pcap
  private pcapNano = false;
  private pcapHdrLen = 16;
  private pcapSnap = 0;
  private pcapLinkType = 0;
  /** 0 normal; 1 always swap caplen/len (pcap < 2.3); 2 swap when caplen > len (pcap 2.3). */
  private pcapLenSwap = 0;

  // pcapng
  private ifaces: Iface[] = [];
  /** Index in info.interfaces of the current section's interface 0. */
  private sectionIfBase = 0;
  private warnedCapOverSnap = false;
  private warnedCapOverOrig = false;
  private warnedBadIf = new Set<number>();
  private warnedNoIf0 = false;
  private warnedTsFrac = false;
  private warnedOptions = false;

  constructor(path: string, onFrame: FrameCallback, maxRecord: number) {
    this.info = newInfo(path);
    this.onFrame = onFrame;
    this.maxRecord = maxRecord;
    this.shownPath = displayPath(path);
    this.frame = {
      frameNumber: 0,
      tsSec: 0,
      tsNsec: 0,
      linkType: 0,
      interfaceId: 0,
      capturedLength: 0,
      originalLength: 0,
      fileOffset: 0,
      data: new Uint8Array(0),
    };
  }

  get stopped(): boolean {
    return this.state === STATE_STOPPED;
  }

  warn(msg: string): void {
    const w = this.info.warnings;
    if (w.length < MAX_WARNINGS) w.push(msg);
    else if (w.length === MAX_WARNINGS) w.push('further warnings suppressed');
  }

  private openError(detail: string): CaptureOpenError {
    return new CaptureOpenError(this.info.path, `${this.shownPath}: ${detail}`);
  }

  /** Stop decoding because of damage at absolute offset `at`. */
  private stop(msg: string): void {
    this.warn(msg);
    this.info.truncated = true;
    this.state = STATE_STOPPED;
  }

  private addComment(buf: Buffer, start: number, len: number): void {
    const c = this.info.comments;
    if (c.length >= MAX_COMMENTS) return;
    let s = buf.toString('utf8', start, start + len);
    // Strings are often NUL-terminated by writers.
    const nul = s.indexOf('\0');
    if (nul >= 0) s = s.slice(0, nul);
    if (s.length > MAX_COMMENT_CHARS) s = s.slice(0, MAX_COMMENT_CHARS);
    c.push(s);
  }

  parse(buf: Buffer, start: number, end: number): number {
    let p = start;
    if (this.state === STATE_START) {
      p = this.parseStart(buf, p, end);
      if (this.state === STATE_START || this.state === STATE_STOPPED) return p;
    }
    if (this.state === STATE_PCAP) p = this.parsePcap(buf, p, end);
    else if (this.state === STATE_PCAPNG) p = this.parsePcapng(buf, p, end);
    return p;
  }

  /** Recognise the file header. Throws CaptureOpenError for anything that is not a capture. */
  private parseStart(buf: Buffer, p: number, end: number): number {
    const avail = end - p;
    if (avail < 4) {
      this.need = 4;
      return p;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const m = dv.getUint32(p, true);
    if (m === PCAPNG_SHB) return this.parseFirstShb(buf, dv, p, end);
    let le: boolean;
    let nano = false;
    let modified = false;
    if (m === PCAP_MAGIC_US) le = true;
    else if (m === PCAP_MAGIC_NS) (le = true), (nano = true);
    else if (m === PCAP_MAGIC_MODIFIED) (le = true), (modified = true);
    else {
      const mb = dv.getUint32(p, false);
      if (mb === PCAP_MAGIC_US) le = false;
      else if (mb === PCAP_MAGIC_NS) (le = false), (nano = true);
      else if (mb === PCAP_MAGIC_MODIFIED) (le = false), (modified = true);
      else throw this.openError(`not a pcap or pcapng capture (first bytes ${hexBytes(buf, p, p + 4)})`);
    }
    if (avail < 24) {
      this.need = 24;
      return p;
    }
    const major = dv.getUint16(p + 4, le);
    const minor = dv.getUint16(p + 6, le);
    // libpcap: 2.0 .. 2.4 (and the odd 543.568); everything else is refused.
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 568))) {
      throw this.openError(`unsupported pcap version ${major}.${minor} (not a capture libpcap can read)`);
    }
    const snap = dv.getUint32(p + 16, le);
    const ltField = dv.getUint32(p + 20, le);
    if ((ltField & 0x03ff0000) !== 0) {
      throw this.openError(`pcap link-type field has reserved bits set (0x${(ltField >>> 0).toString(16).padStart(8, '0')})`);
    }
    this.le = le;
    this.pcapNano = nano;
    this.pcapHdrLen = modified ? 24 : 16;
    this.pcapSnap = snap;
    this.pcapLinkType = ltField & 0xffff;
    if (major === 2 && minor < 3) this.pcapLenSwap = 1;
    else if (major === 2 && minor === 3) this.pcapLenSwap = 2;
    this.info.format = 'pcap';
    this.info.interfaces.push({
      linkType: this.pcapLinkType,
      name: null,
      description: null,
      snapLen: snap,
      tsResolution: nano ? '10^-9' : '10^-6',
    });
    this.state = STATE_PCAP;
    this.consumed += 24;
    this.need = this.pcapHdrLen;
    return p + 24;
  }

  private parseFirstShb(buf: Buffer, dv: DataView, p: number, end: number): number {
    const avail = end - p;
    if (avail < 12) {
      this.need = 12;
      return p;
    }
    const bom = dv.getUint32(p + 8, true);
    if (bom !== PCAPNG_BOM && bom !== PCAPNG_BOM_SWAPPED) {
      throw this.openError(`not a pcap or pcapng capture (pcapng byte-order magic ${hexBytes(buf, p + 8, p + 12)})`);
    }
    const le = bom === PCAPNG_BOM;
    const len = dv.getUint32(p + 4, le);
    if (len < 28 || len % 4 !== 0 || len > this.maxRecord) {
      throw this.openError(`damaged pcapng section header (block length ${len})`);
    }
    if (avail < len) {
      if (this.knownTotal !== null && this.consumed + len > this.knownTotal) {
        throw this.openError(`pcapng section header cut short (${len} bytes claimed, ${this.knownTotal - this.consumed} present)`);
      }
      this.need = len;
      return p;
    }
    const major = dv.getUint16(p + 12, le);
    const minor = dv.getUint16(p + 14, le);
    if (!(major === 1 && (minor === 0 || minor === 2))) {
      throw this.openError(`unsupported pcapng version ${major}.${minor}`);
    }
    if (dv.getUint32(p + len - 4, le) !== len) {
      throw this.openError(`damaged pcapng section header (trailer length mismatch)`);
    }
    this.le = le;
    this.info.format = 'pcapng';
    this.state = STATE_PCAPNG;
    this.readShbOptions(buf, dv, p, len, this.consumed);
    this.consumed += len;
    this.need = 12;
    return p + len;
  }

  // ---------------------------------------------------------------- classic pcap (hot path)

  private parsePcap(buf: Buffer, start: number, end: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const le = this.le;
    const hl = this.pcapHdrLen;
    const frame = this.frame;
    const onFrame = this.onFrame;
    const nano = this.pcapNano;
    const linkType = this.pcapLinkType;
    const base = this.consumed - start;
    const info = this.info;
    const ab = buf.buffer;
    const bo = buf.byteOffset;
    let p = start;
    for (;;) {
      if (end - p < hl) {
        this.need = hl;
        break;
      }
      let incl = dv.getUint32(p + 8, le);
      let orig = dv.getUint32(p + 12, le);
      if (this.pcapLenSwap !== 0 && (this.pcapLenSwap === 1 || incl > orig)) {
        const t = incl;
        incl = orig;
        orig = t;
      }
      const total = hl + incl;
      if (incl > this.maxRecord) {
        this.stop(`record at byte offset ${base + p} claims ${incl} captured bytes (more than the ${this.maxRecord}-byte limit); stopped reading`);
        break;
      }
      if (end - p < total) {
        if (this.knownTotal !== null && base + p + total > this.knownTotal) {
          const present = Math.max(0, this.knownTotal - (base + p) - hl);
          this.stop(`truncated record at byte offset ${base + p}: header claims ${incl} bytes, ${present} present`);
          break;
        }
        this.need = total;
        break;
      }
      const sec = dv.getUint32(p, le);
      const frac = dv.getUint32(p + 4, le);
      if (nano) {
        if (frac < 1000000000) {
          frame.tsSec = sec;
          frame.tsNsec = frac;
        } else {
          this.fracOverflow(base + p);
          const c = Math.floor(frac / 1000000000);
          frame.tsSec = sec + c;
          frame.tsNsec = frac - c * 1000000000;
        }
      } else if (frac < 1000000) {
        frame.tsSec = sec;
        frame.tsNsec = frac * 1000;
      } else {
        this.fracOverflow(base + p);
        const c = Math.floor(frac / 1000000);
        frame.tsSec = sec + c;
        frame.tsNsec = (frac - c * 1000000) * 1000;
      }
      if ((incl > this.pcapSnap && this.pcapSnap !== 0) || incl > orig) this.lengthOddity(base + p, incl, orig, this.pcapSnap);
      frame.frameNumber = ++this.frameCount;
      frame.linkType = linkType;
      frame.interfaceId = 0;
      frame.capturedLength = incl;
      frame.originalLength = orig;
      frame.fileOffset = base + p;
      frame.data = new Uint8Array(ab, bo + p + hl, incl);
      if (linkType !== this.lastLinkType) this.noteLinkType(linkType);
      info.packets++;
      p += total;
      onFrame(frame);
    }
    this.consumed = base + p;
    return p;
  }

  private fracOverflow(at: number): void {
    if (this.warnedTsFrac) return;
    this.warnedTsFrac = true;
    this.warn(`record at byte offset ${at} has a sub-second timestamp field of one second or more; normalised (further occurrences not reported)`);
  }

  private lengthOddity(at: number, incl: number, orig: number, snap: number): void {
    if (incl > orig && !this.warnedCapOverOrig) {
      this.warnedCapOverOrig = true;
      this.warn(`record at byte offset ${at}: captured length ${incl} exceeds original length ${orig} (tolerated; further occurrences not reported)`);
    }
    if (snap !== 0 && incl > snap && !this.warnedCapOverSnap) {
      this.warnedCapOverSnap = true;
      this.warn(`record at byte offset ${at}: captured length ${incl} exceeds snapshot length ${snap} (tolerated; further occurrences not reported)`);
    }
  }

  private noteLinkType(lt: number): void {
    this.lastLinkType = lt;
    const l = this.info.linkTypes;
    if (!l.includes(lt)) l.push(lt);
  }

  // ---------------------------------------------------------------- pcapng

  private parsePcapng(buf: Buffer, start: number, end: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const frame = this.frame;
    const base = this.consumed - start;
    const maxRecord = this.maxRecord;
    const ab = buf.buffer;
    const bo = buf.byteOffset;
    let p = start;
    for (;;) {
      if (end - p < 12) {
        this.need = 12;
        break;
      }
      const at = base + p;
      let le = this.le;
      const type = dv.getUint32(p, le);
      if (type === PCAPNG_SHB) {
        const bom = dv.getUint32(p + 8, true);
        if (bom === PCAPNG_BOM) le = true;
        else if (bom === PCAPNG_BOM_SWAPPED) le = false;
        else {
          this.stop(`damaged section header block at byte offset ${at}: bad byte-order magic ${hexBytes(buf, p + 8, p + 12)}; stopped reading`);
          break;
        }
      }
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || (len & 3) !== 0) {
        this.stop(`damaged block at byte offset ${at}: block length ${len} is ${len < 12 ? 'below the 12-byte minimum' : 'not a multiple of 4'}; stopped reading`);
        break;
      }
      if (len > maxRecord) {
        this.stop(`block at byte offset ${at} claims ${len} bytes (more than the ${maxRecord}-byte limit); stopped reading`);
        break;
      }
      if (end - p < len) {
        if (this.knownTotal !== null && at + len > this.knownTotal) {
          this.stop(`truncated block at byte offset ${at}: header claims ${len} bytes, ${Math.max(0, this.knownTotal - at)} present`);
          break;
        }
        this.need = len;
        break;
      }
      if (dv.getUint32(p + len - 4, le) !== len) {
        this.stop(`damaged block at byte offset ${at}: trailing length ${dv.getUint32(p + len - 4, le)} does not match leading length ${len}; stopped reading`);
        break;
      }

      if (type === BT_EPB || type === BT_OPB) {
        if (len < 32) {
          this.stop(`damaged packet block at byte offset ${at}: length ${len} below the 32-byte minimum; stopped reading`);
          break;
        }
        const ifid = type === BT_EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
        const caplen = dv.getUint32(p + 20, le);
        const orig = dv.getUint32(p + 24, le);
        if (caplen > len - 32) {
          this.stop(`damaged packet block at byte offset ${at}: captured length ${caplen} does not fit in a ${len}-byte block; stopped reading`);
          break;
        }
        if (ifid >= this.ifaces.length) {
          this.badInterface(ifid, at);
          p += len;
          continue;
        }
        const ifc = this.ifaces[ifid];
        const hi = dv.getUint32(p + 12, le);
        const lo = dv.getUint32(p + 16, le);
        if (ifc.mode === 0) {
          const d = ifc.div;
          const q1 = Math.floor(hi / d);
          let r = hi - q1 * d;
          let t = r * 65536 + (lo >>> 16);
          const q2 = Math.floor(t / d);
          r = t - q2 * d;
          t = r * 65536 + (lo & 0xffff);
          const q3 = Math.floor(t / d);
          r = t - q3 * d;
          frame.tsSec = q1 * TWO_32 + q2 * 65536 + q3 + ifc.tsOffset;
          frame.tsNsec = r * ifc.mult;
        } else {
          this.bigTimestamp(ifc, hi, lo);
        }
        if (caplen > orig || (ifc.snapLen !== 0 && caplen > ifc.snapLen)) this.lengthOddity(at, caplen, orig, ifc.snapLen);
        frame.frameNumber = ++this.frameCount;
        frame.linkType = ifc.linkType;
        frame.interfaceId = ifid;
        frame.capturedLength = caplen;
        frame.originalLength = orig;
        frame.fileOffset = at;
        frame.data = new Uint8Array(ab, bo + p + 28, caplen);
        if (ifc.linkType !== this.lastLinkType) this.noteLinkType(ifc.linkType);
        this.info.packets++;
        const optStart = 28 + ((caplen + 3) & ~3);
        if (optStart < len - 4) this.readPacketOptions(buf, dv, p + optStart, p + len - 4, le);
        p += len;
        this.onFrame(frame);
        continue;
      }

      switch (type) {
        case PCAPNG_SHB: {
          if (len < 28) {
            this.stop(`damaged section header block at byte offset ${at}: length ${len} below the 28-byte minimum; stopped reading`);
            return this.finishPcapng(base, p);
          }
          const major = dv.getUint16(p + 12, le);
          const minor = dv.getUint16(p + 14, le);
          if (!(major === 1 && (minor === 0 || minor === 2))) {
            this.stop(`section header block at byte offset ${at} has unsupported version ${major}.${minor}; stopped reading`);
            return this.finishPcapng(base, p);
          }
          this.le = le;
          this.ifaces = [];
          this.sectionIfBase = this.info.interfaces.length;
          this.readShbOptions(buf, dv, p, len, at);
          break;
        }
        case BT_IDB: {
          if (len < 20) {
            this.stop(`damaged interface description block at byte offset ${at}: length ${len} below the 20-byte minimum; stopped reading`);
            return this.finishPcapng(base, p);
          }
          this.readIdb(buf, dv, p, len, le, at);
          break;
        }
        case BT_SPB: {
          if (len < 16) {
            this.stop(`damaged simple packet block at byte offset ${at}: length ${len} below the 16-byte minimum; stopped reading`);
            return this.finishPcapng(base, p);
          }
          if (this.ifaces.length === 0) {
            if (!this.warnedNoIf0) {
              this.warnedNoIf0 = true;
              this.warn(`simple packet block at byte offset ${at} but the section defines no interface; skipped (further occurrences not reported)`);
            }
            break;
          }
          const ifc = this.ifaces[0];
          const orig = dv.getUint32(p + 8, le);
          let caplen = orig;
          if (ifc.snapLen !== 0 && caplen > ifc.snapLen) caplen = ifc.snapLen;
          if (caplen > len - 16) caplen = len - 16;
          frame.frameNumber = ++this.frameCount;
          frame.tsSec = 0;
          frame.tsNsec = 0;
          frame.linkType = ifc.linkType;
          frame.interfaceId = 0;
          frame.capturedLength = caplen;
          frame.originalLength = orig;
          frame.fileOffset = at;
          frame.data = new Uint8Array(ab, bo + p + 12, caplen);
          if (ifc.linkType !== this.lastLinkType) this.noteLinkType(ifc.linkType);
          this.info.packets++;
          p += len;
          this.onFrame(frame);
          continue;
        }
        case 0x00000bad: // custom block (copiable)
        case 0x40000bad: // custom block (not copiable)
        case 0x00000009: // systemd journal export
        case 0x00000204: // sysdig event
        case 0x00000216: // sysdig event v2
        case 0x00000221: // sysdig event v2 large
          // Wireshark numbers these as frames; keep frame numbers in step.
          this.frameCount++;
          this.info.otherRecords = (this.info.otherRecords ?? 0) + 1;
          break;
        default:
          // NRB, ISB, DSB and unknown blocks: skipped by their length.
          break;
      }
      p += len;
    }
    return this.finishPcapng(base, p);
  }

  private finishPcapng(base: number, p: number): number {
    this.consumed = base + p;
    return p;
  }

  private badInterface(ifid: number, at: number): void {
    if (this.warnedBadIf.has(ifid) || this.warnedBadIf.size > 16) return;
    this.warnedBadIf.add(ifid);
    this.warn(`packet block at byte offset ${at} names interface ${ifid}, which its section does not define (${this.ifaces.length} defined); skipped, not numbered (further occurrences for this id not reported)`);
  }

  private bigTimestamp(ifc: Iface, hi: number, lo: number): void {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    let sec: bigint;
    let nsec: bigint;
    if (ifc.bigDiv !== 0n) {
      sec = ts / ifc.bigDiv;
      nsec = ((ts - sec * ifc.bigDiv) * 1000000000n) / ifc.bigDiv;
    } else {
      const sh = BigInt(ifc.binShift);
      sec = ts >> sh;
      nsec = ((ts & ((1n << sh) - 1n)) * 1000000000n) >> sh;
    }
    this.frame.tsSec = Number(sec) + ifc.tsOffset;
    this.frame.tsNsec = Number(nsec);
  }

  /**
   * Walk the options in buf[start, end). Returns false when an option overruns the block.
   * `visit` is called for each option (code, value start, value length).
   */
  private walkOptions(
    dv: DataView,
    start: number,
    end: number,
    le: boolean,
    visit: (code: number, vstart: number, vlen: number) => void,
  ): boolean {
    let o = start;
    while (o + 4 <= end) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === 0) return true;
      if (o + 4 + olen > end) return false;
      visit(code, o + 4, olen);
      o += 4 + ((olen + 3) & ~3);
    }
    return true;
  }

  private optionsDamaged(what: string, at: number): void {
    if (this.warnedOptions) return;
    this.warnedOptions = true;
    this.warn(`${what} at byte offset ${at}: an option runs past the end of the block; remaining options ignored (further occurrences not reported)`);
  }

  private readShbOptions(buf: Buffer, dv: DataView, p: number, len: number, at: number): void {
    const le = this.le;
    const ok = this.walkOptions(dv, p + 24, p + len - 4, le, (code, vs, vl) => {
      if (code === 1) this.addComment(buf, vs, vl);
    });
    if (!ok) this.optionsDamaged('section header block', at);
  }

  private readPacketOptions(buf: Buffer, dv: DataView, start: number, end: number, le: boolean): void {
    if (this.info.comments.length >= MAX_COMMENTS) return;
    this.walkOptions(dv, start, end, le, (code, vs, vl) => {
      if (code === 1) this.addComment(buf, vs, vl);
    });
  }

  private readIdb(buf: Buffer, dv: DataView, p: number, len: number, le: boolean, at: number): void {
    const linkType = dv.getUint16(p + 8, le);
    const snapLen = dv.getUint32(p + 12, le);
    let name: string | null = null;
    let description: string | null = null;
    let tsresol = 6;
    let tsOffset = 0;
    const str = (vs: number, vl: number): string => {
      let s = buf.toString('utf8', vs, vs + vl);
      const nul = s.indexOf('\0');
      if (nul >= 0) s = s.slice(0, nul);
      return s.length > MAX_COMMENT_CHARS ? s.slice(0, MAX_COMMENT_CHARS) : s;
    };
    const ok = this.walkOptions(dv, p + 16, p + len - 4, le, (code, vs, vl) => {
      if (code === 2 && name === null) name = str(vs, vl);
      else if (code === 3 && description === null) description = str(vs, vl);
      else if (code === 9 && vl >= 1) tsresol = buf[vs];
      else if (code === 14 && vl >= 8) {
        const a = le ? dv.getInt32(vs + 4, true) : dv.getInt32(vs, false);
        const b = le ? dv.getUint32(vs, true) : dv.getUint32(vs + 4, false);
        tsOffset = a * TWO_32 + b;
      } else if (code === 1) this.addComment(buf, vs, vl);
    });
    if (!ok) this.optionsDamaged('interface description block', at);
    const ifc: Iface = {
      linkType,
      snapLen,
      mode: 0,
      div: 1000000,
      mult: 1000,
      bigDiv: 0n,
      binShift: 0,
      tsOffset,
    };
    let resText: string;
    const exp = tsresol & 0x7f;
    if ((tsresol & 0x80) === 0) {
      resText = `10^-${exp}`;
      if (exp <= 9) {
        ifc.div = 10 ** exp;
        ifc.mult = 10 ** (9 - exp);
      } else {
        ifc.mode = 1;
        ifc.bigDiv = 10n ** BigInt(exp);
      }
    } else {
      resText = `2^-${exp}`;
      ifc.mode = 1;
      ifc.binShift = exp;
    }
    this.ifaces.push(ifc);
    const pub: InterfaceInfo = { linkType, name, description, snapLen, tsResolution: resText };
    this.info.interfaces.push(pub);
  }

  /**
   * End of input. Throws CaptureOpenError when no capture header was recognised; otherwise records
   * a truncation warning for an incomplete trailing record held in `tail`.
   */
  finish(tail: Buffer, tailLen: number, compressed: boolean): void {
    if (this.state === STATE_START) {
      const total = this.consumed + tailLen;
      if (total === 0) throw this.openError(compressed ? 'empty after gzip decompression' : 'empty file');
      if (tailLen < 4) {
        throw this.openError(`not a pcap or pcapng capture (only ${tailLen} byte${tailLen === 1 ? '' : 's'}: ${hexBytes(tail, 0, tailLen)})`);
      }
      const m = tail.readUInt32LE(0);
      if (m === PCAPNG_SHB) {
        if (tailLen >= 12) {
          const len = tail.readUInt32LE(8) === PCAPNG_BOM ? tail.readUInt32LE(4) : tail.readUInt32BE(4);
          throw this.openError(`pcapng section header cut short (${len} bytes claimed, ${tailLen} present)`);
        }
        throw this.openError(`pcapng section header cut short (${tailLen} bytes present)`);
      }
      throw this.openError(`pcap file header cut short (${tailLen} of 24 bytes present)`);
    }
    if (this.state === STATE_STOPPED || tailLen === 0) return;
    const at = this.consumed;
    const le = this.le;
    if (this.state === STATE_PCAP) {
      const hl = this.pcapHdrLen;
      if (tailLen < hl) {
        this.stop(`truncated record header at byte offset ${at}: ${hl} bytes needed, ${tailLen} present`);
      } else {
        const incl = le ? tail.readUInt32LE(8) : tail.readUInt32BE(8);
        this.stop(`truncated record at byte offset ${at}: header claims ${incl} bytes, ${tailLen - hl} present`);
      }
    } else {
      if (tailLen < 8) {
        this.stop(`truncated block header at byte offset ${at}: 12 bytes needed, ${tailLen} present`);
      } else {
        let ble = le;
        if (tailLen >= 12 && tail.readUInt32LE(0) === PCAPNG_SHB) ble = tail.readUInt32LE(8) === PCAPNG_BOM;
        const len = ble ? tail.readUInt32LE(4) : tail.readUInt32BE(4);
        this.stop(`truncated block at byte offset ${at}: header claims ${len} bytes, ${tailLen} present`);
      }
    }
  }
}

/**
 * Feeds chunks to a CaptureParser, keeping a carry-over buffer for a record split across chunks.
 * The caller may reuse a chunk's memory once `feed` returns.
 */
class ChunkFeeder {
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;

  constructor(private readonly parser: CaptureParser) {}

  /** Returns false once the parser has stopped (damage found): stop reading. */
  feed(chunk: Buffer): boolean {
    const parser = this.parser;
    const n = chunk.length;
    let pos = 0;
    while (this.carryLen > 0) {
      if (pos >= n) return !parser.stopped;
      const want = parser.need - this.carryLen;
      const take = want < n - pos ? want : n - pos;
      if (take > 0) {
        this.ensure(this.carryLen + take);
        chunk.copy(this.carry, this.carryLen, pos, pos + take);
        this.carryLen += take;
        pos += take;
      }
      if (this.carryLen < parser.need) return true;
      const used = parser.parse(this.carry, 0, this.carryLen);
      if (parser.stopped) {
        this.carryLen = 0;
        return false;
      }
      if (used >= this.carryLen) this.carryLen = 0;
      else if (used > 0) {
        this.carry.copyWithin(0, used, this.carryLen);
        this.carryLen -= used;
      }
    }
    if (pos >= n) return !parser.stopped;
    const used = parser.parse(chunk, pos, n);
    if (parser.stopped) return false;
    if (used < n) {
      this.ensure(n - used);
      chunk.copy(this.carry, 0, used, n);
      this.carryLen = n - used;
    }
    return true;
  }

  private ensure(size: number): void {
    if (this.carry.length >= size) return;
    let cap = Math.max(this.carry.length * 2, 65536);
    if (cap < size) cap = size;
    const next = Buffer.allocUnsafe(cap);
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  finish(compressed: boolean): void {
    this.parser.finish(this.carry, this.carryLen, compressed);
    this.carryLen = 0;
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  throw new TypeError('capture stream yielded a non-binary chunk');
}

function errCode(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return e instanceof Error ? e.message.split('\n')[0] : String(e).split('\n')[0];
}

function openErrorFor(path: string, e: unknown): CaptureOpenError {
  const shown = displayPath(path);
  const code = errCode(e);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new CaptureOpenError(path, `${shown}: no such file`);
    case 'EISDIR':
      return new CaptureOpenError(path, `${shown}: is a directory`);
    case 'EACCES':
    case 'EPERM':
      return new CaptureOpenError(path, `${shown}: permission denied`);
    default:
      return new CaptureOpenError(path, `${shown}: cannot read (${code})`);
  }
}

/**
 * Decode the stream of chunks (already decompressed, or to be decompressed when gzip magic is
 * seen). Shared by files that need a stream (gzip, FIFOs) and by readCaptureStream.
 */
async function consumeStream(
  source: AsyncIterable<unknown>,
  parser: CaptureParser,
  options: ReadCaptureOptions | undefined,
  totalBytes: number | null,
): Promise<void> {
  const onProgress = options?.onProgress;
  const it = source[Symbol.asyncIterator]();
  let rawRead = 0;
  const prefix: Buffer[] = [];
  let prefixLen = 0;
  let ended = false;
  // Sniff at least two bytes for the gzip magic.
  try {
    while (prefixLen < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      if (b.length === 0) continue;
      prefix.push(b);
      prefixLen += b.length;
      rawRead += b.length;
    }
  } catch (e) {
    throw openErrorFor(parser.info.path, e);
  }
  const head = prefix.length === 1 ? prefix[0] : Buffer.concat(prefix);
  const gz = prefixLen >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const feeder = new ChunkFeeder(parser);

  if (!gz) {
    let go = true;
    for (const b of prefix) if (go) go = feeder.feed(b);
    if (onProgress) onProgress(rawRead, totalBytes);
    if (go && !ended) {
      for (;;) {
        let r: IteratorResult<unknown>;
        try {
          r = await it.next();
        } catch (e) {
          if (parser.state === STATE_START) throw openErrorFor(parser.info.path, e);
          parser.warn(`read error after ${rawRead} bytes (${errCode(e)}); kept what was read`);
          parser.info.truncated = true;
          break;
        }
        if (r.done) break;
        const b = toBuffer(r.value);
        rawRead += b.length;
        // Exceptions from the parser (CaptureOpenError) or from onFrame propagate as they are.
        if (!feeder.feed(b)) {
          go = false;
          break;
        }
        if (onProgress) onProgress(rawRead, totalBytes);
      }
      if (!go && it.return) await it.return(undefined).catch(() => undefined);
    }
    if (go) feeder.finish(false);
    return;
  }

  parser.info.compressed = true;
  let readError: unknown = null;
  async function* raw(): AsyncGenerator<Buffer> {
    for (const b of prefix) yield b;
    if (ended) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const b = toBuffer(r.value);
        rawRead += b.length;
        yield b;
        if (onProgress) onProgress(rawRead, totalBytes);
      }
    } catch (e) {
      readError = e;
    } finally {
      if (it.return) await it.return(undefined).catch(() => undefined);
    }
  }
  const src = Readable.from(raw());
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (e: unknown) => gunzip.destroy(e instanceof Error ? e : new Error(String(e))));
  src.pipe(gunzip);
  let go = true;
  let unzipped = 0;
  const out = gunzip[Symbol.asyncIterator]();
  try {
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await out.next();
      } catch (e) {
        const what = errCode(e) === 'Z_BUF_ERROR' ? 'gzip stream cut short' : `gzip stream damaged (${errCode(e)})`;
        if (parser.state === STATE_START && unzipped === 0) {
          throw new CaptureOpenError(parser.info.path, `${displayPath(parser.info.path)}: ${what}`);
        }
        parser.warn(`${what} after ${unzipped} uncompressed bytes; kept what was read`);
        parser.info.truncated = true;
        break;
      }
      if (r.done) break;
      const b = toBuffer(r.value);
      unzipped += b.length;
      // Exceptions from the parser (CaptureOpenError) or from onFrame propagate as they are.
      if (!feeder.feed(b)) {
        go = false;
        break;
      }
    }
  } finally {
    src.destroy();
    gunzip.destroy();
  }
  if (readError !== null) {
    parser.warn(`read error after ${rawRead} bytes (${errCode(readError)}); kept what was read`);
    parser.info.truncated = true;
  }
  if (onProgress) onProgress(rawRead, totalBytes);
  if (go) feeder.finish(true);
}

function finalize(parser: CaptureParser): CaptureInfo {
  const info = parser.info;
  info.bytes = parser.consumed;
  return info;
}

/**
 * Read a capture file (`'-'` = standard input), calling `onFrame` synchronously for every packet
 * with one reused Frame. Resolves with what was learned about the input; rejects with
 * CaptureOpenError when the input is not a capture at all. Exceptions thrown by `onFrame`
 * propagate unchanged.
 */
export async function readCapture(path: string, onFrame: FrameCallback, options?: ReadCaptureOptions): Promise<CaptureInfo> {
  if (path === '-') return readCaptureStream(process.stdin, path, onFrame, options);
  const parser = new CaptureParser(path, onFrame, options?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw openErrorFor(path, e);
  }
  if (st.isDirectory()) throw new CaptureOpenError(path, `${displayPath(path)}: is a directory`);
  if (!st.isFile()) {
    // FIFO, character device, …: size unknown, read as a stream.
    await consumeStream(createReadStream(path, { highWaterMark: READ_CHUNK }), parser, options, null);
    return finalize(parser);
  }
  if (st.size === 0) throw new CaptureOpenError(path, `${displayPath(path)}: empty file`);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw openErrorFor(path, e);
  }
  const onProgress = options?.onProgress;
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let n: number;
    try {
      n = (await fh.read(buf, 0, READ_CHUNK, null)).bytesRead;
    } catch (e) {
      throw openErrorFor(path, e);
    }
    if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      const first = Buffer.from(buf.subarray(0, n));
      const rest = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
      async function* chunks(): AsyncGenerator<Buffer> {
        yield first;
        for await (const c of rest) yield toBuffer(c);
      }
      await consumeStream(chunks(), parser, options, st.size);
      return finalize(parser);
    }
    parser.knownTotal = st.size;
    const feeder = new ChunkFeeder(parser);
    // Two buffers: the next chunk is read (on libuv's thread pool) while this one is parsed. The
    // feeder copies any partial record out of a chunk, so a buffer is free again once fed.
    const spare = Buffer.allocUnsafe(READ_CHUNK);
    const readInto = (b: Buffer): Promise<number | Error> =>
      fh.read(b, 0, READ_CHUNK, null).then((r) => r.bytesRead, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    let current = buf;
    let next = spare;
    let read = 0;
    let go = true;
    let got: number | Error = n;
    while (typeof got === 'number' && got > 0) {
      n = got;
      read += n;
      const ahead = readInto(next);
      go = feeder.feed(n === READ_CHUNK ? current : current.subarray(0, n));
      if (onProgress) onProgress(read, st.size);
      got = await ahead;
      if (!go) break;
      const t = current;
      current = next;
      next = t;
    }
    if (go && got instanceof Error) {
      const e = got;
      if (parser.state === STATE_START) throw openErrorFor(path, e);
      parser.warn(`read error after ${read} bytes (${errCode(e)}); kept what was read`);
      parser.info.truncated = true;
    }
    if (go) feeder.finish(false);
    return finalize(parser);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Read a capture from any readable byte stream (gzip detected by magic bytes). `path` is only
 * used to name the input in messages and in `info.path`.
 */
export async function readCaptureStream(
  stream: NodeJS.ReadableStream | Readable,
  path: string,
  onFrame: FrameCallback,
  options?: ReadCaptureOptions,
): Promise<CaptureInfo> {
  const parser = new CaptureParser(path, onFrame, options?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  const iterable = stream as AsyncIterable<unknown>;
  await consumeStream(iterable, parser, options, null);
  return finalize(parser);
}
