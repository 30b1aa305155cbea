import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening } from './table-rows.js';

// abortive-close: an endpoint ends an established connection with RST; the reason comes from
// what each side had sent before it (src/rules/abortive-close.ts, docs/rules/abortive-close.md,
// samples/linger0). The evidence is the RST and the 4 packets before it.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const second = conversation('10.0.0.2:40001', '10.0.0.3:8080', { ci: 3000, si: 8000 });
const v6 = conversation('[fd00::2]:40000', '[fd00::3]:8080', { client: { copy: true }, server: { copy: true } });

/**
 * After `opening`, `n` reply segments each retransmitted once (distinct IP IDs) and acked: 2n
 * notable packets, more than the evidence bound keeps (src/flow/evidence.ts); then FIN each way.
 */
function lossyReplies(n: number): TablePacket[] {
  const rows: TablePacket[] = [];
  let seq = k.sNext;
  let t = 0.01;
  for (let i = 0; i < n; i++, t += 0.5) {
    rows.push(k.s(t, 'PA', seq, k.cNext, { len: 100, id: 0x100 + 2 * i }), k.s(t + 0.3, 'PA', seq, k.cNext, { len: 100, id: 0x101 + 2 * i }));
    seq += 100;
    rows.push(k.c(t + 0.301, 'A', k.cNext, seq, { id: 0x1000 + i }));
  }
  return [...rows, k.s(t, 'FA', seq, k.cNext, { id: 0x900 }), k.c(t + 0.001, 'FA', k.cNext, seq + 1, { id: 0x2000 }),
    k.s(t + 0.002, 'A', seq + 1, k.cNext + 1, { id: 0x901 }), k.c(t + 1, 'RA', k.cNext + 1, seq + 1, { id: 0x2001 })];
}

/**
 * Three public servers behind a NAT each reset the connection right after the client's last data
 * (RST+ACK, TTL 64, the servers' other packets TTL 64 too), the RSTs with the given IP IDs: 8 rows
 * a connection, the RSTs at frames 8, 16, 24 (ndpi-gnutella.pcap's shape).
 */
function serverResets(ids: readonly number[]): TablePacket[] {
  const servers = ['97.83.183.148:8890', '14.200.255.229:37058', '220.238.145.82:33527'];
  return ids.flatMap((id, i) => {
    const p = conversation(`10.0.2.15:${50293 + i}`, servers[i]!, { ci: 1000 * (i + 1), si: 7000 * (i + 1) });
    return [...opening(p, i), p.c(i + 0.1, 'PA', p.cNext, p.sNext, { len: 20 }), p.s(i + 0.2, 'RA', p.sNext, p.cNext + 20, { id })];
  });
}

/** Each server's unread-data reset, one finding each (evidence: the RST and the 4 packets before it). */
function unreadEach(messageId: string, resetBy: 'server' | 'middlebox', severity: 'warning') {
  return [4, 12, 20].map((f) => ({ messageId, severity, resetBy, count: 1, frames: [f, f + 1, f + 2, f + 3, f + 4] }));
}

