import type { ConnEvent } from '../flow/types.js';
import { flagText } from '../rules/evidence.js';
import type { EvidencePacket, SeenAt } from '../rules/types.js';
import type { ConnectionGroups } from './connections.js';
import type { ConnIdentity } from './identity.js';
import { MAX_CLOCK_OFFSET } from './clock.js';
import { matchPackets, samePacket } from './packets.js';
import { locate as locatePath, whereLost, type Miss, type Sighting } from './path.js';

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

/** A packet of a finding's evidence, the points that saw it and those on its path that did not. */
interface Vanished {
  row: EvidencePacket;
  sightings: Sighting[];
  missing: Miss[];
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
        const { seen, sightings, missing } = this.elsewhere(a, at, row);
        if (seen.length > 0) {
          tagged.seenAt = seen;
          const also = `also ${seen.map((s) => ref(s.input, s.frame)).join(', ')}`;
          tagged.note = tagged.note ? `${tagged.note}; ${also}` : also;
        }
        vanished.push({ row: tagged, sightings, missing });
      }
      out.push(tagged);
    }
    return { rows: out, vanished: this.sentences(vanished) };
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

  /** Where else the packet of `at` was seen (seenAt rows), each point's sighting, and the points on its path that missed it. */
  private elsewhere(a: number, at: Located, row: EvidencePacket): { seen: SeenAt[]; sightings: Sighting[]; missing: Miss[] } {
    const seen: SeenAt[] = [];
    const sightings: Sighting[] = [];
    const missing: Miss[] = [];
    const g = this.groups.groupOf(a, at.conn.id);
    if (g === undefined) return { seen, sightings, missing };
    const offA = this.inputs[a]!.offset;
    const absent: { b: number; offset: number }[] = [];
    this.inputs.forEach((inp, b) => {
      const known = b === a || (offA !== null && inp.offset !== null);
      const offset = known && b !== a ? inp.offset! - offA! : 0;
      const tolerance = known ? MATCH_TOLERANCE : MAX_CLOCK_OFFSET;
      const members = this.groups.inInput(g, b);
      if (members.length === 0) {
        if (known && at.ev.dir === 0) absent.push({ b, offset });
        return;
      }
      const packetsOf = members.map((m) => m.conn.packets.events());
      const hits = sightingsOf(packetsOf, at.ev, offset, tolerance);
      if (hits.length > 0) {
        if (b !== a) {
          for (const h of hits) {
            const c = members[h.k]!.conn;
            seen.push({ input: b, frame: h.ev.frame, sec: h.ev.sec, nsec: h.ev.nsec,
              from: h.ev.dir === 0 ? c.orig : c.resp, to: h.ev.dir === 0 ? c.resp : c.orig });
          }
        }
        sightings.push(sighting(b, packetsOf, hits, members.map((m) => m.conn.complete)));
        return;
      }
      if (!known) return;
      // Missing here: stated only when this input saw the same side send later (it was on the
      // path then) and its packets up to that one are all kept.
      for (const [k, m] of members.entries()) {
        const packets = packetsOf[k]!;
        const i = packets.findIndex((e) => e.dir === at.ev.dir && e.t - offset > at.ev.t);
        if (i < 0 || (!m.conn.complete && i >= IN_ORDER)) continue;
        const e = packets[i]!;
        const why = resends(at.ev, e) ? 'retransmission' : 'later';
        missing.push({ input: b, frame: e.frame, ttl: e.ttl, why, label: flagText(e.flags) });
        return;
      }
    });
    // Points that saw none of the connection, once every sighting names the packet's addresses.
    for (const { b, offset } of absent) {
      const other = sameAddresses(this.inputs[b]!.identities, b, at.ev.t, offset, row, seen);
      if (other !== undefined) missing.push(other);
    }
    return { seen, sightings, missing };
  }

  private sentences(all: Vanished[]): string[] {
    const name = (i: number): string => this.inputs[i]!.name;
    // One packet on two interfaces of one input (before and after NAT) is one story; further
    // packets lost at the same place are counted after the first.
    const packets = new Set<string>();
    const places = new Map<string, { text: string; more: string[] }>();
    for (const v of all) {
      const where = locatePath(v.sightings, v.missing);
      if (v.missing.length === 0) continue;
      const elsewhere = v.sightings.filter((s) => s.input !== v.row.input).map((s) => ref(s.input, s.frame));
      const packet = [...elsewhere, ...v.missing.map((m) => ref(m.input, m.frame))].join(' ');
      if (packets.has(packet) && packet !== '') continue;
      packets.add(packet);
      const place = [v.row.from, v.sightings.map((s) => s.input), v.missing.map((m) => m.input), where.inside?.input ?? -1].join('|');
      const had = places.get(place);
      if (had !== undefined) {
        had.more.push(ref(v.row.input ?? 0, v.row.frame));
        continue;
      }
      const what = v.row.len > 0 ? `${v.row.label} with ${v.row.len} bytes` : v.row.label;
      places.set(place, { text: `The ${what} ${v.row.from} → ${v.row.to} ${whereLost(v.sightings, v.missing, name, ref)}`, more: [] });
    }
    const told = [...places.values()];
    const out = told.slice(0, MAX_VANISHED).map((p) => p.more.length === 0 ? p.text
      : `${p.text} ${p.more.length === 1 ? '1 more packet' : `${p.more.length} more packets`} vanished at the same place (${p.more.join(', ')}).`);
    if (told.length > MAX_VANISHED) out.push(`(${told.length - MAX_VANISHED} more such packets.)`);
    return out;
  }
}

