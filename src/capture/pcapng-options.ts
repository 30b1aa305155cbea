/**
 * pcapng options: the (code, length, value) list at the end of a block, and what the reader takes
 * from it (comments from every block; name, description, if_tsresol, if_tsoffset from an IDB).
 */

import { interfaceClock, readTsOffset, InterfaceClock } from './interface-clock.js';
import { optionString, ReadState } from './read-state.js';
import { InterfaceInfo } from './types.js';

export const OPT_COMMENT = 1;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/**
 * Walk the options in buf[start, end), calling `visit` with each option's code, value start and
 * value length. Returns false when an option overruns the block.
 */
function walkOptions(
  dv: DataView,
  start: number,
  end: number,
  le: boolean,
  visit: (code: number, valueStart: number, valueLength: number) => void,
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

/** Collect the comments among the options in buf[start, end); false when the options are damaged. */
export function readComments(state: ReadState, buf: Buffer, dv: DataView, start: number, end: number, le: boolean): boolean {
  return walkOptions(dv, start, end, le, (code, vs, vl) => {
    if (code === OPT_COMMENT) state.addComment(buf, vs, vl);
  });
}

/** An interface description block's body (p: block start, len: block length ≥ 20). */
export function readInterfaceBlock(
  state: ReadState,
  buf: Buffer,
  dv: DataView,
  p: number,
  len: number,
  le: boolean,
): { clock: InterfaceClock; info: InterfaceInfo; optionsIntact: boolean } {
  const linkType = dv.getUint16(p + 8, le);
  const snapLen = dv.getUint32(p + 12, le);
  let name: string | null = null;
  let description: string | null = null;
  let tsresol = 6;
  let tsOffset = 0;
  const optionsIntact = walkOptions(dv, p + 16, p + len - 4, le, (code, vs, vl) => {
    if (code === IF_NAME && name === null) name = optionString(buf, vs, vl);
    else if (code === IF_DESCRIPTION && description === null) description = optionString(buf, vs, vl);
    else if (code === IF_TSRESOL && vl >= 1) tsresol = buf[vs];
    else if (code === IF_TSOFFSET && vl >= 8) tsOffset = readTsOffset(dv, vs, le);
    else if (code === OPT_COMMENT) state.addComment(buf, vs, vl);
  });
  const { clock, resolution } = interfaceClock(linkType, snapLen, tsresol, tsOffset);
  return { clock, info: { linkType, name, description, snapLen, tsResolution: resolution }, optionsIntact };
}
