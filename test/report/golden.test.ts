/**
 * Golden markdown reports: the fixture's and a real lab capture's. UPDATE_GOLDEN=1 rewrites them
 * (review the diff before committing).
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderMarkdown } from '../../src/report/markdown.js';
import { analyze } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/report/types.js';
import { brnfAnalysis, emptyAnalysis, ipv6Analysis } from './fixture.js';

const GOLDEN = resolve('test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const path = resolve(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`missing golden file ${name}: run UPDATE_GOLDEN=1 npx vitest run test/report/golden.test.ts`);
  expect(actual, `${name} differs (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(path, 'utf8'));
}

/** Reports name the tool version; goldens must not change at every release. */
function pinned(a: Analysis): Analysis {
  a.report.tool.version = '0.0.0-golden';
  return a;
}

describe('golden markdown', () => {
  test('fixture: br_netfilter off (unreversed-dnat)', () => {
    golden('fixture-brnf.md', renderMarkdown(pinned(brnfAnalysis())));
  });

  test('fixture: IPv6 Service without endpoints (ICMP from the node)', () => {
    golden('fixture-ipv6-icmp.md', renderMarkdown(pinned(ipv6Analysis())));
  });

  test('fixture: no findings', () => {
    golden('fixture-empty.md', renderMarkdown(pinned(emptyAnalysis())));
  });

  const sample = 'samples/brnf-off/node-any.pcap';
  test.skipIf(!existsSync(sample))('sample: samples/brnf-off/node-any.pcap (as `analyze --format markdown`)', async () => {
    const a = await analyze([sample], {});
    golden('brnf-off-node-any.md', renderMarkdown(pinned(a)));
  });
});
