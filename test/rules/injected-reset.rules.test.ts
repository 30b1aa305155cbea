import { RuleTester, type RuleCases, type TablePacket } from '../helpers/rule-tester.js';
import { conversation, type Conversation } from './table-rows.js';
import { ruledOutCases } from './ruled-out.js';

// injected-reset as a RuleTester table (injected-reset.test.ts holds the sample-based tests): a RST
// its purported sender did not send (src/rules/injected-reset.ts, docs/rules/injected-reset.md,
// samples/injected). The server streams lines as server.py does in the lab: TCP timestamps on
// every segment, IP IDs counting up one by one, TTL 64.

const LINE = 14;
const LINES = 4;
/** The server's IP ID after the stream (it counts from 0x100). */
const NEXT_ID = 0x100 + LINES + 1;

const withTs = (t: number): [number, number] => [1000 + Math.round(t * 1000), 500];

/** Handshake, a request and 4 streamed lines, each acked (13 rows; the server's last line is row 12). */
function stream(k: Conversation): TablePacket[] {
  const ts = (t: number) => ({ ts: withTs(t) });
  const rows = [
    k.c(0, 'S', k.ci, undefined, { id: 0x900, ...ts(0) }),
    k.s(0.0001, 'SA', k.si, k.ci + 1, { id: 0, ...ts(0.0001) }),
    k.c(0.0002, 'A', k.ci + 1, k.si + 1, { id: 0x901, ...ts(0.0002) }),
    k.c(0.001, 'PA', k.ci + 1, k.si + 1, { len: 36, id: 0x902, ...ts(0.001) }),
    k.s(0.0011, 'A', k.si + 1, k.ci + 37, { id: 0x100, ...ts(0.0011) }),
  ];
  for (let i = 0; i < LINES; i++) {
    const t = 0.2 * (i + 1);
    const seq = k.si + 1 + LINE * i;
    rows.push(k.s(t, 'PA', seq, k.ci + 37, { len: LINE, id: 0x101 + i, ...ts(t) }),
      k.c(t + 0.0001, 'A', k.ci + 37, seq + LINE, { id: 0x903 + i, ...ts(t + 0.0001) }));
  }
  return rows;
}

const k = conversation('10.0.0.2:40100', '10.0.0.3:8080');
const copied = conversation('10.0.0.2:40100', '10.0.0.3:8080', { client: { copy: true }, server: { copy: true } });
const v6 = conversation('[fd00::2]:40100', '[fd00::3]:8080');
/** Where the server's and the client's sequence stand after the stream. */
const sNext = (c: Conversation): number => c.si + 1 + LINE * LINES;
const cNext = (c: Conversation): number => c.ci + 37;

/** samples/injected: three RST+ACKs in the server's name (seq +0, +1460, +2920; TTL 61, odd IP IDs, no timestamps), the server's next line at the RST's seq, the client kernel's bare RST answering it. */
function injectedBurst(c: Conversation): TablePacket[] {
  const t = 0.9;
  const forged = (dt: number, plus: number, id: number) => c.s(t + dt, 'RA', sNext(c) + plus, cNext(c), { ttl: 61, id });
  return [...stream(c), forged(0, 0, 0x3c1a), forged(0.0001, 1460, 0x9e02), forged(0.0002, 2920, 0x1177),
    c.s(1, 'PA', sNext(c), cNext(c), { len: LINE, id: NEXT_ID, ts: withTs(1) }), c.c(1.0001, 'R', cNext(c))];
}

