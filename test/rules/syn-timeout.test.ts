import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation } from './table-rows.js';

// syn-timeout: SYNs retransmitted with nothing at all coming back (src/rules/syn-timeout.ts,
// docs/rules/syn-timeout.md). The Linux lab kernel retransmits a SYN after 1 s, then 2 s.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');

/** The SYN at each time, the same ISN each time (retransmissions), the IP ID counting up. */
function synsAt(times: number[], src = k.client, dst = k.server, isn = k.ci, extras: Partial<TablePacket> = {}): TablePacket[] {
  return times.map((t, i) => ({ t, src, dst, flags: 'S', seq: isn, id: 0x100 + i, ...extras }));
}

/**
 * What a node's `tcpdump -i any` shows when a pod dials a Service and the SYN is DNAT'd (samples/
 * hairpin/node-any.pcap): each SYN on the pod's veth (if 5), then translated on the bridge (if 2).
 */
function dnatSyns(backend: string, times: number[]): TablePacket[] {
  const client = '10.244.0.2:40051';
  return times.flatMap((t, i) => [
    { t, src: client, dst: '10.96.0.13:80', flags: 'S' as const, seq: 837971713, id: 0xd0ab + i, ifIndex: 5 },
    { t: t + 0.00004, src: client, dst: backend, flags: 'S' as const, seq: 837971713, id: 0xd0ab + i, ifIndex: 2 },
  ]);
}

new RuleTester().run('syn-timeout', {
  valid: [
    { name: 'a single SYN, no retransmission: the capture may simply have ended', packets: synsAt([0]) },
    {
      name: 'one SYN duplicated in the capture (same IP ID, 0.6 ms apart, one interface): not a retransmission',
      packets: [0, 0.0006, 0.0012].map((t) => ({ t, src: k.client, dst: k.server, flags: 'S' as const, seq: k.ci, id: 1 })),
    },
    {
      name: 'three crafted SYNs 1 ms apart, each with other data, one IP ID (tcpdump bgp-shutdown): no timer sent them',
      packets: [[0, 41], [0.0012, 22], [0.0022, 32]].map(([t, len]) => ({ t: t!, src: '127.0.0.1:20', dst: '127.0.0.1:179', flags: 'S' as const, seq: 0, id: 1, len })),
    },
    {
      name: 'a SYN copy 0.1 s later with a new IP ID: sooner than any retransmission timer',
      packets: synsAt([0, 0.1]),
    },
    {
      name: 'a SYN replayed 1 s later, repeating its IP ID and TSval: a replay, not a retransmission',
      packets: [1, 1].map((_, i) => k.c(i, 'S', k.ci, undefined, { id: 0x4321, ts: [7000, 0] })),
    },
    {
      name: 'a SYN copy 1 s later with other data: crafted, not the same SYN sent again',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x100, len: 20 }), k.c(1, 'S', k.ci, undefined, { id: 0x101, len: 30 })],
    },
    {
      name: 'a retransmitted SYN that is answered at last: a healthy handshake',
      packets: [...synsAt([0, 1]), k.s(1.001, 'SA', k.si, k.ci + 1), k.c(1.0011, 'A', k.ci + 1, k.si + 1)],
    },
    {
      name: 'retransmitted SYNs answered by ICMP host-unreachable from a router',
      packets: [...synsAt([0, 1]), k.c(1.001, 'S', k.ci, undefined, { id: 0x101, icmp: { from: '10.0.0.1', type: 3, code: 1 } })],
      firesInstead: 'icmp-rejected',
    },
    {
      name: 'retransmitted SYNs answered by RST+ACK: nothing listens',
      packets: [...synsAt([0, 1]), k.s(1.001, 'RA', 0, k.ci + 1)],
      firesInstead: 'connection-refused',
    },
    {
      name: 'the backend\'s SYN-ACK came back untranslated and the client kept retrying (node -i any)',
      packets: [
        { t: 0, src: '10.244.0.2:40001', dst: '10.96.0.10:80', flags: 'S', seq: 3000, id: 0x93df, ifIndex: 5 },
        { t: 0.0001, src: '10.244.0.2:40001', dst: '10.244.0.3:8080', flags: 'S', seq: 3000, id: 0x93df, ifIndex: 6 },
        { t: 0.0002, src: '10.244.0.3:8080', dst: '10.244.0.2:40001', flags: 'SA', seq: 9000, ack: 3001, ifIndex: 6 },
        { t: 1, src: '10.244.0.2:40001', dst: '10.96.0.10:80', flags: 'S', seq: 3000, id: 0x93e0, ifIndex: 5 },
        { t: 1.0001, src: '10.244.0.2:40001', dst: '10.244.0.3:8080', flags: 'S', seq: 3000, id: 0x93e0, ifIndex: 6 },
        { t: 1.0002, src: '10.244.0.3:8080', dst: '10.244.0.2:40001', flags: 'SA', seq: 9000, ack: 3001, ifIndex: 6 },
      ],
      firesInstead: 'unreversed-dnat',
    },
  ],
  invalid: [
    {
      name: 'a SYN and two retransmissions, nothing back',
      packets: synsAt([0, 1, 3]),
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'Linux with timestamps: each resend a new IP ID and TSval (the SYN, 1 s, 3 s)',
      packets: [0, 1, 3].map((t, i) => k.c(t, 'S', k.ci, undefined, { id: 0x100 + i, ts: [7000 + t * 1000, 0] })),
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3] }],
    },
    {
      name: 'IPv6 (no IP ID), timestamps: the TSval tells the resend from a replay',
      packets: [0, 1].map((t) => k6.c(t, 'S', k6.ci, undefined, { ts: [7000 + t * 1000, 0] })),
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 2], client: '[fd00::2]:40000' }],
    },
    {
      name: 'a Fast Open SYN with data, resent without it 1 s later: a retransmission',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x100, len: 40 }), k.c(1, 'S', k.ci, undefined, { id: 0x101 })],
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 2] }],
    },
    {
      name: 'a replay of the SYN (same IP ID and TSval) between the SYN and its retransmission: not evidence, not counted',
      packets: [
        k.c(0, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }), k.c(0.5, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }),
        k.c(1, 'S', k.ci, undefined, { id: 0x101, ts: [8000, 0] }),
      ],
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 3] }],
    },
    {
      name: 'two attempts from one client address to one server: one finding, count 2',
      packets: [...synsAt([0, 1]), ...synsAt([5, 6], '10.0.0.2:40001', k.server, 7000)],
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 2, frames: [1, 2, 3, 4], client: '10.0.0.2:40000' }],
    },
    {
      name: 'IPv6, every SYN seen twice (-i any): the evidence names the first copies',
      packets: synsAt([0, 1, 3], k6.client, k6.server, k6.ci, { copy: true }),
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 3, 5],
        client: '[fd00::2]:40000', server: '[fd00::3]:8080' }],
    },
    {
      name: 'hairpin: a pod\'s SYN to its Service DNAT\'d to the pod itself, never delivered (node -i any)',
      // The original SYNs and the first translated one; the translated retransmissions are not evidence.
      packets: dnatSyns('10.244.0.2:8080', [0, 1.03, 2.05]),
      findings: [{ messageId: 'hairpin', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3, 5],
        client: '10.244.0.2:40051', server: '10.96.0.13:80', backend: null }],
    },
    {
      name: 'DNAT\'d to another pod and unanswered on both halves: not hairpin',
      packets: dnatSyns('10.244.0.7:8080', [0, 1.03]),
      findings: [{ messageId: 'unanswered', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3],
        client: '10.244.0.2:40051', server: '10.96.0.13:80', backend: null }],
    },
  ],
});

