/**
 * pcapng: the block loop. Section header blocks (byte order, version; interfaces reset per
 * section), interface description blocks, enhanced / obsolete / simple packet blocks, and the
 * non-packet records Wireshark numbers as frames.
 */

import { captureOpenError, hexBytes } from './capture-errors.js';
import { InterfaceClock, setFrameTime } from './interface-clock.js';
import { readComments, readInterfaceBlock } from './pcapng-options.js';
import { ReadState } from './read-state.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;

export const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
export const BT_EPB = 6;

/** Smallest block: type, length, trailing length. */
export const BLOCK_HEADER_LENGTH = 12;
const SHB_MIN_LENGTH = 28;
const IDB_MIN_LENGTH = 20;
const SPB_MIN_LENGTH = 16;
const EPB_MIN_LENGTH = 32;

/** A section header's byte-order magic at p + 8: true little-endian, false big-endian, null neither. */
function sectionByteOrder(dv: DataView, p: number): boolean | null {
  const bom = dv.getUint32(p + 8, true);
  if (bom === PCAPNG_BOM) return true;
  if (bom === PCAPNG_BOM_SWAPPED) return false;
  return null;
}

function supportedVersion(major: number, minor: number): boolean {
  return major === 1 && (minor === 0 || minor === 2);
}

export class PcapngBlockParser {
  private le = true;
  private interfaces: InterfaceClock[] = [];
  /** Index in info.interfaces of this section's interface 0. */
  private sectionBase = 0;
  private warnedBadInterface = new Set<number>();
  private warnedNoInterface0 = false;
  private warnedOptions = false;
  /** The chunk being parsed, as an ArrayBuffer and the chunk's offset in it (fetched once per chunk). */
  private memory: ArrayBufferLike = new ArrayBuffer(0);
  private memoryOffset = 0;

  constructor(private readonly state: ReadState) {}

  /**
   * Read the first section header at p. Returns the position after it, or p when more bytes are
   * needed (state.need says how many). Throws CaptureOpenError for anything that is not pcapng.
   */
  openFirstSection(buf: Buffer, dv: DataView, p: number, end: number): number {
    const state = this.state;
    const path = state.info.path;
    const avail = end - p;
    if (avail < BLOCK_HEADER_LENGTH) {
      state.need = BLOCK_HEADER_LENGTH;
      return p;
    }
    const le = sectionByteOrder(dv, p);
    if (le === null) {
      throw captureOpenError(path, `not a pcap or pcapng capture (pcapng byte-order magic ${hexBytes(buf, p + 8, p + 12)})`);
    }
    const len = dv.getUint32(p + 4, le);
    if (len < SHB_MIN_LENGTH || len % 4 !== 0 || len > state.maxRecord) {
      throw captureOpenError(path, `damaged pcapng section header (block length ${len})`);
    }
    if (avail < len) {
      if (state.knownTotal !== null && state.consumed + len > state.knownTotal) {
        throw captureOpenError(path, `pcapng section header cut short (${len} bytes claimed, ${state.knownTotal - state.consumed} present)`);
      }
      state.need = len;
      return p;
    }
    const major = dv.getUint16(p + 12, le);
    const minor = dv.getUint16(p + 14, le);
    if (!supportedVersion(major, minor)) throw captureOpenError(path, `unsupported pcapng version ${major}.${minor}`);
    if (dv.getUint32(p + len - 4, le) !== len) throw captureOpenError(path, `damaged pcapng section header (trailer length mismatch)`);
    this.le = le;
    state.info.format = 'pcapng';
    this.readSectionOptions(buf, dv, p, len, state.consumed);
    state.consumed += len;
    state.need = BLOCK_HEADER_LENGTH;
    return p + len;
  }

