import { RuleTester } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening } from './table-rows.js';
import { clientStalls } from './stall-rows.js';

// peer-unresponsive: an established connection, one side retransmits with backoff and nothing
// comes back (src/rules/peer-unresponsive.ts, docs/rules/peer-unresponsive.md).

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');

new RuleTester().run('peer-unresponsive', {
  valid: [
    { name: 'two retransmissions, then acknowledged', packets: [...opening(k), ...clientStalls(k, 1, 100, 2), k.s(1.7, 'A', k.sNext, k.cNext + 100)] },
    { name: 'one retransmission only: one loss, not a stall', packets: [...opening(k), ...clientStalls(k, 1, 100, 1)] },
    {
      name: 'the peer answers the retransmission with RST: it restarted',
      packets: [...opening(k), ...clientStalls(k, 1, 100, 2), k.s(1.7, 'R', k.sNext)],
      firesInstead: 'stale-connection',
    },
    {
      name: 'the client closed (FIN) and never acknowledged the server\'s last data and FIN: a teardown left unfinished',
      packets: [...opening(k), k.c(0.5, 'FA', k.cNext, k.sNext), k.s(0.51, 'FPA', k.sNext, k.cNext + 1, { len: 31 }),
        k.s(0.8, 'FPA', k.sNext, k.cNext + 1, { len: 31 }), k.s(1.3, 'FPA', k.sNext, k.cNext + 1, { len: 31 }), k.s(2.3, 'FPA', k.sNext, k.cNext + 1, { len: 31 })],
    },
    {
      name: 'large segments stall while small ones passed: the path MTU',
      packets: [...opening(k), ...clientStalls(k, 1, 1448, 4)],
      firesInstead: 'pmtu-blackhole',
    },
  ],
  invalid: [
    {
      name: 'the client retransmits 4 times with backoff, nothing back: an error',
      packets: [...opening(k), ...clientStalls(k, 1, 100, 4)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [5, 7, 8, 9, 10, 11],
        client: '10.0.0.2:40000', server: '10.0.0.3:8080' }],
    },
    {
      name: 'IPv6, two retransmissions only: a warning',
      packets: [...opening(k6), ...clientStalls(k6, 1, 100, 2)],
      findings: [{ messageId: 'silent', severity: 'warning', resetBy: null, count: 1, frames: [5, 7, 8, 9] }],
    },
    {
      name: 'the client gives up with a RST: still the silent peer, resetBy client (not abortive-close)',
      packets: [...opening(k), ...clientStalls(k, 1, 100, 4), k.c(7.1, 'R', k.cNext + 100)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: 'client', count: 1, frames: [5, 7, 8, 9, 10, 11, 12] }],
    },
    {
      name: 'the handshake completed, the request never acknowledged: a warning (a SYN proxy or an IPS would look the same)',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'SA', k.si, k.ci + 1), k.c(0.0011, 'A', k.ci + 1, k.si + 1), ...clientStalls(k, 0.002, 200, 4, k.ci + 1).map((r) => ({ ...r, ack: k.si + 1 }))],
      findings: [{ messageId: 'silent', severity: 'warning', resetBy: null, count: 1, frames: [2, 4, 5, 6, 7, 8] }],
    },
    {
      name: 'the server is the one retransmitting (its client vanished)',
      packets: [...opening(k), k.s(1, 'PA', k.sNext, k.cNext, { len: 50 }), k.s(1.2, 'PA', k.sNext, k.cNext, { len: 50 }),
        k.s(1.6, 'PA', k.sNext, k.cNext, { len: 50 }), k.s(2.4, 'PA', k.sNext, k.cNext, { len: 50 })],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [6, 7, 8, 9, 10] }],
    },
  ],
});

ruledOutCases('peer-unresponsive', [
  { name: 'small segments, a busy connection', packets: [...opening(k), ...clientStalls(k, 1, 100, 4)], ruledOut: [['pmtu-blackhole', 'stale-connection', 'idle-timeout']] },
]);
