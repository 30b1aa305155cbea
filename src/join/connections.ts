import type { ConnIdentity } from './identity.js';

/** One connection of one input. */
export interface Member {
  input: number;
  conn: ConnIdentity;
}

/**
 * Connections of several inputs grouped into one per real connection: the same originator ISN
 * (addresses and ports may differ: NAT, encapsulation; the two NAT halves of an `-i any` capture
 * fall into one group too) at overlapping times once each input's clock offset is removed.
 * Connections whose ISN no input saw are joined only when their endpoints are the same.
 */
export class ConnectionGroups {
  readonly groups: Member[][] = [];
  private readonly index = new Map<string, number>();

  constructor(inputs: readonly (readonly ConnIdentity[])[], offsets: readonly (number | null)[], slack: number) {
    const members: Member[] = [];
    inputs.forEach((list, input) => { for (const conn of list) members.push({ input, conn }); });
    const parent = members.map((_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
      return i;
    };
    const shift = (m: Member): number => offsets[m.input] ?? 0;
    for (const list of indexBy(members, bucketKey).values()) {
      // Sweep in corrected time: a member starting before the cluster's end joins it.
      list.sort((a, b) => members[a]!.conn.firstT - shift(members[a]!) - (members[b]!.conn.firstT - shift(members[b]!)));
      let head = -1;
      let end = -Infinity;
      for (const i of list) {
        const m = members[i]!;
        const start = m.conn.firstT - shift(m) - slack;
        if (head >= 0 && start <= end) parent[find(i)] = find(head);
        else head = i;
        end = Math.max(head === i ? -Infinity : end, m.conn.lastT - shift(m) + slack);
      }
    }
    // A connection seen without its handshake (a stray segment under addresses the client never
    // used) joins the connection that another input saw with those addresses at that time.
    const byEnds = indexBy(members, endsKey);
    members.forEach((m, i) => {
      if (m.conn.origIsn >= 0) return;
      for (const j of byEnds.get(endsKey(m.conn)) ?? []) {
        const o = members[j]!;
        if (o.input === m.input) continue;
        const overlap = Math.min(m.conn.lastT - shift(m), o.conn.lastT - shift(o)) - Math.max(m.conn.firstT - shift(m), o.conn.firstT - shift(o));
        if (overlap >= -slack) parent[find(i)] = find(j);
      }
    });
    const byRoot = new Map<number, number>();
    members.forEach((m, i) => {
      const root = find(i);
      let g = byRoot.get(root);
      if (g === undefined) {
        g = this.groups.length;
        byRoot.set(root, g);
        this.groups.push([]);
      }
      this.groups[g]!.push(m);
      this.index.set(`${m.input}:${m.conn.id}`, g);
    });
    // Groups in order of their first packet (corrected), for stable numbering.
    const order = this.groups.map((g, i) => ({ i, t: Math.min(...g.map((m) => m.conn.firstT - shift(m))) }))
      .sort((a, b) => a.t - b.t || a.i - b.i);
    const renumber = new Map(order.map((o, n) => [o.i, n]));
    const sorted = order.map((o) => this.groups[o.i]!);
    this.groups.length = 0;
    this.groups.push(...sorted);
    for (const [k, g] of this.index) this.index.set(k, renumber.get(g)!);
  }

  /** The group of a connection of an input (by its id in that input). */
  groupOf(input: number, connId: number): number | undefined {
    return this.index.get(`${input}:${connId}`);
  }

  /** Members of a group in one input. */
  inInput(group: number, input: number): Member[] {
    return (this.groups[group] ?? []).filter((m) => m.input === input);
  }
}

/** Members' positions by a key of their connection. */
function indexBy(members: readonly Member[], key: (c: ConnIdentity) => string): Map<string, number[]> {
  const by = new Map<string, number[]>();
  members.forEach((m, i) => {
    const k = key(m.conn);
    const list = by.get(k);
    if (list) list.push(i);
    else by.set(k, [i]);
  });
  return by;
}

function bucketKey(c: ConnIdentity): string {
  return c.origIsn >= 0 ? `isn ${c.origIsn}` : endsKey(c);
}

/** The two endpoints, in either order. */
function endsKey(c: ConnIdentity): string {
  return c.orig < c.resp ? `ends ${c.orig} ${c.resp}` : `ends ${c.resp} ${c.orig}`;
}
