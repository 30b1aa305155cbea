import type { Connection } from '../flow/types.js';
import { admits, FACT_BITS, factsOf } from '../rules/facts.js';
import type { Rule } from '../rules/types.js';

/**
 * Which connections each rule is handed (its candidates): those whose facts (src/rules/facts.ts),
 * with their NAT peer's, pass its `meta.appliesTo`. The same few combinations of facts recur over
 * a capture's connections, so the rules admitting each combination are worked out once.
 */
export class RuleRouter {
  /** Facts key → bit i set when rules[i] admits it; -1: not worked out yet. Without a NAT peer the key is the facts. */
  private readonly admitted = new Int32Array(1 << FACT_BITS).fill(-1);
  private readonly admittedWithPeer = new Map<number, number>();

  constructor(private readonly rules: readonly Rule[]) {
    if (rules.length > 31) throw new Error('RuleRouter: more rules than bits in a word');
  }

  /** Each rule's candidates among `connections`, in their order (a rule's hits keep their order). */
  route(connections: readonly Connection[]): Connection[][] {
    const lists = this.rules.map((): Connection[] => []);
    for (const c of connections) {
      const own = factsOf(c);
      let word: number;
      if (c.natPeer === null) {
        word = this.admitted[own]!;
        if (word < 0) word = this.admitted[own] = this.admittedBy(own, 0);
      } else {
        const peer = factsOf(c.natPeer);
        const key = own + peer * (1 << FACT_BITS);
        word = this.admittedWithPeer.get(key) ?? -1;
        if (word < 0) this.admittedWithPeer.set(key, word = this.admittedBy(own, peer));
      }
      for (; word !== 0; word &= word - 1) lists[31 - Math.clz32(word & -word)]!.push(c);
    }
    return lists;
  }

  private admittedBy(own: number, peer: number): number {
    let word = 0;
    for (let i = 0; i < this.rules.length; i++) if (admits(this.rules[i]!.meta.appliesTo, own, peer)) word |= 1 << i;
    return word;
  }
}
