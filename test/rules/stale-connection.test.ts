import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { conversation, opening, type Conversation } from './table-rows.js';

// stale-connection: a bare RST whose seq is the ack of the segment it answers — how a stack
// answers a segment of a connection it does not have (src/rules/stale-connection.ts,
// docs/rules/stale-connection.md, samples/stale).

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const copied = conversation('10.0.0.2:40000', '10.0.0.3:8080', { client: { copy: true }, server: { copy: true } });
const v6 = conversation('[fd00::2]:40000', '[fd00::3]:8080', { client: { copy: true }, server: { copy: true } });

/** samples/stale: the opening, then after `idle` s a request the server answers with a bare RST (seq = its ack). */
function lostByServer(c: Conversation, idle = 4, at = 0): TablePacket[] {
  const t = at + 0.0031 + idle;
  return [...opening(c, at), c.c(t, 'PA', c.cNext, c.sNext, { len: 36 }), c.s(t + 0.0001, 'R', c.sNext)];
}

new RuleTester().run('stale-connection', {
  valid: [
    {
      name: 'the bare RST comes with TTL 80 while the server\'s SYN-ACK came with 106: not its stack\'s answer (mercury capture2)',
      packets: [k.c(0, 'S', k.ci), k.s(0.195, 'SA', k.si, k.ci + 1, { ttl: 106 }), k.c(0.1951, 'A', k.ci + 1, k.si + 1),
        k.c(1.3, 'PA', k.ci + 1, k.si + 1, { len: 12 }), k.s(1.367, 'R', k.si + 1, undefined, { ttl: 80 })],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'after a reset: the server\'s RST ended the connection, yet the server kept sending and met the client\'s bare RST',
      // The server's data after its own RST+ACK says the server never sent that RST.
      packets: [...opening(k), k.s(1, 'RA', k.sNext, k.cNext), k.s(1.1, 'PA', k.sNext, k.cNext, { len: 20 }), k.c(1.1001, 'R', k.cNext)],
      firesInstead: 'injected-reset',
    },
    {
      name: 'the resetter had aborted the connection itself (RST+ACK), then answers the peer\'s late data with a bare RST',
      packets: [...opening(k), k.c(1, 'RA', k.cNext, k.sNext), k.s(1.009, 'PA', k.sNext, k.cNext, { len: 20 }), k.c(1.0091, 'R', k.cNext)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a bare RST that follows the resetter\'s own ACK of the segment: it still had the connection',
      packets: [...opening(k), k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'A', k.sNext, k.cNext + 36), k.s(4.0002, 'R', k.sNext)],
      firesInstead: 'abortive-close',
    },
    { name: 'a healthy exchange', packets: opening(k) },
    {
      name: 'a live socket aborts: RST+ACK, not a "no such connection" answer',
      packets: [...opening(k), k.s(1, 'RA', k.sNext, k.cNext)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a bare RST from the side that had sent FIN: it closed itself and resets late data',
      packets: [...opening(k), k.s(0.5, 'FA', k.sNext, k.cNext), k.c(0.5001, 'A', k.cNext, k.sNext + 1),
        k.c(1, 'PA', k.cNext, k.sNext + 1, { len: 10 }), k.s(1.0001, 'R', k.sNext + 1)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a bare RST whose seq is not the segment\'s ack',
      packets: [...opening(k), k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'R', k.sNext + 500)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'the same bare RST after 300 s of silence: an idle timeout on the path',
      packets: lostByServer(k, 300),
      firesInstead: 'idle-timeout',
    },
    {
      name: 'the bare RST arrives with TTL 64 while the server\'s packets come with 62: made in its name',
      packets: [...opening(conversation(k.client, k.server, { server: { ttl: 62 } })),
        k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'R', k.sNext, undefined, { ttl: 64 })],
      firesInstead: 'injected-reset',
    },
    {
      name: 'RST+ACK answering a SYN: nothing listens',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'the server answers 1 ms after its own last data: a restart in between is unlikely (warning; suricata bug-4702)',
      packets: [...opening(k), k.c(0.004, 'PA', k.cNext, k.sNext, { len: 5 }), k.s(0.0042, 'PA', k.sNext, k.cNext + 5, { len: 15 }),
        k.c(0.0043, 'PA', k.cNext + 5, k.sNext + 15, { len: 5 }), k.s(0.0044, 'R', k.sNext + 15)],
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'server', count: 1, frames: [9, 10] }],
    },
    {
      name: 'a keepalive probe (no data, an old sequence number) meets a bare RST: the server lost the connection',
      packets: [...opening(k), k.c(30, 'A', k.cNext - 1, k.sNext), k.s(30.0002, 'R', k.sNext)],
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'server', count: 1, frames: [7, 8] }],
    },
    {
      name: 'the server lost the connection: a request after 4 s idle meets a bare RST (samples/stale)',
      packets: lostByServer(k),
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'server', count: 1, frames: [7, 8],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'the same seen on a node (-i any): every packet twice, the evidence names the first copies',
      packets: lostByServer(copied),
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'server', count: 1, frames: [13, 15] }],
    },
    {
      name: 'the client lost it: the server\'s push answered by the client\'s bare RST',
      packets: [...opening(k), k.s(4, 'PA', k.sNext, k.cNext, { len: 20 }), k.c(4.0001, 'R', k.cNext)],
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'client', count: 1, frames: [7, 8] }],
    },
    {
      name: 'two connections from one client address lost by the same server: one finding, count 2',
      packets: [...lostByServer(k), ...lostByServer(conversation('10.0.0.2:40001', k.server, { ci: 3000, si: 8000 }), 4, 10)],
      findings: [{ messageId: 'lost', severity: 'warning', resetBy: 'server', count: 2, frames: [7, 8, 15, 16] }],
    },
    {
      name: 'IPv6, -i any, no handshake and nothing from the server before: a socket closed before the capture looks the same (warning)',
      packets: [v6.c(0, 'A', 7000, 9000), v6.c(1, 'PA', 7000, 9000, { len: 36 }), v6.s(1.0001, 'R', 9000)],
      findings: [{ messageId: 'noHandshake', severity: 'warning', resetBy: 'server', count: 1, frames: [3, 5],
        client: '[fd00::2]:40000', server: '[fd00::3]:8080' }],
    },
  ],
});
