import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';

// Captured in the server pod: the client's SYN arrives already DNAT'd, the NAT'd half is elsewhere.
const C = '10.244.0.5:40000';
const C2 = '10.244.0.5:40001';
const SRV = '10.244.0.7:8080';
const SVC = '10.96.0.10:80';
const C6 = '[fd00:244::5]:40000';
const SRV6 = '[fd00:244::7]:8080';
const ISN = 1000;
const SISN = 5000;

/** SYN, the SYN-ACK that acks it, and the client's RST `rstAfter` seconds later. */
function rejected(client: string, server: string, t0 = 0, rstAfter = 0.0001, isn = ISN): TablePacket[] {
  return [
    { t: t0, src: client, dst: server, flags: 'S', seq: isn },
    { t: t0 + 0.0001, src: server, dst: client, flags: 'SA', seq: SISN, ack: isn + 1 },
    { t: t0 + 0.0001 + rstAfter, src: client, dst: server, flags: 'R', seq: isn + 1 },
  ];
}

new RuleTester().run('synack-rejected', {
  valid: [
    {
      name: 'healthy handshake',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0001, src: SRV, dst: C, flags: 'SA', seq: SISN, ack: ISN + 1 },
        { t: 0.0002, src: C, dst: SRV, flags: 'A', seq: ISN + 1, ack: SISN + 1 },
      ],
    },
    {
      name: 'a late SYN-ACK reset more than 1 s after it arrived, no retried SYN',
      packets: rejected(C, SRV, 0, 1.5),
    },
    {
      name: 'the RST does not carry the SYN\'s ISN + 1',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0001, src: SRV, dst: C, flags: 'SA', seq: SISN, ack: ISN + 1 },
        { t: 0.0002, src: C, dst: SRV, flags: 'R', seq: ISN + 500 },
        { t: 1, src: C, dst: SRV, flags: 'S', seq: ISN },
      ],
    },
    {
      name: 'the NAT\'d half is in the capture (node vantage)',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN },
        ...rejected(C, SRV, 0.0001),
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
      ],
      firesInstead: 'unreversed-dnat',
    },
    {
      name: 'the SYN is answered by RST+ACK, not a SYN-ACK',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0001, src: SRV, dst: C, flags: 'RA', seq: 0, ack: ISN + 1 },
      ],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'the client resets the answer to its own SYN and retransmits that SYN (IPv4)',
      packets: [
        ...rejected(C, SRV),
        { t: 1, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 1.0001, src: SRV, dst: C, flags: 'SA', seq: SISN + 7000, ack: ISN + 1 },
        { t: 1.0002, src: C, dst: SRV, flags: 'R', seq: ISN + 1 },
      ],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4, 5, 6],
        client: C, server: SRV, backend: null }],
    },
    {
      name: 'a prompt RST without a retry (IPv6)',
      packets: rejected(C6, SRV6),
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3],
        client: C6, server: SRV6 }],
    },
    {
      name: '-i any: every packet seen on two interfaces',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN, copy: true },
        { t: 0.0001, src: SRV, dst: C, flags: 'SA', seq: SISN, ack: ISN + 1, copy: true },
        { t: 0.0002, src: C, dst: SRV, flags: 'R', seq: ISN + 1, copy: true },
      ],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 3, 5] }],
    },
    {
      name: 'two client ports to one server make one finding',
      packets: [...rejected(C, SRV), ...rejected(C2, SRV, 0.5, 0.0001, 9000)],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 2, frames: [1, 2, 3, 4, 5, 6] }],
    },
  ],
});
