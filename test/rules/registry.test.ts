import { describe, expect, test } from 'vitest';
import { RULES, evaluationOrder } from '../../src/rules/registry.js';
import { renderTemplate, templateNames, type MessageData } from '../../src/rules/messages.js';
import type { Rule } from '../../src/rules/types.js';

describe('rule precedence: declared by yieldsTo, not by file order', () => {
  test('the evaluation order the declarations give', () => {
    expect(RULES.map((r) => r.meta.id)).toEqual([
      'unreversed-dnat', 'challenge-ack', 'synack-rejected', 'unreversed-nat-midstream', 'accept-queue-overflow', 'idle-timeout',
      'injected-reset', 'connection-refused', 'icmp-rejected', 'pmtu-blackhole', 'peer-unresponsive', 'stale-connection',
      'abortive-close', 'syn-retry-delay', 'syn-timeout', 'unexplained-reset',
    ]);
  });
  test('every rule runs after the rules it yields to', () => {
    const at = new Map(RULES.map((r, i) => [r.meta.id, i]));
    for (const r of RULES) for (const y of r.meta.yieldsTo) expect(at.get(y)!, `${r.meta.id} yields to ${y}`).toBeLessThan(at.get(r.meta.id)!);
  });
  test('the order does not depend on the order rules are listed in', () => {
    expect(evaluationOrder([...RULES].reverse()).map((r) => r.meta.id)).toEqual(RULES.map((r) => r.meta.id));
  });
  test('a cycle is refused', () => {
    const rule = (id: string, yieldsTo: string[]): Rule => ({ meta: { ...RULES[0]!.meta, id, yieldsTo } as Rule['meta'], detect: () => [] });
    expect(() => evaluationOrder([rule('a', ['b']), rule('b', ['a'])])).toThrow(/cycle/);
  });
});

describe('rule messages', () => {
  for (const r of RULES) {
    test(`${r.meta.id}: every message compiles, fragments and finding messages alike`, () => {
      const entries = Object.entries(r.meta.messages);
      expect(entries.some(([, m]) => typeof m !== 'string')).toBe(true);
      for (const [, m] of entries) {
        for (const t of typeof m === 'string' ? [m] : [m.summary, m.explanation]) expect(() => templateNames(t)).not.toThrow();
      }
    });
  }
});

describe('message templates', () => {
  const none = (): string => { throw new Error('no fragments'); };
  test('placeholders, plural, sections', () => {
    const t = '{{who}} sent {{n|plural:SYN}}{{#retried}}, then retried{{/retried}}{{^retried}}, once{{/retried}}.';
    expect(renderTemplate(t, { who: '10.0.0.2', n: 1, retried: false }, none)).toBe('10.0.0.2 sent 1 SYN, once.');
    expect(renderTemplate(t, { who: '10.0.0.2', n: 3, retried: true }, none)).toBe('10.0.0.2 sent 3 SYNs, then retried.');
  });
  test('zero, empty text and empty lists are false in sections', () => {
    const t = '{{#x}}yes{{/x}}{{^x}}no{{/x}}';
    for (const x of [0, '', false, null, []]) expect(renderTemplate(t, { x }, none)).toBe('no');
  });
  test('fragment lists, joined', () => {
    const fragments: Record<string, string> = { ttl: 'TTL {{ttl}}', ipid: 'IP ID {{id}}' };
    const data: MessageData = { why: [{ messageId: 'ttl', data: { ttl: 61 } }, { messageId: 'ipid', data: { id: '0x0001' } }] };
    expect(renderTemplate('{{why}}', data, (id) => fragments[id]!)).toBe('TTL 61; IP ID 0x0001');
    expect(renderTemplate('{{why|join: and }}', data, (id) => fragments[id]!)).toBe('TTL 61 and IP ID 0x0001');
  });
  test('frames through the report\'s naming of them: one, or a list', () => {
    const t = 'RST (frame {{rstFrame|frame}}, {{ms}} ms after frames {{synFrames|frame}})';
    const data: MessageData = { rstFrame: 12, ms: '0.5', synFrames: [3, 7] };
    expect(renderTemplate(t, data, none)).toBe('RST (frame 12, 0.5 ms after frames 3, 7)');
    // A joint report names the input too; numbers that are not frames stay as they are.
    expect(renderTemplate(t, data, none, (n) => `2#${n}`)).toBe('RST (frame 2#12, 0.5 ms after frames 2#3, 2#7)');
    expect(() => renderTemplate('{{x|frame}}', { x: 'twelve' }, none)).toThrow(/not a frame number/);
  });
  test('every placeholder named like a frame renders through |frame (a joint report names its input)', () => {
    for (const r of RULES) {
      for (const m of Object.values(r.meta.messages)) {
        for (const text of typeof m === 'string' ? [m] : [m.summary, m.explanation]) {
          for (const tag of text.matchAll(/\{\{([A-Za-z0-9_]*[Ff]rames?)(\|[a-z]+)?\}\}/g)) expect(tag[2], `${r.meta.id}: ${tag[0]}`).toBe('|frame');
        }
      }
    }
  });
  test('missing data and unbalanced sections are errors, not silent text', () => {
    expect(() => renderTemplate('{{absent}}', {}, none)).toThrow(/no data/);
    expect(() => renderTemplate('{{#a}}x', { a: true }, none)).toThrow(/unclosed/);
    expect(() => renderTemplate('x{{/a}}', { a: true }, none)).toThrow(/unbalanced/);
  });
});
