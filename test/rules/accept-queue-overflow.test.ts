import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, REQUEST, type Conversation } from './table-rows.js';

// accept-queue-overflow: the handshake completes, the listener never takes the connection
// (src/rules/accept-queue-overflow.ts, docs/rules/accept-queue-overflow.md).

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');

/** Handshake and request (4 rows), from `at`. */
function handshake(c: Conversation, at = 0): TablePacket[] {
  return [
    c.c(at, 'S', c.ci),
    c.s(at + 0.001, 'SA', c.si, c.ci + 1),
    c.c(at + 0.0011, 'A', c.ci + 1, c.si + 1),
    c.c(at + 0.002, 'PA', c.ci + 1, c.si + 1, { len: REQUEST }),
  ];
}

/** tcp_abort_on_overflow=0: the ACK dropped; the SYN-ACK again after 1 s; the request retransmitted, never acked. */
function dropped(c: Conversation, at = 0): TablePacket[] {
  return [
    ...handshake(c, at),
    c.c(at + 0.21, 'PA', c.ci + 1, c.si + 1, { len: REQUEST }),
    c.s(at + 1.001, 'SA', c.si, c.ci + 1),
    c.c(at + 1.0011, 'A', c.ci + 1 + REQUEST, c.si + 1),
    c.c(at + 0.63, 'PA', c.ci + 1, c.si + 1, { len: REQUEST }),
  ].sort((a, b) => a.t - b.t);
}

/** tcp_abort_on_overflow=1: the listener's bare RST at its ISN + 1 answers the request. */
function aborted(c: Conversation, at = 0): TablePacket[] {
  return [...handshake(c, at), c.s(at + 0.0021, 'R', c.si + 1)];
}

