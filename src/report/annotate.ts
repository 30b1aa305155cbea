/**
 * `rstdiag annotate`: the capture again, as pcapng, with a packet comment (opt_comment) on every
 * evidence packet naming the finding, its rule and what the packet shows, so that Wireshark's
 * packet list and Expert Info carry the diagnosis. Same packets in the same order with the same
 * timestamps; every interface kept (link type, snaplen, name, timestamp resolution).
 */
import { readCapture } from '../capture/reader.js';
import type { CaptureInfo, InterfaceInfo } from '../capture/types.js';
import { PcapngWriter, type WriterInterface } from '../capture/pcapng-writer.js';
import type { FindingWithEvidence } from './types.js';

/** The comments each frame gets: one per finding it is evidence of (copies included). */
export function evidenceComments(findings: readonly FindingWithEvidence[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (frame: number, comment: string): void => {
    const list = out.get(frame);
    if (list === undefined) out.set(frame, [comment]);
    else if (!list.includes(comment)) list.push(comment);
  };
  for (const f of findings) {
    const first = f.evidence[0];
    if (first !== undefined) add(first.frame, `rstdiag ${f.id} ${f.rule} (${f.severity}): ${f.summary}`);
    for (const e of f.evidence) {
      const note = e.note === '' ? e.label : e.note;
      add(e.frame, `rstdiag ${f.id} ${f.rule}: ${note}`);
      for (const c of e.copies) add(c, `rstdiag ${f.id} ${f.rule}: ${note} (copy of frame ${e.frame})`);
    }
  }
  return out;
}

/** Decimal digits of an interface's timestamps; resolutions pcapng cannot keep exactly → ns. */
function tsDigits(i: InterfaceInfo): number {
  const m = /^10\^-(\d+)$/.exec(i.tsResolution);
  const digits = m ? Number(m[1]) : 9;
  return digits <= 9 ? digits : 9;
}

export interface AnnotateResult {
  info: CaptureInfo;
  packets: number;
  commented: number;
  bytes: number;
}

/** Copies `path` to `out` (pcapng) with `comments` (by frame number) on their packets. */
export async function annotateCapture(path: string, out: string, comments: ReadonlyMap<number, readonly string[]>, userAppl: string): Promise<AnnotateResult> {
  const writer = new PcapngWriter(out, userAppl);
  let info: CaptureInfo | null = null;
  let commented = 0;
  try {
    const result = await readCapture(path, (frame) => {
      const index = frame.interfaceIndex ?? frame.interfaceId;
      // Interfaces are declared in the input's order, each before the first packet on it.
      while (info !== null && writer.interfaces <= index && writer.interfaces < info.interfaces.length) {
        const i = info.interfaces[writer.interfaces]!;
        const wi: WriterInterface = { linkType: i.linkType, snapLen: i.snapLen, name: i.name, description: i.description, tsDigits: tsDigits(i) };
        writer.addInterface(wi);
      }
      const c = comments.get(frame.frameNumber) ?? [];
      if (c.length > 0) commented++;
      writer.packet(index, frame.tsSec, frame.tsNsec, frame.data, frame.originalLength, c);
    }, { onInfo: (i) => { info = i; } });
    return { info: result, packets: writer.packets, commented, bytes: writer.bytes };
  } finally {
    writer.close();
  }
}
