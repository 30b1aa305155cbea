import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';

const C = '10.0.0.2:40000';
const SRV = '10.0.0.3:8080';
const FAR = '203.0.113.10:443';
const ROUTER = '10.0.0.1';
const C6 = '[fd00::2]:40000';
const SRV6 = '[fd00::3]:8080';
const FAR6 = '[2001:db8::10]:443';
const ROUTER6 = 'fd00::1';
// Kubernetes: a pod dials a Service without ready endpoints; kube-proxy on the node REJECTs it.
const POD = '10.244.0.5:40000';
const SVC = '10.96.0.12:80';
const NODE = '10.244.0.1';
const ISN = 1000;

/** A SYN and the ICMP error quoting it (IPv4 3/3 and IPv6 1/4 unless `icmp` says otherwise). */
function rejected(client: string, server: string, icmp: NonNullable<TablePacket['icmp']>, t0 = 0, isn = ISN): TablePacket[] {
  return [
    { t: t0, src: client, dst: server, flags: 'S', seq: isn },
    { t: t0 + 0.0003, src: client, dst: server, flags: 'S', seq: isn, icmp },
  ];
}

/** SYNs at 0, 1 and 3 s with no answer. */
function unanswered(client: string, server: string): TablePacket[] {
  return [0, 1, 3].map((t) => ({ t, src: client, dst: server, flags: 'S', seq: ISN }));
}

new RuleTester().run('icmp-rejected', {
  valid: [
    {
      name: 'healthy handshake',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'SA', seq: 5000, ack: ISN + 1 },
        { t: 0.0003, src: C, dst: SRV, flags: 'A', seq: ISN + 1, ack: 5001 },
      ],
    },
    {
      name: 'ICMP fragmentation needed is path-MTU signalling, not a rejection',
      packets: rejected(C, FAR, { type: 3, code: 4, from: ROUTER }),
    },
    {
      name: 'ICMP time exceeded',
      packets: rejected(C, FAR, { type: 11, code: 0, from: ROUTER }),
    },
    {
      name: 'ICMPv6 packet too big',
      packets: rejected(C6, FAR6, { type: 2, code: 0, from: ROUTER6 }),
    },
    {
      name: 'an ICMP unreachable quoting a segment after the handshake completed',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'SA', seq: 5000, ack: ISN + 1 },
        { t: 0.0003, src: C, dst: SRV, flags: 'A', seq: ISN + 1, ack: 5001 },
        { t: 0.001, src: C, dst: SRV, flags: 'PA', seq: ISN + 1, ack: 5001, len: 36 },
        { t: 0.0012, src: C, dst: SRV, flags: 'PA', seq: ISN + 1, ack: 5001, len: 36, icmp: { from: ROUTER } },
      ],
    },
    {
      name: 'SYNs with no answer at all (a DROP, not a REJECT)',
      packets: unanswered(C, FAR),
      firesInstead: 'syn-timeout',
    },
    {
      name: 'a SYN refused by RST+ACK',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'RA', seq: 0, ack: ISN + 1 },
      ],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'port unreachable from the destination host (IPv4)',
      packets: rejected(C, SRV, { from: '10.0.0.3' }),
      findings: [{ messageId: 'rejectedByHost', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: C, server: SRV, backend: null }],
    },
    {
      name: 'administratively prohibited by a router on the path (IPv4)',
      packets: rejected(C, FAR, { type: 3, code: 13, from: ROUTER }),
      findings: [{ messageId: 'rejectedOnPath', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 2] }],
    },
    {
      name: 'ICMPv6 administratively prohibited from a router, two attempts',
      packets: [
        ...rejected(C6, FAR6, { type: 1, code: 1, from: ROUTER6 }),
        ...rejected('[fd00::2]:40001', FAR6, { type: 1, code: 1, from: ROUTER6 }, 0.5, 9000),
      ],
      findings: [{ messageId: 'rejectedOnPath', severity: 'error', resetBy: 'middlebox', count: 2, frames: [1, 2, 3, 4],
        client: C6, server: FAR6 }],
    },
    {
      name: 'ICMPv6 port unreachable from the destination host',
      packets: rejected(C6, SRV6, { from: 'fd00::3' }),
      findings: [{ messageId: 'rejectedByHost', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      name: 'a Service without endpoints: the node rejects (-i any copies)',
      packets: [
        { t: 0, src: POD, dst: SVC, flags: 'S', seq: ISN, copy: true },
        { t: 0.0003, src: POD, dst: SVC, flags: 'S', seq: ISN, icmp: { from: NODE }, copy: true },
      ],
      findings: [{ messageId: 'serviceWithoutEndpoints', severity: 'error', resetBy: 'middlebox', count: 1, frames: [1, 3],
        client: POD, server: SVC }],
    },
  ],
});
