import { RuleTester } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening } from './table-rows.js';
import { clientStalls } from './stall-rows.js';

// pmtu-blackhole: large segments retransmitted with backoff, never acknowledged, while smaller ones
// passed (src/rules/pmtu-blackhole.ts, docs/rules/pmtu-blackhole.md).

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');

new RuleTester().run('pmtu-blackhole', {
  valid: [
    { name: 'a large segment retransmitted once, then acknowledged', packets: [...opening(k), ...clientStalls(k, 1, 1448, 1), k.s(1.3, 'A', k.sNext, k.cNext + 1448)] },
    {
      name: 'small segments stall (they fit any path): the peer is gone',
      packets: [...opening(k), ...clientStalls(k, 1, 100, 4)],
      firesInstead: 'peer-unresponsive',
    },
    {
      name: 'the stalled size passed before: not the size',
      packets: [...opening(k), k.c(0.5, 'PA', k.cNext, k.sNext, { len: 1448 }), k.s(0.501, 'A', k.sNext, k.cNext + 1448),
        ...clientStalls(k, 1, 1448, 4, k.cNext + 1448)],
      firesInstead: 'peer-unresponsive',
    },
    {
      name: 'retransmissions without backoff (fast retransmit, steady 0.2 s): no stall pattern',
      packets: [...opening(k), ...[1, 1.2, 1.4, 1.6].map((t) => k.c(t, 'PA', k.cNext, k.sNext, { len: 1448 }))],
    },
  ],
  invalid: [
    {
      name: '1448-byte segments never acknowledged, the peer silent: a warning (it may have vanished)',
      packets: [...opening(k), ...clientStalls(k, 1, 1448, 4)],
      findings: [{ messageId: 'blackhole', severity: 'warning', resetBy: null, count: 1, frames: [4, 7, 8, 9, 10, 11],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080' }],
    },
    {
      name: 'the peer keeps sending while its ack stays below the large segment: an error',
      packets: [...opening(k), ...clientStalls(k, 1, 1448, 4), k.s(1.5, 'PA', k.sNext, k.cNext, { len: 20 })].sort((a, b) => a.t - b.t),
      findings: [{ messageId: 'blackhole', severity: 'error', resetBy: null, count: 1, frames: [4, 7, 8, 9, 10, 11, 12] }],
    },
    {
      name: 'IPv6: a smaller re-segmented retransmission got through (blackhole detection): an error',
      packets: [...opening(k6), ...clientStalls(k6, 1, 1428, 3), k6.c(3, 'PA', k6.cNext, k6.sNext, { len: 1200 }),
        k6.s(3.001, 'A', k6.sNext, k6.cNext + 1200)],
      findings: [{ messageId: 'blackhole', severity: 'error', resetBy: null, count: 1, frames: [4, 7, 8, 9, 10, 11] }],
    },
  ],
});

ruledOutCases('pmtu-blackhole', [
  { name: 'the peer vanishing is not excluded', packets: [...opening(k), ...clientStalls(k, 1, 1448, 4)], ruledOut: [['peer-unresponsive', 'abortive-close']], why: [['36 bytes']] },
]);
