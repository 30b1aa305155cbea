import { TcpFlag, type Packet } from '../decode/packet.js';
import type { Connection, Dir } from '../flow/types.js';
import type { FlowTable } from '../flow/table.js';
import { LINK_WINDOW, SynIndex } from './syn-index.js';

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

export class NatLinker {
  /** Links by their original half; released with it (see `release`). */
  private readonly byOriginal = new Map<Connection, NatLink>();
  /** Links ever made (released ones included). */
  linkCount = 0;
  private readonly translations = new Map<string, Translation>();
  /** Recent originator SYNs by ISN (with their connection's table slot and id). */
  private readonly syns = new SynIndex(LINK_WINDOW);

  /**
   * The held links whose original half is among these connections, in the order they were made
   * (by the frame that made each: one packet makes one link at most), without walking every held
   * link for each batch of connections.
   */
  linksAmong(connections: readonly Connection[]): NatLink[] {
    const out: NatLink[] = [];
    for (const c of connections) {
      if (c.natRole !== 'original') continue;
      const l = this.byOriginal.get(c);
      if (l !== undefined) out.push(l);
    }
    return out.sort((a, b) => a.frame - b.frame);
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

  /** @param table the flow table whose slots onHandshake receives. */
  constructor(private readonly table: FlowTable) {}

  /** Flow-table hook (FlowTableOptions.onHandshake): a new SYN or SYN-ACK. */
  onHandshake(slot: number, dir: Dir, p: Packet, t: number, frame: number): void {
    const table = this.table;
    const synAck = (p.flags & TcpFlag.ACK) !== 0;
    if (!synAck && dir === 0) this.onSyn(table, slot, p, t, frame);
    else if (synAck) this.onSynAck(table, slot, dir, p, t, frame);
  }

  linksOf(conn: Connection): NatLink[] {
    const l = this.linkOf(conn);
    return l === undefined ? [] : [l];
  }

  observedTranslations(): Translation[] {
    return [...this.translations.values()];
  }

  private onSyn(table: FlowTable, slot: number, p: Packet, t: number, frame: number): void {
    const isn = p.seq;
    const syns = this.syns;
    // No earlier SYN with this ISN within the window (syn-prefilter.ts): nothing to link with.
    for (let e = p.noSynTwin ? -1 : syns.first(isn, t); e >= 0; e = syns.next(e, isn, t)) {
      const other = syns.slotAt(e);
      if (other === slot || !table.holds(other, syns.idAt(e))) continue;
      const hasTs = syns.hasTsAt(e);
      if (hasTs !== p.hasTimestamps || (hasTs && syns.tsValAt(e) !== p.tsVal)) continue;
      // IPv4 NAT keeps the IP ID; a mismatch means an unrelated SYN that shares an ISN.
      const ipId = syns.ipIdAt(e);
      if (ipId >= 0 && p.ipId >= 0 && ipId !== p.ipId) continue;
      if (table.natLinkedAt(slot) || table.natLinkedAt(other)) continue;
      const dnat = !table.sameEndpoint(other, false, slot, false);
      const snat = !table.sameEndpoint(other, true, slot, true);
      if (!dnat && !snat) continue;
      this.addLink(table, other, slot, 'syn-copy', dnat, snat, null, frame);
      return;
    }
    syns.add(isn, slot, table.idAt(slot), t, p.ipId, p.hasTimestamps, p.tsVal);
  }

  private onSynAck(table: FlowTable, slot: number, dir: Dir, p: Packet, t: number, frame: number): void {
    // The SYN-ACK acks ISN + 1 of some SYN. If that SYN is in this same connection, all is normal.
    const isn = (p.ack - 1) >>> 0;
    if (table.isnAt(slot, dir === 0 ? 1 : 0) === isn) {
      // A translated half seen with its own SYN: the tsEcr can confirm an existing link.
      return;
    }
    // No SYN with that ISN within the window (syn-prefilter.ts).
    if (p.noSynTwin) return;
    const syns = this.syns;
    // The client: the SYN-ACK's destination.
    const clientIsA = dir === 1;
    for (let e = syns.first(isn, t); e >= 0; e = syns.next(e, isn, t)) {
      const other = syns.slotAt(e);
      if (other === slot || !table.holds(other, syns.idAt(e))) continue;
      // Without a translated SYN in view, the client's address and port must be the same.
      if (!table.sameEndpoint(other, true, slot, clientIsA)) continue;
      if (table.natLinkedAt(other) && table.existingHandle(other)?.natPeer !== table.existingHandle(slot)) continue;
      const tsEchoMatch = syns.hasTsAt(e) && p.hasTimestamps ? p.tsEcr === syns.tsValAt(e) : null;
      if (tsEchoMatch === false) continue;
      if (!table.natLinkedAt(slot)) this.addLink(table, other, slot, 'synack', true, false, tsEchoMatch, frame);
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
