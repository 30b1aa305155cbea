import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';

// A pod's connection to a Service; mid-connection one reply skips the reverse NAT (kubernetes#74839).
const C = '10.244.0.5:40000';
const SVC = '10.96.0.10:80';
const BE = '10.244.0.7:8080';
const C6 = '[fd00:244::5]:40000';
const SVC6 = '[fd00:96::10]:80';
const BE6 = '[fd00:244::7]:8080';
const ISN = 1000;
const SISN = 5000;
/** Where each side stands after `working`: two 36-byte requests and one 41-byte reply. */
const C_NEXT = ISN + 1 + 72;
const S_NEXT = SISN + 1 + 41;

/** Client vantage: handshake, request, reply, ACK, a second request (frames 1–7). */
function working(client: string, server: string): TablePacket[] {
  return [
    { t: 0, src: client, dst: server, flags: 'S', seq: ISN },
    { t: 0.001, src: server, dst: client, flags: 'SA', seq: SISN, ack: ISN + 1 },
    { t: 0.0011, src: client, dst: server, flags: 'A', seq: ISN + 1, ack: SISN + 1 },
    { t: 0.002, src: client, dst: server, flags: 'PA', seq: ISN + 1, ack: SISN + 1, len: 36 },
    { t: 0.003, src: server, dst: client, flags: 'PA', seq: SISN + 1, ack: ISN + 37, len: 41 },
    { t: 0.0031, src: client, dst: server, flags: 'A', seq: ISN + 37, ack: S_NEXT },
    { t: 1, src: client, dst: server, flags: 'PA', seq: ISN + 37, ack: S_NEXT, len: 36 },
  ];
}

/** The untranslated reply, the client's RST, its retransmission, and the server's RST (frames 8–11). */
function leakAndDeath(client: string, server: string, backend: string): TablePacket[] {
  return [
    { t: 1.001, src: backend, dst: client, flags: 'PA', seq: S_NEXT, ack: C_NEXT, len: 41 },
    { t: 1.0011, src: client, dst: backend, flags: 'R', seq: C_NEXT },
    { t: 1.2, src: client, dst: server, flags: 'PA', seq: ISN + 37, ack: S_NEXT, len: 36 },
    { t: 1.2001, src: server, dst: client, flags: 'R', seq: S_NEXT },
  ];
}

/** Node vantage (-i any): one row per side of the DNAT, client veth (ifIndex 1) then backend veth (3). */
function bothSides(rows: TablePacket[]): TablePacket[] {
  return rows.flatMap((r) => {
    const toBackend = r.dst === SVC;
    const fromBackend = r.src === SVC;
    if (!toBackend && !fromBackend) return [r];
    const translated = toBackend ? { ...r, dst: BE } : { ...r, src: BE };
    const pre = { ...r, ifIndex: 1 };
    const post = { ...translated, t: r.t + 0.00005, ifIndex: 3 };
    return fromBackend ? [{ ...post, t: r.t }, { ...pre, t: r.t + 0.00005 }] : [pre, post];
  });
}

new RuleTester().run('unreversed-nat-midstream', {
  valid: [
    {
      name: 'healthy: every reply comes from the Service address',
      packets: [...working(C, SVC), { t: 1.001, src: SVC, dst: C, flags: 'PA', seq: S_NEXT, ack: C_NEXT, len: 41 }],
    },
    {
      name: 'a segment from the backend on a port with no other established connection',
      packets: [
        { t: 0, src: BE, dst: C, flags: 'PA', seq: S_NEXT, ack: C_NEXT, len: 41 },
        { t: 0.0001, src: C, dst: BE, flags: 'R', seq: C_NEXT },
      ],
    },
    {
      name: 'the backend segment does not continue the connection\'s sequence space',
      packets: [
        ...working(C, SVC),
        { t: 1.001, src: BE, dst: C, flags: 'PA', seq: S_NEXT + 50_000_000, ack: C_NEXT, len: 41 },
        { t: 1.0011, src: C, dst: BE, flags: 'R', seq: C_NEXT },
      ],
    },
    {
      name: 'the client does not reset the untranslated segment',
      packets: [...working(C, SVC), { t: 1.001, src: BE, dst: C, flags: 'PA', seq: S_NEXT, ack: C_NEXT, len: 41 }],
    },
    {
      name: 'the untranslated packet is the SYN-ACK at setup',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 0.001, src: BE, dst: C, flags: 'SA', seq: SISN, ack: ISN + 1 },
        { t: 0.0011, src: C, dst: BE, flags: 'R', seq: ISN + 1 },
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
      ],
      firesInstead: 'unreversed-dnat',
    },
  ],
  invalid: [
    {
      name: 'client vantage: a reply from the backend\'s own address, reset; the connection dies (IPv4)',
      packets: [...working(C, SVC), ...leakAndDeath(C, SVC, BE)],
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10, 11],
        client: C, server: SVC, backend: BE }],
    },
    {
      name: 'client vantage, IPv6',
      packets: [...working(C6, SVC6), ...leakAndDeath(C6, SVC6, BE6)],
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [6, 7, 8, 9, 10, 11],
        client: C6, server: SVC6, backend: BE6 }],
    },
    {
      name: 'node vantage (-i any): the leaked reply and the RST have no pre-NAT twin',
      packets: bothSides([
        ...working(C, SVC),
        { t: 1.001, src: BE, dst: C, flags: 'PA', seq: S_NEXT, ack: C_NEXT, len: 41, copy: true, ifIndex: 3 },
        { t: 1.0011, src: C, dst: BE, flags: 'R', seq: C_NEXT, copy: true, ifIndex: 1 },
        { t: 1.2, src: C, dst: SVC, flags: 'PA', seq: ISN + 37, ack: S_NEXT, len: 36 },
        { t: 1.2001, src: SVC, dst: C, flags: 'R', seq: S_NEXT },
      ]),
      findings: [{ messageId: 'leaked', severity: 'error', resetBy: 'client', count: 1, frames: [11, 13, 15, 17, 19, 22],
        client: C, server: SVC, backend: BE }],
    },
  ],
});