new RuleTester().run('abortive-close', {
  valid: [
    {
      name: 'a graceful close: FIN each way',
      packets: [...opening(k), k.c(0.01, 'FA', k.cNext, k.sNext), k.s(0.011, 'FA', k.sNext, k.cNext + 1), k.c(0.012, 'A', k.cNext + 1, k.sNext + 1)],
    },
    {
      name: 'a bare RST answering a request with its ack: the server no longer had the connection',
      packets: [...opening(k), k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'R', k.sNext)],
      firesInstead: 'stale-connection',
    },
    {
      name: 'the RST+ACK arrives with TTL 50 while the server\'s packets come with 64: made in its name',
      packets: [...opening(k), k.s(0.2, 'RA', k.sNext, k.cNext, { ttl: 50 })],
      firesInstead: 'injected-reset',
    },
    {
      name: 'the RST+ACK answers the first request after 300 s of silence',
      packets: [...opening(k), k.c(300, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(300.001, 'RA', k.sNext, k.cNext + 36)],
      firesInstead: 'idle-timeout',
    },
    {
      name: 'RST+ACK answering the SYN: never established',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'three servers\' RSTs carry IP IDs from one counter (0x03d1, 0x03f2, 0x041e): one stack made them in their name, not their own sockets (warning, middlebox)',
      packets: serverResets([0x03d1, 0x03f2, 0x041e]),
      findings: unreadEach('onSharedCounter', 'middlebox', 'warning'),
    },
    {
      name: 'three servers\' RSTs with IP ID 0 (Linux, DF): no counter to share, each server\'s own close with unread data',
      packets: serverResets([0, 0, 0]),
      findings: unreadEach('unreadData', 'server', 'warning'),
    },
    {
      name: 'three servers\' RSTs, each from its own IP ID counter: their own closes with unread data',
      packets: serverResets([0x1234, 0x8a01, 0x3c77]),
      findings: unreadEach('unreadData', 'server', 'warning'),
    },
    {
      // zeek-m57-long.pcap: the client's RST+ACK 1.35 s after the server's FIN, all acked both ways.
      name: 'the server sent its data and FIN, the client acked them all, then reset instead of FIN: the exchange had finished (info), not unread data',
      packets: [...opening(k), k.s(0.01, 'PA', k.sNext, k.cNext, { len: 100 }), k.c(0.011, 'A', k.cNext, k.sNext + 100),
        k.s(2.9, 'FA', k.sNext + 100, k.cNext), k.c(2.9005, 'A', k.cNext, k.sNext + 101), k.c(4.25, 'RA', k.cNext, k.sNext + 101)],
      findings: [{ messageId: 'finished', severity: 'info', resetBy: 'client', count: 1, frames: [7, 8, 9, 10, 11] }],
    },
    {
      name: 'the server sent data and FIN, and the client\'s RST+ACK acks neither: unread data',
      packets: [...opening(k), k.s(0.01, 'PA', k.sNext, k.cNext, { len: 100 }), k.s(0.02, 'FA', k.sNext + 100, k.cNext),
        k.c(0.5, 'RA', k.cNext, k.sNext)],
      findings: [{ messageId: 'unreadData', severity: 'warning', resetBy: 'client', count: 1, frames: [5, 6, 7, 8, 9] }],
    },
    {
      name: 'the server\'s FIN was acked, but the client\'s later data was not when it reset: not a finished exchange',
      packets: [...opening(k), k.s(1, 'FA', k.sNext, k.cNext), k.c(1.001, 'A', k.cNext, k.sNext + 1),
        k.c(1.5, 'PA', k.cNext, k.sNext + 1, { len: 30 }), k.c(2, 'RA', k.cNext + 30, k.sNext + 1)],
      findings: [{ messageId: 'lingerZero', severity: 'warning', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10] }],
    },
    {
      // 6 + 3 × 60 rows, then the FINs (187, 188), the server's ACK and the client's RST (190): kept
      // past the bound with the packets before them, so the reason is read from the real ending.
      name: 'a long lossy connection past the evidence bound, both FINs, then the client\'s RST: finished',
      packets: [...opening(k), ...lossyReplies(60)],
      findings: [{ messageId: 'finished', severity: 'info', resetBy: 'client', count: 1, frames: [186, 187, 188, 189, 190] }],
    },
    {
      name: 'the peer\'s FIN answered by a bare RST (seq = the FIN\'s ack): the resetter had no socket any more, the connection was ending',
      packets: [...opening(k), k.s(5, 'FA', k.sNext, k.cNext), k.c(5.0002, 'R', k.cNext)],
      findings: [{ messageId: 'finAnswered', severity: 'info', resetBy: 'client', count: 1, frames: [4, 5, 6, 7, 8] }],
    },
    {
      name: 'a bare RST right after the peer acked everything the resetter sent: a live socket\'s abort, not a lost connection',
      packets: [...opening(k), k.s(0.2, 'PA', k.sNext, k.cNext, { len: 100 }), k.c(0.2002, 'A', k.cNext, k.sNext + 100),
        k.s(0.2003, 'R', k.sNext + 100)],
      findings: [{ messageId: 'lingerZero', severity: 'warning', resetBy: 'server', count: 1, frames: [5, 6, 7, 8, 9] }],
    },
    {
      name: 'SO_LINGER 0 after the reply: the server\'s RST+ACK right after its own last data (samples/linger0, port 8080)',
      packets: [...opening(k), k.s(0.2, 'RA', k.sNext, k.cNext)],
      findings: [{ messageId: 'lingerZero', severity: 'warning', resetBy: 'server', count: 1, frames: [3, 4, 5, 6, 7],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'two connections of one client address closed the same way: one finding, count 2',
      packets: [...opening(k), k.s(0.2, 'RA', k.sNext, k.cNext), ...opening(second, 1), second.s(1.2, 'RA', second.sNext, second.cNext)],
      findings: [{ messageId: 'lingerZero', severity: 'warning', resetBy: 'server', count: 2, frames: [3, 4, 5, 6, 7, 10, 11, 12, 13, 14] }],
    },
    {
      name: 'IPv6, -i any: the client closes with the reply unread (samples/linger0, port 8081)',
      packets: [...opening(v6), v6.c(0.5, 'RA', v6.cNext, v6.sNext)],
      findings: [{ messageId: 'unreadData', severity: 'warning', resetBy: 'client', count: 1, frames: [5, 7, 9, 11, 13],
        client: '[fd00::2]:40000', server: '[fd00::3]:8080' }],
    },
    {
      name: 'the server sent FIN and the client kept sending: the server\'s bare RST resets the late data',
      packets: [...opening(k), k.s(0.5, 'FA', k.sNext, k.cNext), k.c(0.5001, 'A', k.cNext, k.sNext + 1),
        k.c(1, 'PA', k.cNext, k.sNext + 1, { len: 10 }), k.s(1.0001, 'R', k.sNext + 1)],
      findings: [{ messageId: 'dataAfterClose', severity: 'warning', resetBy: 'server', count: 1, frames: [6, 7, 8, 9, 10] }],
    },
    {
      name: 'FIN each way, then the client\'s RST+ACK: a fast close after the exchange finished',
      packets: [...opening(k), k.s(0.01, 'FA', k.sNext, k.cNext), k.c(0.011, 'FA', k.cNext, k.sNext + 1),
        k.s(0.012, 'A', k.sNext + 1, k.cNext + 1), k.c(0.02, 'RA', k.cNext + 1, k.sNext + 1)],
      findings: [{ messageId: 'finished', severity: 'info', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10] }],
    },
    {
      name: 'the client closed with nothing outstanding, then reset instead of waiting for the server\'s FIN',
      packets: [...opening(k), k.c(0.01, 'FA', k.cNext, k.sNext), k.s(0.011, 'A', k.sNext, k.cNext + 1), k.c(0.02, 'RA', k.cNext + 1, k.sNext)],
      findings: [{ messageId: 'finished', severity: 'info', resetBy: 'client', count: 1, frames: [5, 6, 7, 8, 9] }],
    },
    {
      name: 'the client aborts with data unread; the server\'s next push meets its bare RST (that one is stale-connection\'s)',
      packets: [...opening(k), k.c(1, 'RA', k.cNext, k.sNext), k.s(1.1, 'PA', k.sNext, k.cNext, { len: 20 }), k.c(1.1001, 'R', k.cNext)],
      findings: [{ messageId: 'unreadData', severity: 'warning', resetBy: 'client', count: 1, frames: [3, 4, 5, 6, 7] }],
    },
  ],
});

