import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, REQUEST, REPLY } from './table-rows.js';

// syn-retry-delay: the first SYN(s) unanswered, a retransmission of the same ISN answered
// (src/rules/syn-retry-delay.ts, docs/rules/syn-retry-delay.md). Linux retransmits a SYN after 1 s.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');

/** SYNs at `times` (same ISN), the SYN-ACK just after the last, then the handshake ACK, request and reply. */
function delayed(times: number[], c = k, extras: Partial<TablePacket> = {}): TablePacket[] {
  const last = times[times.length - 1]!;
  return [
    ...times.map((t, i) => c.c(t, 'S', c.ci, undefined, { id: 0x100 + i, ...extras })),
    c.s(last + 0.001, 'SA', c.si, c.ci + 1, extras),
    c.c(last + 0.0011, 'A', c.ci + 1, c.si + 1, extras),
    c.c(last + 0.002, 'PA', c.ci + 1, c.si + 1, { len: REQUEST, ...extras }),
    c.s(last + 0.003, 'PA', c.si + 1, c.cNext, { len: REPLY, ...extras }),
    c.c(last + 0.0031, 'A', c.cNext, c.sNext, extras),
  ];
}

/** A node -i any view: each SYN on the pod's veth (if 5) and, once translated, on the bridge (if 2). */
function viaService(translatedFrom: number, times: number[]): TablePacket[] {
  const client = '10.244.0.2:40071';
  const rows: TablePacket[] = [];
  times.forEach((t, i) => {
    rows.push({ t, src: client, dst: '10.96.0.10:80', flags: 'S', seq: 7000, id: 0x200 + i, ifIndex: 5 });
    if (i >= translatedFrom) rows.push({ t: t + 0.00004, src: client, dst: '10.244.0.3:8080', flags: 'S', seq: 7000, id: 0x200 + i, ifIndex: 2 });
  });
  const last = times[times.length - 1]!;
  rows.push({ t: last + 0.001, src: '10.244.0.3:8080', dst: client, flags: 'SA', seq: 9000, ack: 7001, ifIndex: 2 });
  rows.push({ t: last + 0.00104, src: '10.96.0.10:80', dst: client, flags: 'SA', seq: 9000, ack: 7001, ifIndex: 5 });
  rows.push({ t: last + 0.002, src: client, dst: '10.96.0.10:80', flags: 'A', seq: 7001, ack: 9001, ifIndex: 5 });
  rows.push({ t: last + 0.00204, src: client, dst: '10.244.0.3:8080', flags: 'A', seq: 7001, ack: 9001, ifIndex: 2 });
  return rows;
}

