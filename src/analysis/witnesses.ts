import type { Connection } from '../flow/types.js';
import { witnessHashOf } from '../flow/endpoints.js';

/**
 * Released healthy connections kept as context for the rules ("direct connections to the backend
 * succeed"): one per client address and server endpoint, the lowest-id one, up to a limit.
 *
 * Keys: IPv4 connections by numbers (client address word; server address word × 65536 + port),
 * IPv6 by text; looked up through one Map keyed by a small-integer hash of both, so the flow table
 * can ask about a connection before any record or string of it exists.
 */
interface Witness {
  client: number | string;
  server: number | string;
  conn: Connection;
  next: Witness | undefined;
}

function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** The index's hash of a key pair; FlowTable.witnessHashAt computes the same from a slot. */
export function witnessHash(client: number | string, server: number | string): number {
  if (typeof client === 'number' && typeof server === 'number') {
    return witnessHashOf(client, Math.floor(server / 65536), server % 65536);
  }
  return (textHash(String(client)) ^ Math.imul(textHash(String(server)), 0x9e3779b1)) & 0x3fffffff;
}

export class WitnessIndex {
  private readonly buckets = new Map<number, Witness>();
  size = 0;

  constructor(readonly limit: number) {}

  private find(hash: number, client: number | string, server: number | string): Witness | undefined {
    for (let w = this.buckets.get(hash); w !== undefined; w = w.next) if (w.client === client && w.server === server) return w;
    return undefined;
  }

  /** A connection with these keys and id would be kept: no witness for them yet (room left), or a later one. */
  wants(hash: number, client: number | string, server: number | string, id: number): boolean {
    const w = this.find(hash, client, server);
    return w === undefined ? this.size < this.limit : id < w.conn.id;
  }

  keep(hash: number, client: number | string, server: number | string, conn: Connection): void {
    const w = this.find(hash, client, server);
    if (w !== undefined) {
      w.conn = conn;
      return;
    }
    this.buckets.set(hash, { client, server, conn, next: this.buckets.get(hash) });
    this.size++;
  }

  connections(): Connection[] {
    const out: Connection[] = [];
    for (const first of this.buckets.values()) for (let w: Witness | undefined = first; w !== undefined; w = w.next) out.push(w.conn);
    return out;
  }
}
