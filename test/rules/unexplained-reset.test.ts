import { RuleTester } from '../helpers/rule-tester.js';
import { conversation, opening } from './table-rows.js';

// unexplained-reset: a reset no other rule explains, stated plainly (src/rules/unexplained-reset.ts,
// docs/rules/unexplained-reset.md). Never silence where resets were counted.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const v6 = conversation('[fd00::2]:40000', '[fd00::3]:8080', { client: { copy: true }, server: { copy: true } });

new RuleTester().run('unexplained-reset', {
  valid: [
    { name: 'a healthy exchange', packets: opening(k) },
    { name: 'a live socket aborts an established connection', packets: [...opening(k), k.s(1, 'RA', k.sNext, k.cNext)], firesInstead: 'abortive-close' },
    {
      name: 'a bare RST answering a segment of a lost connection',
      packets: [...opening(k), k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'R', k.sNext)],
      firesInstead: 'stale-connection',
    },
    { name: 'RST+ACK answering a SYN', packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)], firesInstead: 'connection-refused' },
  ],
  invalid: [
    {
      name: 'the capture starts mid-connection and the server sends RST+ACK: who opened it and why are unknown',
      packets: [k.c(0, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(0.001, 'A', k.sNext, k.cNext + 36), k.s(0.5, 'RA', k.sNext, k.cNext + 36)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: null, count: 1, frames: [1, 3] }],
    },
    {
      name: 'the same in IPv6, every packet seen twice (-i any)',
      packets: [v6.c(0, 'PA', v6.cNext, v6.sNext, { len: 36 }), v6.s(0.001, 'A', v6.sNext, v6.cNext + 36), v6.s(0.5, 'RA', v6.sNext, v6.cNext + 36)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: null, count: 1, frames: [1, 5] }],
    },
    {
      name: 'a RST without ACK answering a SYN (no stack refuses that way): stated, not diagnosed',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'R', 0)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
  ],
});