  /** Decode every complete block in buf[start, end); returns where the first incomplete one starts. */
  parse(buf: Buffer, start: number, end: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const state = this.state;
    const base = state.consumed - start;
    const maxRecord = state.maxRecord;
    this.memory = buf.buffer;
    this.memoryOffset = buf.byteOffset;
    let p = start;
    for (;;) {
      if (end - p < BLOCK_HEADER_LENGTH) {
        state.need = BLOCK_HEADER_LENGTH;
        break;
      }
      const at = base + p;
      let le = this.le;
      const type = dv.getUint32(p, le);
      if (type === PCAPNG_SHB) {
        const sectionLe = sectionByteOrder(dv, p);
        if (sectionLe === null) {
          state.stop(`damaged section header block at byte offset ${at}: bad byte-order magic ${hexBytes(buf, p + 8, p + 12)}; stopped reading`);
          break;
        }
        le = sectionLe;
      }
      const len = dv.getUint32(p + 4, le);
      if (len < BLOCK_HEADER_LENGTH || (len & 3) !== 0) {
        state.stop(`damaged block at byte offset ${at}: block length ${len} is ${len < BLOCK_HEADER_LENGTH ? 'below the 12-byte minimum' : 'not a multiple of 4'}; stopped reading`);
        break;
      }
      if (len > maxRecord) {
        state.stop(`block at byte offset ${at} claims ${len} bytes (more than the ${maxRecord}-byte limit); stopped reading`);
        break;
      }
      if (end - p < len) {
        if (state.knownTotal !== null && at + len > state.knownTotal) {
          state.stop(`truncated block at byte offset ${at}: header claims ${len} bytes, ${Math.max(0, state.knownTotal - at)} present`);
          break;
        }
        state.need = len;
        break;
      }
      if (dv.getUint32(p + len - 4, le) !== len) {
        state.stop(`damaged block at byte offset ${at}: trailing length ${dv.getUint32(p + len - 4, le)} does not match leading length ${len}; stopped reading`);
        break;
      }

      if (type === BT_EPB || type === BT_OPB) {
        if (len < EPB_MIN_LENGTH) {
          this.blockTooShort('packet block', EPB_MIN_LENGTH, at, len);
          break;
        }
        if (!this.packetBlock(buf, dv, p, len, le, type === BT_EPB, at)) break;
      } else if (!this.otherBlock(buf, dv, p, len, le, type, at)) break;
      p += len;
    }
    state.consumed = base + p;
    return p;
  }

