import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening, type Conversation } from './table-rows.js';

// challenge-ack: a SYN answered by a bare ACK of an older connection on the same 4-tuple (RFC 5961
// §4), the client's RST at that ack, and the same SYN again (src/rules/challenge-ack.ts,
// docs/rules/challenge-ack.md, lab/challenge-ack.sh).

const k = conversation('10.0.0.2:40441', '10.0.0.3:8080');
const v6 = conversation('[fd00::2]:40441', '[fd00::3]:8080', { client: { copy: true }, server: { copy: true } });
const NEW_ISN = 777000;

/** An older connection, then at `at` a new SYN (another ISN) met by the old connection's ACK, the client's RST, the retry. */
function challenged(c: Conversation, at = 1, retry = true, answered = true): TablePacket[] {
  // The retry follows within the copy window: its own IP ID and timestamp tell it from a copy.
  const rows = [...opening(c), c.c(at, 'S', NEW_ISN, undefined, { id: 0x100, ts: [5000, 0] }), c.s(at + 0.0001, 'A', c.sNext, c.cNext),
    c.c(at + 0.0002, 'R', c.cNext)];
  if (retry) rows.push(c.c(at + 0.01, 'S', NEW_ISN, undefined, { id: 0x102, ts: [5010, 0] }));
  if (retry && answered) rows.push(c.s(at + 0.0101, 'SA', 900000, NEW_ISN + 1), c.c(at + 0.0102, 'A', NEW_ISN + 1, 900001));
  return rows;
}

new RuleTester().run('challenge-ack', {
  valid: [
    { name: 'a healthy exchange', packets: opening(k) },
    { name: 'a SYN answered by RST+ACK', packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)], firesInstead: 'connection-refused' },
    {
      name: 'the server\'s ACK acknowledges the SYN (a SYN-ACK without SYN is not a challenge ACK when it acks x+1)',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'A', k.si, k.ci + 1), k.c(0.0002, 'R', k.ci + 1)],
    },
    {
      name: 'split handshake: the server answers the SYN with a SYN of its own, later a bare ACK the client resets (suricata-verify split-4whs)',
      packets: [k.c(0, 'S', 1000), k.s(0.0006, 'S', 3000), k.c(0.0011, 'SA', 1000, 3001), k.s(0.0016, 'A', 3001, 1001),
        k.c(0.0022, 'A', 1001, 3001, { len: 4 }), k.s(0.0037, 'A', 3001, 1005), k.c(0.0043, 'R', 1005)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'split handshake: a bare ACK acking the SYN, then the server\'s own SYN (suricata-verify split-5whs)',
      packets: [k.c(0, 'S', 1000), k.s(0.0009, 'A', 2000, 1001), k.s(0.0014, 'S', 3000), k.c(0.002, 'SA', 1000, 3001), k.s(0.0025, 'A', 3001, 1001),
        k.c(0.003, 'A', 1001, 3001, { len: 4 }), k.s(0.0038, 'A', 3001, 1005), k.c(0.0044, 'R', 1005)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'the server\'s first answer carries data: not a bare challenge ACK',
      packets: [...opening(k), k.c(1, 'S', NEW_ISN, undefined, { id: 0x100 }), k.s(1.0001, 'PA', k.sNext, k.cNext, { len: 10 }), k.c(1.0002, 'R', k.cNext)],
    },
    {
      name: 'the client\'s RST does not carry the challenge ACK\'s ack',
      packets: [...opening(k), k.c(1, 'S', NEW_ISN), k.s(1.0001, 'A', k.sNext, k.cNext), k.c(1.0002, 'R', k.cNext + 5000)],
    },
  ],
  invalid: [
    {
      name: 'the retry connects (lab/challenge-ack.sh, client pod)',
      packets: challenged(k),
      findings: [{ messageId: 'recovered', severity: 'warning', resetBy: 'client', count: 1, frames: [7, 8, 9, 10, 11] }],
    },
    {
      name: 'the retry is not answered: the attempt failed',
      packets: challenged(k, 1, true, false),
      findings: [{ messageId: 'keptFailing', severity: 'error', resetBy: 'client', count: 1, frames: [7, 8, 9, 10] }],
    },
    {
      name: 'no retry in the capture',
      packets: challenged(k, 1, false),
      findings: [{ messageId: 'noRetry', severity: 'warning', resetBy: 'client', count: 1, frames: [7, 8, 9] }],
    },
    {
      name: 'IPv6, every packet seen twice (-i any)',
      packets: challenged(v6),
      findings: [{ messageId: 'recovered', severity: 'warning', resetBy: 'client', count: 1, frames: [13, 15, 17, 19, 21] }],
    },
  ],
});

ruledOutCases('challenge-ack', [
  {
    name: 'the reset ACK (frame 8) answers the SYN with an older ack; the client\'s RST is at that ack, with its TTL',
    packets: challenged(k),
    ruledOut: [['stale-connection', 'injected-reset']],
    why: [['frame 8', 'TTL 64']],
  },
]);
