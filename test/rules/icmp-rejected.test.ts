import { describe, expect, it } from 'vitest';
import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { evidenceNotes } from './syn-notes.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, type Conversation } from './table-rows.js';
import { BACKEND, handshake, HOST, HOST6, natHalves, nextPort, POD, refusal, SERVER, SERVER6, SERVICE } from './nat-rows.js';

const k = conversation(HOST, SERVER);
const far = conversation(HOST, '203.0.113.10:443');
const k6 = conversation(HOST6, SERVER6);
const far6 = conversation(HOST6, '[2001:db8::10]:443');
const far6Later = conversation(nextPort(HOST6), far6.server, { ci: 9000 });
const ROUTER = '10.0.0.1';
const ROUTER6 = 'fd00::1';
// Kubernetes: a pod dials a Service without ready endpoints; kube-proxy on the node REJECTs it.
const toService = conversation(POD, SERVICE, { client: { copy: true } });
const NODE = '10.244.0.1';
// -i any on the node: the Service half and its DNAT'd half, on two interfaces.
const nat = natHalves(POD, SERVICE, BACKEND);

const SERVICE_ADDR = SERVICE.split(':')[0]!;
const BACKEND_ADDR = BACKEND.split(':')[0]!;

/**
 * -i any on the node: the SYN to the Service and its DNAT'd copy, then ICMP errors from these
 * senders, on the translated half (`translated`) or the Service half (`original`).
 */
function dnatRejected(...errors: { half: 'original' | 'translated'; from: string }[]): TablePacket[] {
  return [
    nat.original.c(0, 'S', nat.original.ci, undefined, { ifIndex: 1 }),
    nat.translated.c(0.0001, 'S', nat.translated.ci, undefined, { ifIndex: 3 }),
    ...errors.map((e, i) => nat[e.half].c(0.0003 + i * 0.0001, 'S', nat[e.half].ci, undefined,
      { ifIndex: e.half === 'original' ? 1 : 3, icmp: { from: e.from } })),
  ];
}

/** A SYN and the ICMP error quoting it (IPv4 3/3 and IPv6 1/4 unless `icmp` says otherwise). */
function rejected(c: Conversation, icmp: NonNullable<TablePacket['icmp']>, at = 0): TablePacket[] {
  return [c.c(at, 'S', c.ci), c.c(at + 0.0003, 'S', c.ci, undefined, { icmp })];
}

