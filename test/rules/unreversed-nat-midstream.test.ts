import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, opening, REPLY, REQUEST, type Conversation } from './table-rows.js';
import { BACKEND, BACKEND6, natHalves, POD, POD6, SERVICE, SERVICE6, type NatHalves, untranslatedSynAck, strayReset } from './nat-rows.js';

// A pod's connection to a Service; mid-connection one reply skips the reverse NAT (kubernetes#74839).
const nat = natHalves(POD, SERVICE, BACKEND);
const nat6 = natHalves(POD6, SERVICE6, BACKEND6);
const { cNext, sNext } = nat.original;
/** The client's sequence after the second request. */
const afterSecond = cNext + REQUEST;

/** Client vantage: handshake, request, reply, ACK (opening), then a second request at 1 s (frames 1–7). */
function working(h: NatHalves): TablePacket[] {
  return [...opening(h.original), h.original.c(1, 'PA', cNext, sNext, { len: REQUEST })];
}

/** The untranslated reply, the client's RST, its retransmission, and the server's RST (frames 8–11). */
function leakAndDeath(h: NatHalves): TablePacket[] {
  return [
    h.translated.s(1.001, 'PA', sNext, afterSecond, { len: REPLY }),
    h.translated.c(1.0011, 'R', afterSecond),
    h.original.c(1.2, 'PA', cNext, sNext, { len: REQUEST }),
    h.original.s(1.2001, 'R', sNext),
  ];
}

/** Node vantage (-i any): a Service row is seen on the client's veth (1) and translated on the backend's (3). */
function bothSides(rows: TablePacket[]): TablePacket[] {
  return rows.flatMap((r) => {
    if (r.dst === SERVICE) return [{ ...r, ifIndex: 1 }, { ...r, dst: BACKEND, t: r.t + 0.00005, ifIndex: 3 }];
    if (r.src === SERVICE) return [{ ...r, src: BACKEND, ifIndex: 3 }, { ...r, t: r.t + 0.00005, ifIndex: 1 }];
    return [r];
  });
}

const leakedReply = nat.translated.s(1.001, 'PA', sNext, afterSecond, { len: REPLY });

new RuleTester().run('unreversed-nat-midstream', {
  valid: [
    {
      name: 'healthy: every reply comes from the Service address',
      packets: [...working(nat), nat.original.s(1.001, 'PA', sNext, afterSecond, { len: REPLY })],
    },
    {
      name: 'a segment from the backend on a port with no other established connection',
      packets: [{ ...leakedReply, t: 0 }, nat.translated.c(0.0001, 'R', afterSecond)],
    },
    {
      name: 'the backend segment does not continue the connection\'s sequence space',
      packets: [...working(nat), { ...leakedReply, seq: sNext + 50_000_000 }, nat.translated.c(1.0011, 'R', afterSecond)],
    },
    { name: 'the client does not reset the untranslated segment', packets: [...working(nat), leakedReply] },
    {
      name: 'the untranslated packet is the SYN-ACK at setup',
      packets: [...untranslatedSynAck(nat).filter((r) => r.dst !== BACKEND), strayReset(nat, 0.0011), nat.original.c(1, 'S', nat.original.ci)],
      firesInstead: 'unreversed-dnat',
    },
  ],
  invalid: [
    {
      name: 'client vantage: a reply from the backend\'s own address, reset; the connection dies (IPv4)',
      packets: [...working(nat), ...leakAndDeath(nat)],
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10, 11],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      name: 'client vantage, IPv6',
      packets: [...working(nat6), ...leakAndDeath(nat6)],
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10, 11],
        client: POD6, server: SERVICE6, backend: BACKEND6 }],
    },
    {
      name: 'node vantage (-i any): the leaked reply and the RST have no pre-NAT twin',
      packets: bothSides([
        ...working(nat),
        ...leakAndDeath(nat).map((r, i) => (i < 2 ? { ...r, copy: true, ifIndex: i === 0 ? 3 : 1 } : r)),
      ]),
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [11, 13, 15, 17, 19, 22],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
  ],
});


ruledOutCases('unreversed-nat-midstream', [
  {
    name: 'the client\'s socket sent on after its RST (frame 10); the RST\'s TTL is the client\'s',
    packets: [...working(nat), ...leakAndDeath(nat)],
    ruledOut: [['stale-connection', 'injected-reset']],
    why: [['frame 10', 'TTL 64']],
  },
  {
    name: 'nothing from the client after its RST: a lost connection is not excluded',
    packets: [...working(nat), ...leakAndDeath(nat).slice(0, 2)],
    ruledOut: [['injected-reset']],
  },
]);

// Server vantage (issue 14): the client's stack resets a reply its socket never received, and the
// socket carries on — the reply reached the client under other addresses (lab/midstream-ct.sh,
// samples/nat-midstream/server-eth0.pcap). Neither a restart (stale-connection) nor a forgery.
const pod = conversation('10.244.0.2:40241', '10.244.0.3:8080');
const pod6 = conversation('[fd00:10:244::2]:40241', '[fd00:10:244::3]:8080');

function unseenReply(c: Conversation): TablePacket[] {
  return [
    ...opening(c),
    c.s(1.5, 'PA', c.sNext, c.cNext, { len: 10 }),
    c.c(1.5001, 'R', c.cNext),
    c.c(2.5, 'PA', c.cNext, c.sNext, { len: 5 }),
    c.s(2.5001, 'R', c.sNext),
  ];
}

new RuleTester().run('unreversed-nat-midstream', {
  valid: [
    {
      name: 'the client resets the reply and sends nothing more: a lost connection or an abort, not shown to be NAT',
      packets: [...opening(pod), pod.s(1.5, 'PA', pod.sNext, pod.cNext, { len: 10 }), pod.c(1.5001, 'R', pod.cNext)],
      firesInstead: 'stale-connection',
    },
    {
      name: 'the client\'s next segment acknowledges the reply: its socket had it, the RST is something else',
      packets: [...opening(pod), pod.s(1.5, 'PA', pod.sNext, pod.cNext, { len: 10 }), pod.c(1.5001, 'R', pod.cNext),
        pod.c(2.5, 'PA', pod.cNext, pod.sNext + 10, { len: 5 })],
    },
  ],
  invalid: [
    {
      name: 'from the server pod: the client\'s stack resets the reply, its socket carries on, the server resets it',
      packets: unseenReply(pod),
      findings: [{ messageId: 'unseenReply', severity: 'error', resetBy: 'client', count: 1, frames: [7, 8, 9, 10],
        client: '10.244.0.2:40241', server: '10.244.0.3:8080', backend: null }],
    },
    {
      name: 'the same in IPv6',
      packets: unseenReply(pod6),
      findings: [{ messageId: 'unseenReply', severity: 'error', resetBy: 'client', count: 1, frames: [7, 8, 9, 10] }],
    },
  ],
});
