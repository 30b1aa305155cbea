import { TcpFlag, type Packet } from '../decode/packet.js';
import type { Connection, Dir } from '../flow/types.js';
import type { FlowTable } from '../flow/table.js';

/**
 * Links connections that are one connection seen through NAT. Wireshark and Zeek key
 * conversations by 4-tuple, so the two halves of a DNAT'd connection look unrelated; the TCP
 * handshake ties them back together:
 * - `syn-copy`: the same SYN (same ISN, same TSval and IP ID where present) seen again with a new
 *   destination (DNAT) or source (SNAT) — what `tcpdump -i any` on a node shows;
 * - `synack`: a SYN-ACK from B to the client's port that acknowledges the ISN + 1 of a SYN the
 *   client sent to S ≠ B — what the client's own vantage shows when the reply was not translated.
 */
export interface NatLink {
  /** The half the client addressed (client → Service address). */
  original: Connection;
  /** The half with the translated address (client → backend, or SNAT'd source). */
  translated: Connection;
  via: 'syn-copy' | 'synack';
  /** Destination changed (DNAT) / source changed (SNAT). */
  dnat: boolean;
  snat: boolean;
  /** The SYN-ACK's TSecr equals the SYN's TSval (null when either has no timestamps). */
  tsEchoMatch: boolean | null;
  /** Frame that established the link (the translated SYN, or the SYN-ACK). */
  frame: number;
}

/** An observed translation, aggregated: Service address → backend. */
export interface Translation {
  from: string;
  to: string;
  kind: 'dnat' | 'snat';
  connections: number;
  firstFrame: number;
}

interface SynRef {
  /** The flow-table slot of the connection that sent it, and that connection's id. */
  slot: number;
  id: number;
  isn: number;
  t: number;
  ipId: number;
  hasTs: boolean;
  tsVal: number;
}

/** How far apart (capture seconds) a SYN and its translated copy or reply may be. */
const LINK_WINDOW = 5;
/** Refs older than LINK_WINDOW never link (both lookups skip them): keep them no longer. */
const INDEX_TTL = LINK_WINDOW + 1;

export class NatLinker {
  /** Links by their original half; released with it (see `release`). */
  private readonly byOriginal = new Map<Connection, NatLink>();
  /** Links ever made (released ones included). */
  linkCount = 0;
  private readonly translations = new Map<string, Translation>();
  /** Recent originator SYNs by ISN. */
  private readonly syns = new Map<number, SynRef | SynRef[]>();
  /** The same refs in arrival (capture time) order, for pruning from the front. */
  private queue: SynRef[] = [];
  private queueHead = 0;

  /** Links whose halves are still held, in the order they were made. */
  get links(): NatLink[] {
    return [...this.byOriginal.values()];
  }

  /** The link a connection is part of (either half), if it is still held. */
  linkOf(conn: Connection): NatLink | undefined {
    if (conn.natRole === 'original') return this.byOriginal.get(conn);
    if (conn.natRole === 'translated' && conn.natPeer !== null) return this.byOriginal.get(conn.natPeer);
    return undefined;
  }

  /** Forget the link of an original half the pipeline has released (its findings are drafted). */
  release(conn: Connection): void {
    // SYN refs name table slots, checked against the connection id: a retired connection's refs
    // never link again and keep nothing alive.
    if (conn.natRole === 'original') this.byOriginal.delete(conn);
  }

  /** The flow table whose slots the hooks receive (set once, by the pipeline). */
  private table: FlowTable | null = null;

  attach(table: FlowTable): void {
    this.table = table;
  }

  /** Flow-table hook: a new SYN or SYN-ACK. */
  readonly onHandshake = (slot: number, dir: Dir, p: Packet, t: number, frame: number): void => {
    const table = this.table;
    if (table === null) return;
    const synAck = (p.flags & TcpFlag.ACK) !== 0;
    if (!synAck && dir === 0) this.onSyn(table, slot, p, t, frame);
    else if (synAck) this.onSynAck(table, slot, dir, p, t, frame);
  };

  /** Flow-table hook: drop index entries too old to link. */
  readonly onSweep = (t: number): void => {
    // Refs arrive in capture order: drop expired ones from the front, O(dropped).
    const q = this.queue;
    let h = this.queueHead;
    while (h < q.length && t - q[h]!.t >= INDEX_TTL) {
      const r = q[h++]!;
      const entry = this.syns.get(r.isn);
      if (entry === r) this.syns.delete(r.isn);
      else if (Array.isArray(entry)) {
        const i = entry.indexOf(r);
        if (i >= 0) entry.splice(i, 1);
        if (entry.length === 0) this.syns.delete(r.isn);
      }
    }
    if (h > 4096 && h * 2 > q.length) {
      this.queue = q.slice(h);
      h = 0;
    }
    this.queueHead = h;
  };