  /** An enhanced (or obsolete) packet block; false when it stops the read. */
  private packetBlock(buf: Buffer, dv: DataView, p: number, len: number, le: boolean, enhanced: boolean, at: number): boolean {
    const state = this.state;
    const ifid = enhanced ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
    const caplen = dv.getUint32(p + 20, le);
    const orig = dv.getUint32(p + 24, le);
    if (caplen > len - EPB_MIN_LENGTH) {
      state.stop(`damaged packet block at byte offset ${at}: captured length ${caplen} does not fit in a ${len}-byte block; stopped reading`);
      return false;
    }
    if (ifid >= this.interfaces.length) {
      this.badInterface(ifid, at);
      return true;
    }
    const clock = this.interfaces[ifid];
    setFrameTime(state.frame, clock, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le));
    if (caplen > orig || (clock.snapLen !== 0 && caplen > clock.snapLen)) state.lengthOddity(at, caplen, orig, clock.snapLen);
    const optStart = 28 + ((caplen + 3) & ~3);
    if (optStart < len - 4 && !state.commentsFull) readComments(state, buf, dv, p + optStart, p + len - 4, le);
    state.frame.interfaceIndex = this.sectionBase + ifid;
    state.deliver(this.memory, this.memoryOffset + p + 28, clock.linkType, ifid, caplen, orig, at);
    return true;
  }

  /** Any block but EPB / OPB; false when it stops the read. */
  private otherBlock(buf: Buffer, dv: DataView, p: number, len: number, le: boolean, type: number, at: number): boolean {
    const state = this.state;
    switch (type) {
      case PCAPNG_SHB: {
        if (len < SHB_MIN_LENGTH) return this.blockTooShort('section header block', SHB_MIN_LENGTH, at, len);
        const major = dv.getUint16(p + 12, le);
        const minor = dv.getUint16(p + 14, le);
        if (!supportedVersion(major, minor)) {
          state.stop(`section header block at byte offset ${at} has unsupported version ${major}.${minor}; stopped reading`);
          return false;
        }
        this.le = le;
        this.interfaces = [];
        this.sectionBase = state.info.interfaces.length;
        this.readSectionOptions(buf, dv, p, len, at);
        return true;
      }
      case BT_IDB: {
        if (len < IDB_MIN_LENGTH) return this.blockTooShort('interface description block', IDB_MIN_LENGTH, at, len);
        const { clock, info, optionsIntact } = readInterfaceBlock(state, buf, dv, p, len, le);
        if (!optionsIntact) this.optionsDamaged('interface description block', at);
        this.interfaces.push(clock);
        state.info.interfaces.push(info);
        return true;
      }
      case BT_SPB: {
        if (len < SPB_MIN_LENGTH) return this.blockTooShort('simple packet block', SPB_MIN_LENGTH, at, len);
        if (this.interfaces.length === 0) {
          if (!this.warnedNoInterface0) {
            this.warnedNoInterface0 = true;
            state.warn(`simple packet block at byte offset ${at} but the section defines no interface; skipped (further occurrences not reported)`);
          }
          return true;
        }
        const clock = this.interfaces[0];
        const orig = dv.getUint32(p + 8, le);
        let caplen = orig;
        if (clock.snapLen !== 0 && caplen > clock.snapLen) caplen = clock.snapLen;
        if (caplen > len - SPB_MIN_LENGTH) caplen = len - SPB_MIN_LENGTH;
        // An SPB has no timestamp.
        state.frame.tsSec = 0;
        state.frame.tsNsec = 0;
        state.frame.interfaceIndex = this.sectionBase;
        state.deliver(this.memory, this.memoryOffset + p + 12, clock.linkType, 0, caplen, orig, at);
        return true;
      }
      case 0x00000bad: // custom block (copiable)
      case 0x40000bad: // custom block (not copiable)
      case 0x00000009: // systemd journal export
      case 0x00000204: // sysdig event
      case 0x00000216: // sysdig event v2
      case 0x00000221: // sysdig event v2 large
        // Wireshark numbers these as frames; keep frame numbers in step.
        state.frameCount++;
        state.info.otherRecords = (state.info.otherRecords ?? 0) + 1;
        return true;
      default:
        // NRB, ISB, DSB and unknown blocks: skipped by their length.
        return true;
    }
  }

  /** Stops the read; returns false for the caller to pass on. */
  private blockTooShort(what: string, minimum: number, at: number, len: number): false {
    this.state.stop(`damaged ${what} at byte offset ${at}: length ${len} below the ${minimum}-byte minimum; stopped reading`);
    return false;
  }

  private badInterface(ifid: number, at: number): void {
    if (this.warnedBadInterface.has(ifid) || this.warnedBadInterface.size > 16) return;
    this.warnedBadInterface.add(ifid);
    this.state.warn(`packet block at byte offset ${at} names interface ${ifid}, which its section does not define (${this.interfaces.length} defined); skipped, not numbered (further occurrences for this id not reported)`);
  }

  private optionsDamaged(what: string, at: number): void {
    if (this.warnedOptions) return;
    this.warnedOptions = true;
    this.state.warn(`${what} at byte offset ${at}: an option runs past the end of the block; remaining options ignored (further occurrences not reported)`);
  }

  private readSectionOptions(buf: Buffer, dv: DataView, p: number, len: number, at: number): void {
    if (!readComments(this.state, buf, dv, p + 24, p + len - 4, this.le)) this.optionsDamaged('section header block', at);
  }

  /** End of input with `tailLen` bytes of an incomplete block in `tail`. */
  finishTail(tail: Buffer, tailLen: number): void {
    const at = this.state.consumed;
    if (tailLen < 8) {
      this.state.stop(`truncated block header at byte offset ${at}: 12 bytes needed, ${tailLen} present`);
      return;
    }
    const dv = new DataView(tail.buffer, tail.byteOffset, tailLen);
    const le = tailLen >= 12 && dv.getUint32(0, true) === PCAPNG_SHB ? sectionByteOrder(dv, 0) === true : this.le;
    this.state.stop(`truncated block at byte offset ${at}: header claims ${dv.getUint32(4, le)} bytes, ${tailLen} present`);
  }
}

/** The length a section header cut short at end of input claims (12 or more bytes present). */
export function claimedSectionLength(tail: Buffer, tailLen: number): number {
  const dv = new DataView(tail.buffer, tail.byteOffset, tailLen);
  return dv.getUint32(4, sectionByteOrder(dv, 0) === true);
}