ruledOutCases('abortive-close', [
  {
    name: 'a RST on a counter shared across addresses: its TTL in line with the server\'s packets does not make it the server\'s own',
    packets: serverResets([0x03d1, 0x03f2, 0x041e]),
    ruledOut: [['stale-connection', 'idle-timeout'], ['stale-connection', 'idle-timeout'], ['stale-connection', 'idle-timeout']],
  },
  {
    name: 'the bare RST answers the peer\'s FIN (frame 7), with the client\'s TTL, after 5 s of silence at most',
    packets: [...opening(k), k.s(5, 'FA', k.sNext, k.cNext), k.c(5.0002, 'R', k.cNext)],
    ruledOut: [['stale-connection', 'injected-reset', 'idle-timeout']],
    why: [['frame 7', 'TTL 64', '5.0 s']],
  },
  {
    name: 'RST+ACK (frame 7): a live socket\'s abort',
    packets: [...opening(k), k.s(0.2, 'RA', k.sNext, k.cNext)],
    ruledOut: [['stale-connection', 'injected-reset', 'idle-timeout']],
    why: [['frame 7']],
  },
  {
    name: 'a bare RST answering a pure ACK proves no lost connection either way: stale-connection is not listed',
    packets: [...opening(k), k.s(0.2, 'PA', k.sNext, k.cNext, { len: 100 }), k.c(0.2002, 'A', k.cNext, k.sNext + 100),
      k.s(0.2003, 'R', k.sNext + 100)],
    ruledOut: [['injected-reset', 'idle-timeout']],
  },
  {
    name: 'RST+ACK after 20 s of silence: an idle period is not excluded',
    packets: [...opening(k), k.s(20, 'RA', k.sNext, k.cNext)],
    ruledOut: [['stale-connection', 'injected-reset']],
  },
]);