const cases: RuleCases = {
  valid: [
    {
      name: 'a genuine RST+ACK: timestamps, the usual TTL, the next IP ID, seq = snd.nxt',
      packets: [...stream(k), k.s(0.9, 'RA', sNext(k), cNext(k), { id: NEXT_ID, ts: withTs(0.9) })],
      firesInstead: 'abortive-close',
    },
    {
      name: 'only supporting detectors (no timestamps, IP ID off the sequence, TTL one off): not enough',
      packets: [...stream(k), k.s(0.9, 'RA', sNext(k), cNext(k), { id: 0x7777, ttl: 63 })],
      firesInstead: 'abortive-close',
    },
    {
      name: 'Linux answering a segment for a connection it no longer has: bare RST, seq = the ack, IP ID 0, no options',
      packets: [...stream(k), k.c(3, 'PA', cNext(k), sNext(k), { len: 36, id: 0x907, ts: withTs(3) }), k.s(3.0001, 'R', sNext(k))],
      firesInstead: 'stale-connection',
    },
    {
      name: 'the RST 2 hops closer than the server answers the first request after 120 s of silence',
      packets: [...stream(k), k.c(121, 'PA', cNext(k), sNext(k), { len: 36, id: 0x907, ts: withTs(121) }), k.s(121.0001, 'R', sNext(k), undefined, { ttl: 62 })],
      firesInstead: 'idle-timeout',
    },
    {
      name: 'a real refusal: RST+ACK acking the SYN\'s ISN + 1',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 1 }), k.s(0.0001, 'RA', 0, k.ci + 1)],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'TTL, IP ID and timestamps all out of line with the server\'s own packets',
      packets: [...stream(k), k.s(0.9, 'RA', sNext(k), cNext(k), { id: 0x4242, ttl: 50 })],
      findings: [{ messageId: 'forged', severity: 'error', resetBy: 'middlebox', count: 1, frames: [12, 14],
        client: '10.0.0.2:40100', server: '10.0.0.3:8080', backend: null, detectors: ['TTL', 'IP_ID', 'NO_TIMESTAMPS'] }],
    },
    {
      name: 'the server goes on sending at the RST\'s seq: it never reset (one detector, a warning)',
      packets: [...stream(k), k.s(0.9, 'RA', sNext(k), cNext(k), { id: NEXT_ID, ts: withTs(0.9) }),
        k.s(1.1, 'PA', sNext(k), cNext(k), { len: LINE, id: NEXT_ID + 1, ts: withTs(1.1) }), k.c(1.1001, 'R', cNext(k))],
      findings: [{ messageId: 'forged', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [12, 14, 15, 16], detectors: ['RST_SEQ_DATA'] }],
    },
    {
      name: 'a burst of three RSTs seen on a node (-i any), the server\'s next line, the client\'s RST (samples/injected)',
      packets: injectedBurst(copied),
      findings: [{ messageId: 'forged', severity: 'error', resetBy: 'middlebox', count: 1, frames: [23, 27, 29, 31, 33, 35],
        detectors: ['RST_SEQ_DATA', 'RST_SEQ_CHANGE', 'TTL', 'IP_ID', 'NO_TIMESTAMPS'] }],
    },
    {
      name: 'IPv6: hop limit 56 and no timestamps, while the server\'s come with 64 and timestamps',
      packets: [...stream(v6), v6.s(0.9, 'RA', sNext(v6), cNext(v6), { ttl: 56 })],
      findings: [{ messageId: 'forged', severity: 'error', resetBy: 'middlebox', count: 1, frames: [12, 14],
        client: '[fd00::2]:40100', server: '[fd00::3]:8080', detectors: ['TTL', 'NO_TIMESTAMPS'] }],
    },
    {
      name: 'a RST+ACK to a SYN that does not acknowledge its ISN + 1',
      packets: [k.c(0, 'S', k.ci, undefined, { id: 1 }), k.s(0.0001, 'RA', 0, k.ci + 77)],
      findings: [{ messageId: 'forged', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [2], detectors: ['SYN_ACK_MISMATCH'] }],
    },
    {
      name: 'a bare RST answering a request in 0.1 ms, under half the 20 ms handshake, with another TTL',
      packets: [
        k.c(0, 'S', k.ci, undefined, { id: 1 }), k.s(0.02, 'SA', k.si, k.ci + 1), k.c(0.0201, 'A', k.ci + 1, k.si + 1, { id: 2 }),
        k.c(0.03, 'PA', k.ci + 1, k.si + 1, { len: 36, id: 3 }), k.s(0.05, 'PA', k.si + 1, k.ci + 37, { len: 10, id: 0x100 }),
        k.c(0.0501, 'A', k.ci + 37, k.si + 11, { id: 4 }), k.c(0.5, 'PA', k.ci + 37, k.si + 11, { len: 36, id: 5 }),
        k.s(0.5001, 'R', k.si + 11, undefined, { ttl: 60 }),
      ],
      findings: [{ messageId: 'forged', severity: 'error', resetBy: 'middlebox', count: 1, frames: [5, 8], detectors: ['TTL', 'TOO_FAST'] }],
    },
  ],
};