// Public captures (issue 14's sweep): answers the capture does not show.
const oneWayClient = conversation('10.9.0.2:40500', '10.9.0.3:22', { ci: 9000 });
const healthyOut = conversation('10.9.0.2:40501', '10.9.0.4:443');

new RuleTester().run('syn-timeout', {
  valid: [
    {
      name: 'the client later ACKs and sends data on the 4-tuple: a SYN-ACK reached it by a path not captured (zeek ssh half-duplex)',
      packets: [oneWayClient.c(0, 'S', oneWayClient.ci), oneWayClient.c(1, 'S', oneWayClient.ci, undefined, { id: 1 }),
        oneWayClient.c(1.2, 'A', oneWayClient.ci + 1, 5001), oneWayClient.c(1.3, 'PA', oneWayClient.ci + 1, 5001, { len: 20 })],
    },
  ],
  invalid: [
    {
      name: 'a capture of one direction only (originators ACK answers never seen): unanswered SYNs are a warning',
      packets: [
        healthyOut.c(0, 'S', healthyOut.ci), healthyOut.c(0.05, 'A', healthyOut.ci + 1, 7001),
        healthyOut.c(0.06, 'PA', healthyOut.ci + 1, 7001, { len: 100 }),
        oneWayClient.c(0.1, 'S', oneWayClient.ci), oneWayClient.c(1.1, 'S', oneWayClient.ci, undefined, { id: 1 }),
      ],
      findings: [{ messageId: 'unanswered', severity: 'warning', resetBy: null, count: 1, frames: [4, 5] }],
    },
  ],
});
ruledOutCases('syn-timeout', [
  {
    name: 'nothing came back: no RST+ACK, no ICMP, no SYN-ACK from any address',
    packets: synsAt([0, 1, 3]),
    ruledOut: [['connection-refused', 'icmp-rejected', 'unreversed-dnat']],
    why: [['2 retransmissions over 3.0 s']],
  },
  {
    name: 'a replayed copy is not counted among the retransmissions',
    packets: [
      k.c(0, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }), k.c(0.5, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }),
      k.c(1, 'S', k.ci, undefined, { id: 0x101, ts: [8000, 0] }), k.c(4, 'S', k.ci, undefined, { id: 0x101, ts: [8000, 0] }),
    ],
    ruledOut: [['connection-refused', 'icmp-rejected', 'unreversed-dnat']],
    // The wait is the SYNs' (0 to 1 s), not up to a later replay.
    why: [['1 retransmission over 1.0 s']],
  },
]);
