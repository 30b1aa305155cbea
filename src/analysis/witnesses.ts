import type { Connection } from '../flow/types.js';
import { witnessHashOf } from '../flow/endpoints.js';

/**
 * Released healthy connections kept as context for the rules ("direct connections to the backend
 * succeed"): one per client address and server endpoint, the lowest-id one, up to a limit.
 *
 * Keys: IPv4 connections by numbers (client address word; server address word × 65536 + port),
 * IPv6 by text; looked up through one table keyed by a small-integer hash of both, so the flow table
 * can ask about a connection before any record or string of it exists.
 */
interface Witness {
  client: number | string;
  server: number | string;
  conn: Connection;
  /** The next witness (index + 1 in WitnessIndex.all) of the same hash; 0: none. */
  next: number;
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

/**
 * Witnesses by hash: an open-addressing table in typed arrays (a healthy connection asks at each
 * release, and a Map lookup cost more than the rest of the release), each cell the newest witness
 * of its hash (chained through Witness.next).
 */
export class WitnessIndex {
  /** Per cell: its hash, and its newest witness (index + 1 in `all`; 0: an empty cell). */
  private hashes = new Int32Array(1024);
  private heads = new Int32Array(1024);
  private mask = 1023;
  private cells = 0;
  private readonly all: Witness[] = [];
  size = 0;

  constructor(readonly limit: number) {}

  /** The cell holding the hash, or the empty cell ending its probe run. */
  private cellOf(hash: number): number {
    const { hashes, heads, mask } = this;
    let i = Math.imul(hash, 0x9e3779b1);
    for (i = (i ^ (i >>> 16)) & mask; heads[i] !== 0 && hashes[i] !== hash; i = (i + 1) & mask);
    return i;
  }

  private find(hash: number, client: number | string, server: number | string): Witness | undefined {
    for (let k = this.heads[this.cellOf(hash)]!; k !== 0;) {
      const w = this.all[k - 1]!;
      if (w.client === client && w.server === server) return w;
      k = w.next;
    }
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
    let i = this.cellOf(hash);
    if (this.heads[i] === 0) {
      if (2 * (this.cells + 1) > this.mask + 1) {
        this.grow();
        i = this.cellOf(hash);
      }
      this.cells++;
      this.hashes[i] = hash;
    }
    this.all.push({ client, server, conn, next: this.heads[i]! });
    this.heads[i] = this.all.length;
    this.size++;
  }

  private grow(): void {
    const { hashes, heads } = this;
    this.hashes = new Int32Array(hashes.length * 2);
    this.heads = new Int32Array(heads.length * 2);
    this.mask = this.heads.length - 1;
    for (let c = 0; c < heads.length; c++) {
      if (heads[c] === 0) continue;
      const i = this.cellOf(hashes[c]!);
      this.hashes[i] = hashes[c]!;
      this.heads[i] = heads[c]!;
    }
  }

  connections(): Connection[] {
    return this.all.map((w) => w.conn);
  }
}