new RuleTester().run('injected-reset', cases);

ruledOutCases('injected-reset', [
  {
    name: 'the first strong detector (TTL 50) shows the server\'s stack did not send it: no lost connection, no abort',
    packets: cases.invalid[0]!.packets,
    ruledOut: [['stale-connection', 'abortive-close']],
    why: [['TTL 50', 'TTL 50']],
  },
  {
    name: 'a RST+ACK to a SYN it does not acknowledge: the connection never opened, so no abort to rule out',
    packets: [k.c(0, 'S', k.ci, undefined, { id: 1 }), k.s(0.0001, 'RA', 0, k.ci + 77)],
    ruledOut: [['stale-connection']],
    why: [['SYN_ACK_MISMATCH']],
  },
]);

// Public captures (issue 14's sweep): resets a real stack sends, and a forgery that broke nothing.
const wild = conversation('192.168.1.184:56626', '178.128.195.220:30303', { server: { ttl: 52 } });
const lo = conversation('127.0.0.1:57228', '127.0.0.1:8080');

new RuleTester().run('injected-reset', {
  valid: [
    {
      name: 'the server closed and its stack answers each in-flight segment with a bare RST at that segment\'s ack (ndpi ethereum)',
      packets: [
        wild.c(0, 'S', wild.ci), wild.s(0.05, 'SA', wild.si, wild.ci + 1), wild.c(0.0501, 'A', wild.ci + 1, wild.si + 1),
        wild.s(0.1, 'PA', wild.si + 1, wild.ci + 1, { len: 40 }),
        wild.c(0.2, 'PA', wild.ci + 1, wild.si + 41, { len: 32 }), wild.s(0.2001, 'FA', wild.si + 41, wild.ci + 1),
        wild.c(0.2002, 'PA', wild.ci + 33, wild.si + 41, { len: 20 }), wild.c(0.2003, 'PA', wild.ci + 53, wild.si + 42, { len: 20 }),
        wild.s(0.25, 'R', wild.si + 41), wild.s(0.2501, 'R', wild.si + 42),
      ],
      firesInstead: 'abortive-close',
    },
    {
      name: 'a packet with all eight flags set is no reset; the connection carries on (suricata transform-base64, loopback)',
      packets: [
        lo.c(0, 'S', lo.ci), lo.s(0.0001, 'SA', lo.si, lo.ci + 1), lo.c(0.0002, 'A', lo.ci + 1, lo.si + 1),
        lo.c(0.01, 'PA', lo.ci + 1, lo.si + 1, { len: 24 }), lo.s(0.0101, 255, lo.si + 1, lo.ci + 25),
        lo.s(0.0102, 'A', lo.si + 1, lo.ci + 25), lo.s(0.0103, 'PA', lo.si + 1, lo.ci + 25, { len: 13 }),
      ],
    },
  ],
  invalid: [
    {
      name: 'TTL-255 RSTs after the server had already reset the connection: forged, but they broke nothing (info; mercury tls_sgt)',
      packets: [
        wild.c(0, 'S', wild.ci, undefined, { ttl: 61 }), wild.s(0.01, 'SA', wild.si, wild.ci + 1, { ttl: 61 }),
        wild.c(0.0101, 'A', wild.ci + 1, wild.si + 1, { ttl: 61 }),
        wild.s(0.1, 'PA', wild.si + 1, wild.ci + 1, { len: 224, ttl: 61 }), wild.s(0.1008, 'FA', wild.si + 225, wild.ci + 1, { ttl: 61 }),
        wild.c(0.1012, 'PA', wild.ci + 1, wild.si + 225, { len: 94, ttl: 61 }),
        wild.s(0.1018, 'R', wild.si + 225, undefined, { ttl: 61 }),
        wild.s(0.1019, 'RA', wild.si + 226, wild.ci + 95, { ttl: 255 }),
      ],
      findings: [{ messageId: 'forgedAfterEnd', severity: 'info', resetBy: 'middlebox', count: 1, frames: [5, 8], detectors: ['TTL'] }],
    },
  ],
});