new RuleTester().run('icmp-rejected', {
  valid: [
    {
      name: 'healthy handshake',
      packets: handshake(k),
    },
    {
      name: 'ICMP fragmentation needed is path-MTU signalling, not a rejection',
      packets: rejected(far, { type: 3, code: 4, from: ROUTER }),
    },
    {
      name: 'ICMP time exceeded',
      packets: rejected(far, { type: 11, code: 0, from: ROUTER }),
    },
    {
      name: 'ICMPv6 packet too big',
      packets: rejected(far6, { type: 2, code: 0, from: ROUTER6 }),
    },
    {
      name: 'an ICMP unreachable quoting a segment after the handshake completed',
      packets: [
        ...handshake(k),
        k.c(0.001, 'PA', k.ci + 1, k.si + 1, { len: 36 }),
        k.c(0.0012, 'PA', k.ci + 1, k.si + 1, { len: 36, icmp: { from: ROUTER } }),
      ],
    },
    {
      name: 'SYNs with no answer at all (a DROP, not a REJECT)',
      packets: [0, 1, 3].map((t) => far.c(t, 'S', far.ci)),
      firesInstead: 'syn-timeout',
    },
    {
      name: 'a SYN refused by RST+ACK',
      packets: refusal(k),
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'host unreachable from the router 3 s after the first SYN: nothing answered ARP (ndpi gnutella), not a rejection',
      packets: [far.c(0, 'S', far.ci), far.c(1, 'S', far.ci, undefined, { id: 1 }), far.c(2, 'S', far.ci, undefined, { id: 2 }),
        far.c(3.1, 'S', far.ci, undefined, { icmp: { type: 3, code: 1, from: ROUTER } })],
      findings: [{ messageId: 'hostUnreachable', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2, 3, 4] }],
    },
    {
      name: 'IPv6 address unreachable after 3 s (neighbour discovery failed)',
      packets: [far6.c(0, 'S', far6.ci), far6.c(3.05, 'S', far6.ci, undefined, { icmp: { type: 1, code: 3, from: ROUTER6 } })],
      findings: [{ messageId: 'hostUnreachable', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2] }],
    },
    {
      name: 'port unreachable from the destination host (IPv4)',
      packets: rejected(k, { from: '10.0.0.3' }),
      findings: [{ messageId: 'rejectedByHost', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: HOST, server: SERVER, backend: null }],
    },
    {
      name: 'administratively prohibited by a router on the path (IPv4)',
      packets: rejected(far, { type: 3, code: 13, from: ROUTER }),
      findings: [{ messageId: 'rejectedOnPath', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2] }],
    },
    {
      name: 'ICMPv6 administratively prohibited from a router, two attempts',
      packets: [
        ...rejected(far6, { type: 1, code: 1, from: ROUTER6 }),
        ...rejected(far6Later, { type: 1, code: 1, from: ROUTER6 }, 0.5),
      ],
      findings: [{ messageId: 'rejectedOnPath', severity: 'error', resetBy: 'middlebox', count: 2, frames: [1, 2, 3, 4],
        client: HOST6, server: far6.server }],
    },
    {
      name: 'ICMPv6 port unreachable from the destination host',
      packets: rejected(k6, { from: 'fd00::3' }),
      findings: [{ messageId: 'rejectedByHost', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      // Only the translated half holds the ICMP error: the original is examined for its NAT half's.
      // The SYN was DNAT'd, so the Service has an endpoint: not kube-proxy's no-endpoints REJECT
      // (that rejects before any translation) but a rule after it.
      name: 'behind DNAT, -i any: the node rejects the translated SYN — a rule after the translation, not a Service without endpoints',
      packets: dnatRejected({ half: 'translated', from: NODE }),
      findings: [{ messageId: 'rejectedOnPath', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2, 3],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      // Conntrack translates the error back like a reply, source included (samples/icmp-reject-after-dnat).
      name: 'from the Service address itself, client side: rejected after the DNAT, by the backend or a rule on the way',
      packets: rejected(toService, { from: SERVICE_ADDR }),
      findings: [{ messageId: 'rejectedAfterDnat', severity: 'error', resetBy: null, count: 1, frames: [1, 3],
        client: POD, server: SERVICE, backend: null }],
    },
    {
      name: 'from the Service address, the node sees the translated half and no error from the backend: the node rejected it',
      packets: dnatRejected({ half: 'original', from: SERVICE_ADDR }),
      findings: [{ messageId: 'rejectedAfterDnat', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2, 3],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      name: 'behind DNAT: the backend pod\'s own host rejects the translated SYN (and its error reaches the client from the Service address)',
      packets: dnatRejected({ half: 'translated', from: BACKEND_ADDR }, { half: 'original', from: SERVICE_ADDR }),
      findings: [{ messageId: 'rejectedByHost', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2, 3, 4],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      name: 'a Service without endpoints: the node rejects (-i any copies)',
      packets: rejected(toService, { from: NODE }),
      findings: [{ messageId: 'serviceWithoutEndpoints', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 3],
        client: POD, server: SERVICE }],
    },
  ],
});

ruledOutCases('icmp-rejected', [
  {
    name: 'the ICMP error (frame 2) answered the SYN, and nothing came from the host\'s TCP',
    packets: rejected(k, { from: '10.0.0.3' }),
    ruledOut: [['syn-timeout', 'connection-refused']],
    why: [['frame 2', '10.0.0.3']],
  },
]);

describe('icmp-rejected: SYN evidence notes', () => {
  const stamped = (t: number, id: number, tsVal: number) => k.c(t, 'S', k.ci, undefined, { id, ts: [tsVal, 0] });
  const icmp = (t: number) => k.c(t, 'S', k.ci, undefined, { icmp: { from: '10.0.0.3' } });
  it('a copy with other data is not labelled a retransmission; the timer\'s resend is', () => {
    const notes = evidenceNotes('icmp-rejected', [
      stamped(0, 0x100, 7000), icmp(0.0003),
      k.c(0.5, 'S', k.ci, undefined, { id: 0x101, ts: [7500, 0], len: 20 }), icmp(0.5003),
      stamped(1, 0x102, 8000), icmp(1.0003),
    ])!;
    expect(notes.get(3)).toContain('other data');
    expect(notes.get(5)).toBe('SYN retransmission');
  });
});