/** `e` sends `a` again (a retransmission: the same segment, new IP ID and timestamp). */
function resends(a: ConnEvent, e: ConnEvent): boolean {
  return samePacket({ ...a, ipId: -1, hasTs: false }, { ...e, ipId: -1, hasTs: false });
}

/** The packet in the connections of one input (NAT halves: several), with the member it is in. */
function sightingsOf(packetsOf: readonly ConnEvent[][], ev: ConnEvent, offset: number, tolerance: number): { k: number; ev: ConnEvent }[] {
  const hits: { k: number; ev: ConnEvent }[] = [];
  packetsOf.forEach((packets, k) => { for (const p of matchPackets([ev], packets, offset, tolerance)) hits.push({ k, ev: p.b }); });
  return hits;
}

const framesOf = (hits: readonly { ev: ConnEvent }[]): number => hits.reduce((n, h) => n + 1 + (h.ev.copies?.length ?? 0), 0);

/** One point's sighting; `further` when the packet's retransmission appears in more frames there (copies, NAT halves). */
function sighting(input: number, packetsOf: readonly ConnEvent[][], hits: readonly { k: number; ev: ConnEvent }[], complete: readonly boolean[]): Sighting {
  const first = hits.reduce((x, y) => (y.ev.frame < x.ev.frame ? y : x));
  const s: Sighting = { input, frame: first.ev.frame, ttl: Math.max(...hits.map((h) => h.ev.ttl)), times: framesOf(hits) };
  const packets = packetsOf[first.k]!;
  const i = packets.findIndex((e) => e.dir === first.ev.dir && e.t > first.ev.t);
  if (i < 0 || (!complete[first.k] && i >= IN_ORDER)) return s;
  const next = packets[i]!;
  const times = framesOf(sightingsOf(packetsOf, next, 0, MATCH_TOLERANCE));
  if (times > s.times && resends(first.ev, next)) s.further = { frame: next.frame, times };
  return s;
}

/**
 * A point that saw none of this connection is on the packet's path when it saw packets from the
 * same source address to the same destination (as the points that saw this one name it) both
 * before and after it.
 */
function sameAddresses(identities: readonly ConnIdentity[], input: number, t: number, offset: number, row: EvidencePacket,
  seen: readonly SeenAt[]): Miss | undefined {
  const host = (endpoint: string): string => endpoint.replace(/:\d+$/, '');
  const source = host(row.from);
  const targets = new Set([row.to, ...seen.map((s) => s.to)]);
  let before: ConnEvent | undefined;
  let after: ConnEvent | undefined;
  let label = '';
  for (const c of identities) {
    if (host(c.orig) !== source || !targets.has(c.resp)) continue;
    for (const e of c.packets.events()) {
      if (e.dir !== 0) continue;
      if (e.t - offset < t && (before === undefined || e.t > before.t)) before = e;
      if (e.t - offset > t && (after === undefined || e.t < after.t)) {
        after = e;
        label = `packets from ${source} to ${c.resp}`;
      }
    }
  }
  if (before === undefined || after === undefined) return undefined;
  return { input, frame: before.frame, after: after.frame, ttl: after.ttl, why: 'others', label };
}

/** The connection and packet of a frame among these connections. */
function locate(conns: readonly ConnIdentity[], frame: number): Located | undefined {
  for (const conn of conns) {
    const ev = conn.packets.findFrame(frame);
    if (ev !== undefined) return { conn, ev };
  }
  return undefined;
}
