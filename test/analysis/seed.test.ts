import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { SAMPLES } from '../helpers/samples.js';

// The case that started rstdiag, captured for real in network namespaces (samples/lab/brnf-off.sh):
// client 10.244.0.2 dials ClusterIP 10.96.0.10:80, DNAT'd to 10.244.0.3:8080, br_netfilter off.
describe('seed case: br_netfilter off, seen from the node (-i any)', async () => {
  const a = await analyze([join(SAMPLES, 'brnf-off/node-any.pcap')], { connections: true });
  const r = a.report;
  const f = r.findings[0]!;

  test('one unreversed-dnat finding naming client, Service and backend', () => {
    expect(r.findings).toHaveLength(1);
    expect(f).toMatchObject({
      id: 'F1', rule: 'unreversed-dnat', severity: 'error', client: '10.244.0.2:40001', server: '10.96.0.10:80',
      backend: '10.244.0.3:8080', resetBy: 'client', resetSender: '10.244.0.2', count: 2, docs: 'docs/rules/unreversed-dnat.md',
    });
    expect(f.confidence).toBeGreaterThan(0.9);
  });

  test('evidence frames are the SYN, its DNAT copy, the backend SYN-ACK and the client RST (tshark numbering)', () => {
    // Frames 1-8 of the capture (tshark): 1/2 SYN to the ClusterIP (veth, cni0), 3/4 the DNAT'd
    // SYN, 5/6 SYN-ACK from 10.244.0.3:8080, 7/8 RST from the client. Copies are not evidence rows.
    expect(f.frames.slice(0, 4)).toEqual([1, 3, 5, 7]);
    expect(f.frames).toContain(25); // second attempt's SYN (port 40002)
    expect(f.firstTime).toBe('2026-11-25T03:13:31.427763000Z');
  });

  test('explanation and remediation say what happened and how to fix it', () => {
    expect(f.explanation).toContain('not from 10.96.0.10:80');
    expect(f.explanation).toContain('connect timeout');
    expect(f.explanation).toContain('Direct connections from 10.244.0.2 to the backend 10.244.0.3:8080 succeed');
    expect(f.explanation).toContain('v1.30');
    expect(f.remediation[0]).toBe('modprobe br_netfilter');
    expect(f.remediation.join('\n')).toContain('/etc/modules-load.d/k8s.conf');
    expect(f.remediation.join('\n')).toContain('net.bridge.bridge-nf-call-iptables=1');
  });

  test('summary counts copies once and links the NAT halves', () => {
    expect(r.summary.packets).toBe(68);
    expect(r.summary.connections).toBe(3);
    expect(r.summary.findingsByRule).toEqual({ 'unreversed-dnat': 1 });
    expect(a.translations).toEqual([{ from: '10.96.0.10:80', to: '10.244.0.3:8080', kind: 'dnat', connections: 2, firstFrame: 3 }]);
    const conns = r.connections!;
    const orig = conns.find((c) => c.orig === '10.244.0.2:40001' && c.resp === '10.96.0.10:80')!;
    expect(orig.state).toBe('S0');
    expect(orig.history).toBe('S');
    expect(orig.origPackets).toBe(3); // three SYNs, each seen twice (veth, bridge)
    expect(orig.nat).toEqual({ role: 'original', peer: '10.244.0.2:40001 → 10.244.0.3:8080' });
    expect(orig.findings).toEqual(['F1']);
    const direct = conns.find((c) => c.orig === '10.244.0.2:40003')!;
    expect(direct.state).toBe('SF');
    expect(direct.nat).toBeNull();
  });

  test('inputs describe the file', () => {
    expect(r.inputs[0]).toMatchObject({ format: 'pcap', linkTypes: [276], packets: 68, truncated: false, warnings: [] });
  });
});

describe('seed case from the server pod: only the translated half is visible', async () => {
  const a = await analyze([join(SAMPLES, 'brnf-off/server-eth0.pcap')]);
  test('synack-rejected, with the retransmitted SYN as evidence', () => {
    expect(a.report.findings).toHaveLength(1);
    const f = a.report.findings[0]!;
    expect(f).toMatchObject({ rule: 'synack-rejected', client: '10.244.0.2:40001', server: '10.244.0.3:8080', backend: null, resetBy: 'client', count: 2 });
    expect(f.confidence).toBeGreaterThanOrEqual(0.8);
    expect(f.frames.slice(0, 4)).toEqual([1, 2, 3, 4]);
  });
});

describe('healthy control: bridge-nf-call-iptables=1', async () => {
  const a = await analyze([join(SAMPLES, 'brnf-on/node-any.pcap')], { connections: true });
  test('no findings, and the NAT halves are linked', () => {
    expect(a.report.findings).toEqual([]);
    expect(a.translations.map((t) => `${t.from}→${t.to}`)).toEqual(['10.96.0.10:80→10.244.0.3:8080']);
    expect(a.report.connections!.filter((c) => c.state === 'SF').length).toBeGreaterThanOrEqual(3);
  });
});