new RuleTester().run('accept-queue-overflow', {
  valid: [
    {
      name: 'the request acknowledged and answered: the server took the connection',
      packets: [...handshake(k), k.s(0.003, 'PA', k.si + 1, k.ci + 1 + REQUEST, { len: 10 })],
    },
    {
      name: 'a SYN-ACK retransmitted before any ACK of the client (its SYN-ACK was lost): not after the handshake',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'SA', k.si, k.ci + 1), k.s(1.001, 'SA', k.si, k.ci + 1), k.c(1.0011, 'A', k.ci + 1, k.si + 1)],
    },
    {
      name: 'two SYNs, each answered by a SYN-ACK (the second 0.1 ms after the ACK): answers to SYN copies, not a dropped ACK (suricata-verify bug-6269)',
      // Both SYN-ACKs echo the first SYN's TSval: the listener had it, and answered the copy too.
      packets: [k6.c(0, 'S', k6.ci, undefined, { ts: [7000, 0] }), k6.c(1.011, 'S', k6.ci, undefined, { ts: [8011, 0] }),
        k6.s(1.4718, 'SA', k6.si, k6.ci + 1, { ts: [90000, 7000] }), k6.c(1.4719, 'A', k6.ci + 1, k6.si + 1, { ts: [8472, 90000] }),
        k6.s(1.472, 'SA', k6.si, k6.ci + 1, { ts: [90001, 7000] }), k6.c(1.47205, 'A', k6.ci + 1, k6.si + 1, { ts: [8472, 90000] }),
        k6.c(1.4722, 'PA', k6.ci + 1, k6.si + 1, { len: 99, ts: [8472, 90000] })],
    },
    {
      name: 'a SYN copy 0.5 s after the handshake answered by a SYN-ACK: as many SYN-ACKs as SYNs, each answers one',
      packets: [...handshake(k), k.c(0.5, 'S', k.ci, undefined, { id: 0x99 }), k.s(0.5001, 'SA', k.si, k.ci + 1)],
    },
    {
      name: 'one SYN, a second SYN-ACK 0.1 s after the ACK: more SYN-ACKs than SYNs, but sooner than any retransmission timer',
      packets: [...handshake(k), k.s(0.101, 'SA', k.si, k.ci + 1)],
    },
    {
      name: 'the server resets after answering: its application closed with linger 0',
      packets: [...handshake(k), k.s(0.003, 'PA', k.si + 1, k.ci + 1 + REQUEST, { len: 10 }), k.s(0.004, 'RA', k.si + 11, k.ci + 1 + REQUEST)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a RST+ACK right after the handshake (the listener closed): not the overflow\'s bare RST',
      packets: [...handshake(k), k.s(0.0021, 'RA', k.si + 1, k.ci + 1 + REQUEST)],
    },
    {
      name: 'a bare RST at ISN + 1 from another distance (TTL 50, the server\'s SYN-ACK 64): not the listener\'s',
      packets: [...handshake(k), k.s(0.0021, 'R', k.si + 1, undefined, { ttl: 50 })],
    },
    {
      name: 'the server acknowledged the request after retransmitting its SYN-ACK: an ACK lost once, then taken',
      packets: [...dropped(k), k.s(1.2, 'A', k.si + 1, k.ci + 1 + REQUEST)],
    },
    {
      name: 'the client closed before the server\'s RST: the client ended it',
      packets: [...handshake(k), k.c(0.0015, 'FA', k.ci + 1 + REQUEST, k.si + 1), k.s(0.0021, 'R', k.si + 1)].sort((a, b) => a.t - b.t),
    },
    {
      name: 'the ACK 16 s after the SYN-ACK, after the client\'s own RST: not a handshake',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'SA', k.si, k.ci + 1), k.c(0.1, 'R', k.ci + 1), k.c(16, 'A', k.ci + 1, k.si + 1, { len: 100 }), k.s(16.001, 'R', k.si + 1)],
    },
    {
      name: 'a bare RST 30 s after the handshake: it answers something else',
      packets: [...handshake(k), k.c(30, 'PA', k.ci + 1 + REQUEST, k.si + 1, { len: 5 }), k.s(30.001, 'R', k.si + 1)],
    },
  ],
  invalid: [
    {
      name: 'abort_on_overflow=1: RST answering the request right after the handshake (one connection: a warning)',
      packets: aborted(k),
      findings: [{ messageId: 'aborted', severity: 'warning', resetBy: 'server', count: 1, frames: [2, 3, 4, 5],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'abort_on_overflow=1, IPv6, three clients on one listener: one finding, count 3',
      packets: [
        ...aborted(k6),
        ...aborted(conversation('[fd00::4]:40001', '[fd00::3]:8080', { ci: 20000, si: 60000 }), 0.01),
        ...aborted(conversation('[fd00::5]:40002', '[fd00::3]:8080', { ci: 30000, si: 70000 }), 0.02),
      ],
      findings: [{ messageId: 'aborted', severity: 'error', resetBy: 'server', count: 3,
        frames: [2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15], server: '[fd00::3]:8080' }],
    },
    {
      name: 'abort_on_overflow=0, one connection: a warning (a lost handshake ACK looks the same)',
      packets: dropped(k),
      findings: [{ messageId: 'dropped', severity: 'warning', resetBy: null, count: 1, frames: [2, 3, 4, 7] }],
    },
    {
      name: 'abort_on_overflow=0 after a retransmitted SYN: each SYN answered, then a third SYN-ACK 1 s later from the timer',
      packets: [k.c(0, 'S', k.ci), k.c(1, 'S', k.ci), k.s(1.001, 'SA', k.si, k.ci + 1), k.c(1.0011, 'A', k.ci + 1, k.si + 1),
        k.s(1.0012, 'SA', k.si, k.ci + 1), k.c(1.0013, 'A', k.ci + 1, k.si + 1), k.c(1.002, 'PA', k.ci + 1, k.si + 1, { len: REQUEST }),
        k.s(2.001, 'SA', k.si, k.ci + 1)],
      findings: [{ messageId: 'dropped', severity: 'warning', resetBy: null, count: 1, frames: [3, 4, 7, 8] }],
    },
    {
      name: 'abort_on_overflow=0, two clients on one listener: an error',
      packets: [...dropped(k), ...dropped(conversation('10.0.0.4:40001', '10.0.0.3:8080', { ci: 20000, si: 60000 }), 0.05)],
      findings: [{ messageId: 'dropped', severity: 'error', resetBy: null, count: 2, frames: [2, 3, 4, 7, 10, 11, 12, 15] }],
    },
  ],
});

ruledOutCases('accept-queue-overflow', [
  { name: 'the bare RST of a just-opened connection', packets: aborted(k), ruledOut: [['stale-connection', 'abortive-close']], why: [['frame 5', 'bare']] },
  { name: 'the server is alive', packets: dropped(k), ruledOut: [['peer-unresponsive']], why: [['frame 7']] },
]);
