import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { conversation, opening, type Conversation } from './table-rows.js';
import { ruledOutCases } from './ruled-out.js';

// idle-timeout as a RuleTester table (idle-timeout.test.ts holds the sample-based tests): a
// long silence, then a reset (src/rules/idle-timeout.ts, docs/rules/idle-timeout.md, samples/idle).
// The server's packets arrive with TTL 62; a RST with another TTL betrays a middlebox.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080', { server: { ttl: 62 } });
const v6 = conversation('[fd00::2]:40000', '[fd00::3]:8080', { server: { ttl: 62 } });
const copied = conversation('10.0.0.2:40000', '10.0.0.3:8080', { client: { copy: true }, server: { ttl: 62, copy: true } });

/** The opening, `idle` s of silence, a request, and a bare RST (seq = its ack) `answerAfter` s later with this TTL. */
function resetAfter(c: Conversation, idle: number, rstTtl = 62, answerAfter = 0.001): TablePacket[] {
  const t = 0.0031 + idle;
  return [...opening(c), c.c(t, 'PA', c.cNext, c.sNext, { len: 36 }), c.s(t + answerAfter, 'R', c.sNext, undefined, { ttl: rstTtl })];
}

/**
 * The NAT node's `-i any` (samples/idle/lb-any.pcap): the client side (if 1) and, DNAT'd, the
 * backend side (if 2) of one connection; after 25 s the client's request meets a RST on the client
 * side only — the node's conntrack forgot the entry and made the RST itself.
 */
function natNodeIdle(): TablePacket[] {
  const front = conversation('10.244.1.2:40091', '10.96.0.20:80', { client: { ifIndex: 1 }, server: { ifIndex: 1, ttl: 63 } });
  const back = conversation('10.244.1.2:40091', '10.244.0.3:8080', { client: { ifIndex: 2 }, server: { ifIndex: 2 } });
  const [fc, bc] = [front.c, back.c];
  const { ci, si, cNext, sNext } = front;
  return [
    fc(0, 'S', ci, undefined, { id: 1 }), bc(0.0001, 'S', ci, undefined, { id: 1 }),
    back.s(0.0002, 'SA', si, ci + 1), front.s(0.0003, 'SA', si, ci + 1),
    fc(0.0004, 'A', ci + 1, si + 1, { id: 2 }), bc(0.0005, 'A', ci + 1, si + 1, { id: 2 }),
    fc(0.001, 'PA', ci + 1, si + 1, { len: 36, id: 3 }), bc(0.0011, 'PA', ci + 1, si + 1, { len: 36, id: 3 }),
    back.s(0.002, 'PA', si + 1, cNext, { len: 41 }), front.s(0.0021, 'PA', si + 1, cNext, { len: 41 }),
    fc(0.003, 'A', cNext, sNext, { id: 4 }), bc(0.0031, 'A', cNext, sNext, { id: 4 }),
    fc(25.003, 'PA', cNext, sNext, { len: 36, id: 5 }),
    front.s(25.0031, 'R', sNext),
  ];
}