new RuleTester().run('syn-retry-delay', {
  valid: [
    { name: 'a first SYN answered at once', packets: delayed([0]) },
    { name: 'SYNs never answered', packets: [k.c(0, 'S', k.ci), k.c(1, 'S', k.ci), k.c(3, 'S', k.ci)], firesInstead: 'syn-timeout' },
    {
      name: 'the server answered the first SYN too (its SYN-ACK was lost on the way back): not an unanswered SYN',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'SA', k.si, k.ci + 1), k.c(1, 'S', k.ci), k.s(1.001, 'SA', k.si, k.ci + 1), k.c(1.0011, 'A', k.ci + 1, k.si + 1)],
    },
    {
      name: 'a SYN answered by a challenge ACK, then the retry connects',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'A', 77777, 55555), k.c(0.0011, 'R', 55555), k.c(0.01, 'S', k.ci), k.s(0.011, 'SA', k.si, k.ci + 1)],
      firesInstead: 'challenge-ack',
    },
    {
      name: 'one SYN captured twice 1 ms apart (a duplicated frame: same IP ID), answered 0.2 s later: no retry, no delay',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x77 }), k.c(0.001, 'S', k.ci, undefined, { id: 0x77 }), k.s(0.213, 'SA', k.si, k.ci + 1), k.c(0.2131, 'A', k.ci + 1, k.si + 1)],
    },
    {
      name: 'a SYN copy 0.1 s later with a new IP ID, answered 0.25 s after the first: too soon for a retransmission timer',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x77 }), k.c(0.1, 'S', k.ci, undefined, { id: 0x78 }), k.s(0.25, 'SA', k.si, k.ci + 1), k.c(0.2501, 'A', k.ci + 1, k.si + 1)],
    },
    {
      name: 'the SYN replayed 1 s later (same IP ID and TSval), then answered: the client never resent it',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x77, ts: [7000, 0] }), k.c(1, 'S', k.ci, undefined, { id: 0x77, ts: [7000, 0] }),
        k.s(1.001, 'SA', k.si, k.ci + 1, { ts: [90000, 7000] }), k.c(1.0011, 'A', k.ci + 1, k.si + 1, { id: 0x78, ts: [8001, 90000] })],
    },
    {
      name: 'the SYN-ACK after the retransmission echoes the FIRST SYN\'s TSval: the first SYN was answered, its answer late (suricata-verify bug-6269)',
      packets: [k6.c(0, 'S', k6.ci, undefined, { ts: [7000, 0] }), k6.c(1.011, 'S', k6.ci, undefined, { ts: [8011, 0] }),
        k6.s(1.4718, 'SA', k6.si, k6.ci + 1, { ts: [90000, 7000] }), k6.c(1.4719, 'A', k6.ci + 1, k6.si + 1, { ts: [8472, 90000] })],
    },
    {
      name: 'a new SYN with another ISN (a new attempt, not a retransmission) answered',
      packets: [k.c(0, 'S', k.ci), k.c(1, 'S', k.ci + 50000), k.s(1.001, 'SA', k.si, k.ci + 50001)],
    },
  ],
  invalid: [
    {
      name: 'the first SYN lost, the retransmission 1 s later answered (client pod)',
      packets: delayed([0, 1]),
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 1, frames: [1, 2, 3],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'with timestamps, the SYN-ACK echoes the retransmission\'s TSval: the first SYN went unanswered',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }), k.c(1, 'S', k.ci, undefined, { id: 0x101, ts: [8000, 0] }),
        k.s(1.001, 'SA', k.si, k.ci + 1, { ts: [90000, 8000] }), k.c(1.0011, 'A', k.ci + 1, k.si + 1, { id: 0x102, ts: [8001, 90000] })],
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 1, frames: [1, 2, 3] }],
    },
    {
      name: 'a replay between the SYN and its retransmission: evidence and count leave it out',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }), k.c(0.5, 'S', k.ci, undefined, { id: 0x100, ts: [7000, 0] }),
        k.c(1, 'S', k.ci, undefined, { id: 0x101, ts: [8000, 0] }), k.s(1.001, 'SA', k.si, k.ci + 1, { ts: [90000, 8000] })],
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 1, frames: [1, 3, 4] }],
    },
    {
      name: 'two SYNs lost (1 s, then 2 s): a 3 s delay, IPv6',
      packets: delayed([0, 1, 3], k6),
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 1, frames: [1, 2, 3, 4], client: '[fd00::2]:40000' }],
    },
    {
      name: 'two connections from one client address delayed: one finding, count 2',
      packets: [...delayed([0, 1]), ...delayed([5, 6], conversation('10.0.0.2:40001', '10.0.0.3:8080', { ci: 30000 }))],
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 2, frames: [1, 2, 3, 8, 9, 10] }],
    },
    {
      name: 'node -i any through a Service: the first SYN never translated (dropped at DNAT)',
      packets: viaService(1, [0, 1]),
      findings: [{ messageId: 'delayed', severity: 'warning', resetBy: null, count: 1, frames: [1, 2, 3, 5],
        client: '10.244.0.2:40071', server: '10.96.0.10:80', backend: '10.244.0.3:8080' }],
    },
  ],
});

ruledOutCases('syn-retry-delay', [
  { name: 'answered at last; nothing came back to the first SYN', packets: delayed([0, 1]), ruledOut: [['syn-timeout', 'challenge-ack']], why: [['frame 3', 'frame 1']] },
]);
