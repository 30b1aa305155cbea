/**
 * The interface each evidence frame was captured on: the pcapng Interface Description Block's name
 * (if_name) and, for Linux cooked v2 frames (`tcpdump -i any`), the interface index in the SLL2
 * header (cooked v1 has none). Read after the analysis from the evidence frames alone, so the hot
 * path carries nothing for it: the capture is read again up to the last evidence frame, and only
 * when it can name interfaces at all (pcapng, or SLL2 frames); standard input is not read again.
 */
import type { CaptureInfo } from '../capture/types.js';
import { u32 } from '../decode/bytes.js';
import type { CaptureInterface, EvidencePacket } from '../rules/types.js';
import type { Analysis, EvidenceReport, InputReport } from './types.js';

const LINKTYPE_LINUX_SLL2 = 276;
/** Byte offset of the interface index in the SLL2 header (after protocol type and reserved). */
const SLL2_IFINDEX = 4;

/** Thrown from the frame callback once every wanted frame is behind: ends the read early. */
class Done extends Error {}

/** The interfaces of these frames of one capture (frames without any interface information are left out). */
export async function frameInterfaces(path: string, frames: ReadonlySet<number>): Promise<Map<number, CaptureInterface>> {
  const out = new Map<number, CaptureInterface>();
  if (frames.size === 0 || path === '-') return out;
  const last = Math.max(...frames);
  let info: CaptureInfo | null = null;
  // Loaded here: a threaded analysis never needs the reader otherwise.
  const { readCapture } = await import('../capture/reader.js');
  try {
    await readCapture(path, (frame) => {
      if (frames.has(frame.frameNumber)) {
        const at: CaptureInterface = {};
        const name = info?.interfaces[frame.interfaceIndex ?? frame.interfaceId]?.name;
        if (name !== null && name !== undefined && name !== '' && name !== 'any') at.name = name;
        if (frame.linkType === LINKTYPE_LINUX_SLL2 && frame.data.length >= SLL2_IFINDEX + 4) {
          at.ifIndex = u32(frame.data, SLL2_IFINDEX);
        }
        if (at.name !== undefined || at.ifIndex !== undefined) out.set(frame.frameNumber, at);
      }
      if (frame.frameNumber >= last) throw new Done();
    }, { onInfo: (i) => { info = i; } });
  } catch (err) {
    // The analysis read this capture already: a failure now costs only the interface names.
    if (!(err instanceof Done)) return out;
  }
  return out;
}

function canName(input: InputReport): boolean {
  return input.format === 'pcapng' || input.linkTypes.includes(LINKTYPE_LINUX_SLL2);
}

/** Each evidence row (text and JSON) gets the interface of its frame, its copies and its sightings in other inputs. */
export async function addInterfaces(a: Analysis): Promise<void> {
  const inputs = a.report.inputs;
  const wanted = inputs.map(() => new Set<number>());
  const want = (input: number | undefined, frame: number): void => { wanted[input ?? 0]?.add(frame); };
  for (const f of a.findings) {
    for (const e of f.evidence) {
      want(e.input, e.frame);
      for (const c of e.copies) want(e.input, c);
      for (const s of e.seenAt ?? []) want(s.input, s.frame);
    }
  }
  const found = await Promise.all(inputs.map((input, i) => canName(input) ? frameInterfaces(input.path, wanted[i]!) : new Map<number, CaptureInterface>()));
  const at = (input: number | undefined, frame: number): CaptureInterface | undefined => found[input ?? 0]?.get(frame);
  if (found.every((m) => m.size === 0)) return;
  for (const f of a.findings) {
    for (const e of f.evidence) tagPacket(e, at);
  }
  for (const f of a.report.findings) for (const row of f.evidence ?? []) tagRow(row, at(row.input, row.frame));
}

function tagPacket(e: EvidencePacket, at: (input: number | undefined, frame: number) => CaptureInterface | undefined): void {
  const own = at(e.input, e.frame);
  if (own !== undefined) e.iface = own;
  const copies = e.copies.map((c) => at(e.input, c));
  if (copies.some((c) => c !== undefined)) e.copyIfaces = copies;
  for (const s of e.seenAt ?? []) {
    const there = at(s.input, s.frame);
    if (there !== undefined) s.iface = there;
  }
}

function tagRow(row: EvidenceReport, iface: CaptureInterface | undefined): void {
  if (iface?.name !== undefined) row.interface = iface.name;
  if (iface?.ifIndex !== undefined) row.ifIndex = iface.ifIndex;
}