  linksOf(conn: Connection): NatLink[] {
    const l = this.linkOf(conn);
    return l === undefined ? [] : [l];
  }

  observedTranslations(): Translation[] {
    return [...this.translations.values()];
  }

  private onSyn(table: FlowTable, slot: number, p: Packet, t: number, frame: number): void {
    const isn = p.seq;
    const entry = this.syns.get(isn);
    const refs = entry === undefined ? undefined : Array.isArray(entry) ? entry : [entry];
    if (refs !== undefined) {
      for (const r of refs) {
        if (r.slot === slot || !table.holds(r.slot, r.id) || t - r.t > LINK_WINDOW) continue;
        if (r.hasTs !== p.hasTimestamps || (r.hasTs && r.tsVal !== p.tsVal)) continue;
        // IPv4 NAT keeps the IP ID; a mismatch means an unrelated SYN that shares an ISN.
        if (r.ipId >= 0 && p.ipId >= 0 && r.ipId !== p.ipId) continue;
        if (table.natLinkedAt(slot) || table.natLinkedAt(r.slot)) continue;
        const dnat = !table.sameEndpoint(r.slot, false, slot, false);
        const snat = !table.sameEndpoint(r.slot, true, slot, true);
        if (!dnat && !snat) continue;
        this.addLink(table, r.slot, slot, 'syn-copy', dnat, snat, null, frame);
        return;
      }
    }
    const ref: SynRef = { slot, id: table.idAt(slot), isn, t, ipId: p.ipId, hasTs: p.hasTimestamps, tsVal: p.tsVal };
    if (entry === undefined) this.syns.set(isn, ref);
    else if (Array.isArray(entry)) entry.push(ref);
    else this.syns.set(isn, [entry, ref]);
    this.queue.push(ref);
  }

  private onSynAck(table: FlowTable, slot: number, dir: Dir, p: Packet, t: number, frame: number): void {
    // The SYN-ACK acks ISN + 1 of some SYN. If that SYN is in this same connection, all is normal.
    const isn = (p.ack - 1) >>> 0;
    if (table.isnAt(slot, dir === 0 ? 1 : 0) === isn) {
      // A translated half seen with its own SYN: the tsEcr can confirm an existing link.
      return;
    }
    const entry = this.syns.get(isn);
    if (entry === undefined) return;
    const refs = Array.isArray(entry) ? entry : [entry];
    // The client: the SYN-ACK's destination.
    const clientIsA = dir === 1;
    for (const r of refs) {
      if (r.slot === slot || !table.holds(r.slot, r.id) || t - r.t > LINK_WINDOW) continue;
      // Without a translated SYN in view, the client's address and port must be the same.
      if (!table.sameEndpoint(r.slot, true, slot, clientIsA)) continue;
      if (table.natLinkedAt(r.slot) && table.existingHandle(r.slot)?.natPeer !== table.existingHandle(slot)) continue;
      const tsEchoMatch = r.hasTs && p.hasTimestamps ? p.tsEcr === r.tsVal : null;
      if (tsEchoMatch === false) continue;
      if (!table.natLinkedAt(slot)) this.addLink(table, r.slot, slot, 'synack', true, false, tsEchoMatch, frame);
      return;
    }
  }

  private addLink(table: FlowTable, originalSlot: number, translatedSlot: number, via: NatLink['via'], dnat: boolean,
    snat: boolean, tsEchoMatch: boolean | null, frame: number): void {
    // Both halves get records now: rules read them together, whatever else happens to them.
    table.markNatLinked(originalSlot);
    table.markNatLinked(translatedSlot);
    const original = table.handleOf(originalSlot);
    const translated = table.handleOf(translatedSlot);
    original.natPeer = translated;
    original.natRole = 'original';
    translated.natPeer = original;
    translated.natRole = 'translated';
    this.byOriginal.set(original, { original, translated, via, dnat, snat, tsEchoMatch, frame });
    this.linkCount++;
    const backend = translated.resp;
    if (dnat) this.count(`${original.resp.text}→${backend.text}`, original.resp.text, backend.text, 'dnat', frame);
    if (snat) this.count(`${original.orig.addr}→${translated.orig.addr}`, original.orig.addr, translated.orig.addr, 'snat', frame);
  }

  private count(key: string, from: string, to: string, kind: 'dnat' | 'snat', frame: number): void {
    const tr = this.translations.get(key);
    if (tr !== undefined) tr.connections++;
    else this.translations.set(key, { from, to, kind, connections: 1, firstFrame: frame });
  }
}
