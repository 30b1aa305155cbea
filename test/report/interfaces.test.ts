/**
 * Evidence names the interface each frame was captured on: pcapng if_name (IDB) and the SLL2
 * interface index, as tshark reads them (frame.interface_name, sll.ifindex). Skips without tshark.
 */
import { describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { renderText } from '../../src/report/text.js';
import { SAMPLES } from '../helpers/samples.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const dir = join(SAMPLES, 'syn-drop-two-nodes');

/** tshark's frame.number → [frame.interface_name, sll.ifindex] ('' where it has none). */
function tsharkInterfaces(path: string): Map<number, [string, string]> {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.interface_name', '-e', 'sll.ifindex'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = new Map<number, [string, string]>();
  for (const line of out.trim().split('\n')) {
    const [n, name, ifindex] = line.split('\t');
    m.set(Number(n), [name ?? '', ifindex ?? '']);
  }
  return m;
}

describe('interfaces in evidence', () => {
  test.skipIf(!hasTshark)('every JSON evidence row names the interface tshark reads for its frame', async () => {
    const files = ['client-eth0.pcap', 'nodeA-ifaces.pcapng', 'nodeA-any.pcap', 'nodeB-any.pcap', 'server-eth0.pcap'].map((f) => join(dir, f));
    const a = await analyze(files);
    const truth = files.map(tsharkInterfaces);
    let named = 0;
    let indexed = 0;
    for (const f of a.report.findings) {
      for (const row of f.evidence ?? []) {
        const [name, ifindex] = truth[row.input]!.get(row.frame)!;
        expect(row.interface ?? '', `${row.input}#${row.frame}`).toBe(name === 'any' ? '' : name);
        expect(row.ifIndex === undefined ? '' : String(row.ifIndex), `${row.input}#${row.frame}`).toBe(ifindex);
        if (row.interface !== undefined) named++;
        if (row.ifIndex !== undefined) indexed++;
      }
    }
    expect(named).toBeGreaterThan(5);
    expect(indexed).toBeGreaterThan(5);
  });

  test('text shows the interface next to the frame, and the copies\' interfaces', async () => {
    const one = await analyze([join(dir, 'nodeA-ifaces.pcapng')]);
    const text = renderText(one, { width: 120 });
    expect(text).toMatch(/│ 1 on vethclient +│/);
    expect(text).toMatch(/│ 2 on flannel\.1 +│/);
    const any = await analyze([join(dir, 'nodeA-any.pcap')]);
    expect(renderText(any, { width: 200 })).toMatch(/│ 2 on if2 \(\+2 copies: if6, if5\) +│/);
  });

  test('a capture that names no interface gets none (classic pcap, Ethernet)', async () => {
    const a = await analyze([join(dir, 'client-eth0.pcap')]);
    expect(a.findings.flatMap((f) => f.evidence).every((e) => e.iface === undefined)).toBe(true);
  });
});

describe('html ladder with several inputs', () => {
  test('a column per input marks where each evidence packet was seen (● in that capture, ○ not)', async () => {
    const { renderHtml } = await import('../../src/report/html.js');
    const files = ['client-eth0.pcap', 'nodeA-any.pcap', 'underlay-ul0.pcap', 'nodeB-any.pcap', 'server-eth0.pcap'].map((f) => join(dir, f));
    const html = renderHtml(await analyze(files));
    expect(html).toContain('columns 1–5: the inputs; ● the packet is in that capture, ○ it is not');
    expect(html).toMatch(/<title>input 5: server-eth0\.pcap<\/title>5<\/text>/);
    // syn-timeout's SYNs: in the first four captures, never in the server pod's.
    expect(html).toContain('<title>not in input 5 (server-eth0.pcap)</title>');
    expect(html).toMatch(/<title>input 4 \(nodeB-any\.pcap\) frame \d+<\/title>/);
    // One input: no columns.
    expect(renderHtml(await analyze([files[0]!]))).not.toContain('<circle');
  });
});
