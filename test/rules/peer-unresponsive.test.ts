import { RuleTester } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening } from './table-rows.js';
import { clientStalls } from './stall-rows.js';

// peer-unresponsive: an established connection, one side retransmits with backoff and nothing
// comes back (src/rules/peer-unresponsive.ts, docs/rules/peer-unresponsive.md).

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const k6 = conversation('[fd00::2]:40000', '[fd00::3]:8080');
/** Another client of the same server, and another server of the same client. */
const other = conversation('10.0.0.4:40001', '10.0.0.3:8080', { ci: 7000, si: 9000 });
const mine = conversation('10.0.0.2:40002', '10.0.0.5:443', { ci: 7000, si: 9000 });
const loop = conversation('127.0.0.1:40000', '127.0.0.1:8080');
const vip = conversation('10.0.0.2:40000', '10.96.0.10:80');
const vipOther = conversation('10.0.0.4:40001', '10.96.0.10:80', { ci: 7000, si: 9000 });
/** The server retransmits its 50-byte answer after 0.2, 0.4, 0.8 s (frames 6–10): its client went silent. */
const serverStalls = [k.s(1, 'PA', k.sNext, k.cNext, { len: 50 }), k.s(1.2, 'PA', k.sNext, k.cNext, { len: 50 }),
  k.s(1.6, 'PA', k.sNext, k.cNext, { len: 50 }), k.s(2.4, 'PA', k.sNext, k.cNext, { len: 50 })];

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
    {
      name: 'the silent server answers another client while the stall goes on: it is up, this flow is lost on the path (a warning)',
      packets: [...opening(k), ...clientStalls(k, 1, 100, 4), ...opening(other, 4.5)],
      findings: [{ messageId: 'aliveElsewhere', severity: 'warning', resetBy: null, count: 1, frames: [5, 7, 8, 9, 10, 11] }],
    },
    {
      name: 'the silent client is a client elsewhere after the stall, and the server gives up (an IPS dropping the flow: suricata http-sha256-drop)',
      packets: [...opening(k), ...serverStalls, ...opening(mine, 3), k.s(7, 'RA', k.sNext + 50, k.cNext)],
      findings: [{ messageId: 'aliveElsewhere', severity: 'warning', resetBy: 'server', count: 1, frames: [6, 7, 8, 9, 10, 17] }],
    },
    {
      name: 'the server was last seen on another connection before the stall began: it may have vanished since (an error)',
      packets: [...opening(k), ...opening(other, 0.5), ...clientStalls(k, 1, 100, 4)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [5, 13, 14, 15, 16, 17] }],
    },
    {
      name: 'a copy of the server\'s last packet on a second interface after the stall began is no sign of life (an error)',
      packets: [...opening(k), ...clientStalls(k, 0.004, 100, 4).slice(0, 1), k.s(0.013, 'PA', k.si + 1, k.cNext, { len: 41, ifIndex: 2 }),
        ...clientStalls(k, 0.004, 100, 4).slice(1)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [5, 7, 9, 10, 11, 12] }],
    },
    {
      name: 'loopback: the sender\'s own packets come from the silent address too, no sign of the peer (an error)',
      packets: [...opening(loop), ...clientStalls(loop, 1, 100, 4)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [5, 7, 8, 9, 10, 11] }],
    },
    {
      name: 'a Service address answers another client: another backend may answer in its name, no sign of this one (an error)',
      packets: [...opening(vip), ...clientStalls(vip, 1, 100, 4), ...opening(vipOther, 4.5)],
      findings: [{ messageId: 'silent', severity: 'error', resetBy: null, count: 1, frames: [5, 7, 8, 9, 10, 11] }],
    },
  ],
});

ruledOutCases('peer-unresponsive', [
  { name: 'small segments, a busy connection', packets: [...opening(k), ...clientStalls(k, 1, 100, 4)], ruledOut: [['pmtu-blackhole', 'stale-connection', 'idle-timeout']] },
  {
    name: 'the same with the server alive elsewhere: the same alternatives ruled out',
    packets: [...opening(k), ...clientStalls(k, 1, 100, 4), ...opening(other, 4.5)],
    ruledOut: [['pmtu-blackhole', 'stale-connection', 'idle-timeout']],
  },
]);
