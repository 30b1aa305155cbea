import type { ConnEvent } from '../flow/types.js';
import { flagText } from '../rules/evidence.js';
import type { EvidencePacket, SeenAt } from '../rules/types.js';
import type { ConnectionGroups } from './connections.js';
import type { ConnIdentity } from './identity.js';
import { MAX_CLOCK_OFFSET } from './clock.js';
import { matchPackets, samePacket } from './packets.js';

/** One input as the join sees it. */
export interface JoinInput {
  /** The file name, to name the input in sentences. */
  name: string;
  identities: readonly ConnIdentity[];
  /** Clock offset against the first input (null: unknown). */
  offset: number | null;
}

/** After removing the clock offsets, copies of one packet are this close (seconds). */
const MATCH_TOLERANCE = 0.5;
/** Packets an identity keeps in order before only notable ones are kept (src/flow/evidence.ts). */
const IN_ORDER = 24;
/** Vanished packets stated per finding. */
const MAX_VANISHED = 3;

/** `input#frame` with inputs numbered from 1, as the text reports name them. */
export function ref(input: number, frame: number): string {
  return `${input + 1}#${frame}`;
}

interface Located {
  conn: ConnIdentity;
  ev: ConnEvent;
}

/** A packet seen at some inputs and missing at another that saw the connection go on. */
interface Vanished {
  row: EvidencePacket;
  seen: SeenAt[];
  missingAt: number;
  later: { frame: number; retransmission: boolean; label: string };
}

/** Cross-input evidence: where each evidence packet appears, and where it is missing. */
export class JointEvidence {
  private readonly byId: Map<number, ConnIdentity>[];
  /** Per input, frame → connection, built when a row is not in its finding's connections. */
  private readonly byFrame: (Map<number, ConnIdentity> | undefined)[] = [];

  constructor(private readonly inputs: readonly JoinInput[], private readonly groups: ConnectionGroups) {
    this.byId = inputs.map((inp) => new Map(inp.identities.map((c) => [c.id, c])));
  }

  /**
   * The rows of a finding of input `a` (about connections `connIds` of that input), each tagged
   * with its input and the frames of the same packet elsewhere (also in its note); plus sentences
   * naming packets that vanished between inputs.
   */
  annotate(a: number, rows: readonly EvidencePacket[], connIds: readonly number[]): { rows: EvidencePacket[]; vanished: string[] } {
    const conns = connIds.map((id) => this.byId[a]!.get(id)).filter((c): c is ConnIdentity => c !== undefined);
    const out: EvidencePacket[] = [];
    const vanished: Vanished[] = [];
    for (const row of rows) {
      const tagged: EvidencePacket = { ...row, input: a };
      const at = locate(conns, row.frame) ?? this.anywhere(a, row.frame);
      if (at !== undefined) {
        const { seen, missing } = this.elsewhere(a, at);
        if (seen.length > 0) {
          tagged.seenAt = seen;
          const also = `also ${seen.map((s) => ref(s.input, s.frame)).join(', ')}`;
          tagged.note = tagged.note ? `${tagged.note}; ${also}` : also;
        }
        for (const m of missing) vanished.push({ row: tagged, seen, ...m });
      }
      out.push(tagged);
    }
    return { rows: out, vanished: this.sentences(a, vanished) };
  }

  private anywhere(a: number, frame: number): Located | undefined {
    let m = this.byFrame[a];
    if (m === undefined) {
      m = new Map();
      for (const conn of this.inputs[a]!.identities) {
        for (const ev of conn.packets.events()) for (const f of [ev.frame, ...(ev.copies ?? [])]) m.set(f, conn);
      }
      this.byFrame[a] = m;
    }
    const conn = m.get(frame);
    return conn === undefined ? undefined : locate([conn], frame);
  }

  private elsewhere(a: number, at: Located): { seen: SeenAt[]; missing: Omit<Vanished, 'row' | 'seen'>[] } {
    const seen: SeenAt[] = [];
    const missing: Omit<Vanished, 'row' | 'seen'>[] = [];
    const g = this.groups.groupOf(a, at.conn.id);
    if (g === undefined) return { seen, missing };
    const offA = this.inputs[a]!.offset;
    this.inputs.forEach((inp, b) => {
      if (b === a) return;
      const members = this.groups.inInput(g, b);
      if (members.length === 0) return;
      const known = offA !== null && inp.offset !== null;
      const offset = known ? inp.offset! - offA! : 0;
      const tolerance = known ? MATCH_TOLERANCE : MAX_CLOCK_OFFSET;
      let found = false;
      const packetsOf = members.map((m) => m.conn.packets.events());
      members.forEach((m, k) => {
        for (const p of matchPackets([at.ev], packetsOf[k]!, offset, tolerance)) {
          found = true;
          const dir = p.b.dir;
          seen.push({ input: b, frame: p.b.frame, sec: p.b.sec, nsec: p.b.nsec,
            from: dir === 0 ? m.conn.orig : m.conn.resp, to: dir === 0 ? m.conn.resp : m.conn.orig });
        }
      });
      if (found || !known) return;
      // Missing here: stated only when this input saw the same side send later (it was on the
      // path then) and its packets up to that one are all kept.
      for (const [k, m] of members.entries()) {
        const packets = packetsOf[k]!;
        const i = packets.findIndex((e) => e.dir === at.ev.dir && e.t - offset > at.ev.t);
        if (i < 0 || (!m.conn.complete && i >= IN_ORDER)) continue;
        const e = packets[i]!;
        const retransmission = samePacket({ ...at.ev, ipId: -1, hasTs: false }, { ...e, ipId: -1, hasTs: false });
        missing.push({ missingAt: b, later: { frame: e.frame, retransmission, label: flagText(e.flags) } });
        return;
      }
    });
    return { seen, missing };
  }

  private sentences(a: number, all: Vanished[]): string[] {
    const name = (i: number): string => this.inputs[i]!.name;
    // One packet on two interfaces of one input (before and after NAT) is one story.
    const told = new Set<string>();
    const vanished = all.filter((v) => {
      const k = `${v.missingAt} ${v.later.frame}`;
      return !told.has(k) && told.add(k);
    });
    const out = vanished.slice(0, MAX_VANISHED).map((v) => {
      const seen = [{ input: a, frame: v.row.frame }, ...v.seen].sort((x, y) => x.input - y.input);
      const seenText = seen.map((s) => `${name(s.input)} (${ref(s.input, s.frame)})`);
      const later = v.later.retransmission ? 'its retransmission' : `a later ${v.later.label} from the same side`;
      const what = v.row.len > 0 ? `${v.row.label} with ${v.row.len} bytes` : v.row.label;
      return `The ${what} ${v.row.from} → ${v.row.to} is in ${joinWords(seenText)} but not in ${name(v.missingAt)}, which saw ${later} (${ref(v.missingAt, v.later.frame)}): it was lost on the way between them.`;
    });
    if (vanished.length > MAX_VANISHED) out.push(`(${vanished.length - MAX_VANISHED} more such packets.)`);
    return out;
  }
}

/** The connection and packet of a frame among these connections. */
function locate(conns: readonly ConnIdentity[], frame: number): Located | undefined {
  for (const conn of conns) {
    const ev = conn.packets.findFrame(frame);
    if (ev !== undefined) return { conn, ev };
  }
  return undefined;
}

function joinWords(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