new RuleTester().run('idle-timeout', {
  valid: [
    {
      name: 'after 300 s the client closes its own idle connection (close_notify, FIN); the server acks and aborts (mercury surfshark)',
      packets: [...opening(k), k.c(300, 'PA', k.cNext, k.sNext, { len: 24 }), k.c(300.0004, 'FA', k.cNext + 24, k.sNext),
        k.s(300.0005, 'A', k.sNext, k.cNext + 24), k.s(300.0006, 'RA', k.sNext, k.cNext + 25)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'after 120 s the server closes its idle connection with FIN, and the client answers with RST (mercury emix LDAP)',
      packets: [...opening(k), k.s(120, 'FA', k.sNext, k.cNext), k.c(120.0002, 'R', k.cNext)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a long idle, then the server answers normally',
      packets: [...opening(k), k.c(400, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(400.001, 'PA', k.sNext, k.cNext + 36, { len: 41 }),
        k.c(400.002, 'A', k.cNext + 36, k.sNext + 41)],
    },
    { name: '30 s idle, RST with the server\'s own TTL: the server lost the connection', packets: resetAfter(k, 30), firesInstead: 'stale-connection' },
    {
      name: '300 s idle, but the RST comes 40 s after the request: not an answer to it (nor a lost connection\'s)',
      packets: resetAfter(k, 300, 62, 40),
      firesInstead: 'abortive-close',
    },
    { name: '4 s idle, RST 2 hops closer than the server: below the threshold, a RST made in its name', packets: resetAfter(k, 4, 64), firesInstead: 'injected-reset' },
    {
      name: '2 s idle, the server aborts with RST+ACK: an endpoint closing',
      packets: [...opening(k), k.c(2, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(2.001, 'RA', k.sNext, k.cNext + 36)],
      firesInstead: 'abortive-close',
    },
  ],
  invalid: [
    {
      name: '245 s idle, RST with the server\'s own TTL: a warning — a middlebox on the path (Azure LB 240 s) or the server\'s own idle close or restart',
      packets: resetAfter(k, 245),
      findings: [{ messageId: 'onPath', severity: 'warning', resetBy: 'server', count: 1, frames: [6, 7, 8],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080', backend: null }],
    },
    {
      name: 'IPv6, 400 s idle, RST with the server\'s own hop limit: a warning',
      packets: resetAfter(v6, 400),
      findings: [{ messageId: 'onPath', severity: 'warning', resetBy: 'server', count: 1, frames: [6, 7, 8], client: '[fd00::2]:40000' }],
    },
    {
      name: '908 s idle, the server sent only its SYN-ACK and the RST, both TTL 247 (arkime long-session): a warning',
      packets: [k.c(0, 'S', k.ci), k.s(0.0013, 'SA', k.si, k.ci + 1, { ttl: 247 }), k.c(0.0013, 'A', k.ci + 1, k.si + 1),
        k.c(908.49, 'PA', k.ci + 1, k.si + 1, { len: 5 }), k.s(908.4913, 'R', k.si + 1, undefined, { ttl: 247 })],
      findings: [{ messageId: 'onPath', severity: 'warning', resetBy: 'server', count: 1, frames: [3, 4, 5] }],
    },
    {
      name: '908 s idle, one SYN-ACK at TTL 247 and a RST at 250: one packet is no usual TTL to differ from, a warning',
      packets: [k.c(0, 'S', k.ci), k.s(0.0013, 'SA', k.si, k.ci + 1, { ttl: 247 }), k.c(0.0013, 'A', k.ci + 1, k.si + 1),
        k.c(908.49, 'PA', k.ci + 1, k.si + 1, { len: 5 }), k.s(908.4913, 'R', k.si + 1, undefined, { ttl: 250 })],
      findings: [{ messageId: 'onPath', severity: 'warning', resetBy: 'server', count: 1, frames: [3, 4, 5] }],
    },
    {
      name: '245 s idle, RST one hop farther than the server\'s packets: made on the path, an error',
      packets: resetAfter(k, 245, 61),
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [6, 7, 8] }],
    },
    {
      name: '70 s idle, RST with TTL 64 while the server\'s come with 62: a middlebox',
      packets: resetAfter(k, 70, 64),
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [6, 7, 8] }],
    },
    {
      name: '30 s idle, RST one hop closer than the server: a middlebox with a short timeout',
      packets: resetAfter(k, 30, 63),
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [6, 7, 8] }],
    },
    {
      name: 'the same 70 s seen on a node (-i any): the evidence names the first copies',
      packets: resetAfter(copied, 70, 64),
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [11, 13, 15] }],
    },
    {
      name: 'both ends reset at once at the end of 300 s idle',
      packets: [...opening(k), k.s(300.0031, 'R', k.sNext), k.c(300.0032, 'R', k.cNext)],
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [6, 7, 8] }],
    },
    {
      name: 'the NAT node (-i any) made the RST: it has no copy behind the NAT (samples/idle/lb-any.pcap)',
      packets: natNodeIdle(),
      findings: [{ messageId: 'middlebox', severity: 'error', resetBy: 'middlebox', count: 1, frames: [11, 13, 14],
        client: '10.244.1.2:40091', server: '10.96.0.20:80', backend: '10.244.0.3:8080' }],
    },
  ],
});

ruledOutCases('idle-timeout', [
  {
    name: 'the RST\'s own TTL after 245 s: only the timing rules out a forgery; a restart stays possible',
    packets: resetAfter(k, 245),
    ruledOut: [['injected-reset']],
    why: [['245 s of silence (frame 7)']],
  },
  {
    name: 'the RST\'s TTL betrays a middlebox: neither the server\'s lost connection nor its abort',
    packets: resetAfter(k, 70, 64),
    ruledOut: [['stale-connection', 'abortive-close', 'injected-reset']],
    why: [['TTL 62', 'TTL 62', '70.0 s']],
  },
]);
