import { describe, expect, test } from 'vitest';
import { buildLadder, isShellStep, splitEndpoint } from '../../src/report/diagram.js';
import type { EvidencePacket } from '../../src/rules/types.js';
import { brnfFinding } from './fixture.js';

function ev(frame: number, from: string, to: string, label: string, note = ''): EvidencePacket {
  return { frame, sec: 100, nsec: frame * 1000, from, to, label, relSeq: label.startsWith('ICMP') ? null : 0, relAck: null, len: 0, note, copies: [] };
}

describe('ladder model', () => {
  test('endpoints: IPv4, bracketed IPv6, bare addresses', () => {
    expect(splitEndpoint('10.0.0.1:80')).toEqual({ addr: '10.0.0.1', port: '80' });
    expect(splitEndpoint('[fd00::1]:443')).toEqual({ addr: 'fd00::1', port: '443' });
    expect(splitEndpoint('fd00::1')).toEqual({ addr: 'fd00::1', port: null });
    expect(splitEndpoint('10.0.0.1')).toEqual({ addr: '10.0.0.1', port: null });
  });

  test('br_netfilter finding: client, Service, backend lanes; translated, untranslated and reset steps', () => {
    const l = buildLadder(brnfFinding());
    expect(l.lanes.map((x) => `${x.title} ${x.display}`)).toEqual(['client 10.244.0.2:41234', 'Service 10.96.0.10:80', 'backend 10.244.0.3:8080']);
    expect(l.steps.map((s) => [s.from, s.to, s.kind, s.text])).toEqual([
      [0, 1, 'normal', 'SYN seq=0'],
      [0, 2, 'translated', 'SYN seq=0'],
      [2, 0, 'untranslated', 'SYN,ACK seq=0 ack=1'],
      [0, 2, 'reset', 'RST seq=1'],
      [0, 1, 'normal', 'SYN seq=0'],
    ]);
    expect(l.steps[1]!.nat).toBe('DNAT 10.96.0.10:80 → 10.244.0.3:8080');
    expect(l.steps[4]!.t).toBeCloseTo(1.012, 6);
  });

  test('several attempts from new client ports stay on one client lane', () => {
    const l = buildLadder({ client: '10.0.0.2:40001', server: '10.96.0.1:80', backend: null, evidence: [
      ev(1, '10.0.0.2:40001', '10.96.0.1:80', 'SYN'), ev(2, '10.0.0.2:40002', '10.96.0.1:80', 'SYN'),
    ] });
    expect(l.lanes.map((x) => x.display)).toEqual(['10.0.0.2 ports 40001, 40002', '10.96.0.1:80']);
    expect(l.steps.map((s) => s.attempt)).toEqual(['port 40001', 'port 40002']);
  });

  test('hairpin: a DNAT target at the client address gets its own backend lane', () => {
    const l = buildLadder({ client: '10.0.0.2:40051', server: '10.96.0.13:80', backend: null, evidence: [
      ev(1, '10.0.0.2:40051', '10.96.0.13:80', 'SYN'),
      ev(2, '10.0.0.2:40051', '10.0.0.2:8080', 'SYN', 'translated copy: DNAT 10.96.0.13:80 → 10.0.0.2:8080 (the client itself)'),
    ] });
    expect(l.lanes.map((x) => `${x.title} ${x.endpoint}`)).toEqual(['client 10.0.0.2:40051', 'Service 10.96.0.13:80', 'backend 10.0.0.2:8080']);
    expect(l.steps[1]).toMatchObject({ from: 0, to: 2, kind: 'translated' });
  });

  test('ICMP from another address: a node lane; ICMP to the bare client address lands on the client', () => {
    const l = buildLadder({ client: '10.0.0.2:40021', server: '10.96.0.12:80', backend: null, evidence: [
      ev(1, '10.0.0.2:40021', '10.96.0.12:80', 'SYN'), ev(3, '10.0.0.1', '10.0.0.2', 'ICMP port-unreachable'),
    ] });
    expect(l.lanes.map((x) => x.role)).toEqual(['client', 'service', 'node']);
    expect(l.steps[1]).toMatchObject({ from: 2, to: 0, kind: 'icmp', text: 'ICMP port-unreachable' });
  });

  test('long evidence is cut at the limit', () => {
    const evidence = Array.from({ length: 50 }, (_, i) => ev(i + 1, '10.0.0.2:1', '10.0.0.3:2', 'SYN'));
    const l = buildLadder({ client: '10.0.0.2:1', server: '10.0.0.3:2', backend: null, evidence }, 40);
    expect(l.steps).toHaveLength(40);
    expect(l.omitted).toBe(10);
  });

  test('remediation steps: commands vs sentences', () => {
    expect(isShellStep('modprobe br_netfilter')).toBe(true);
    expect(isShellStep('sysctl -w net.bridge.bridge-nf-call-iptables=1')).toBe(true);
    expect(isShellStep('Check that replies from the backend pass the node that did the DNAT (no asymmetric routing).')).toBe(false);
  });
});
