import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';

// A pod dials a Service on its own node; kube-proxy DNATs the SYN to a backend pod on the same bridge.
const C = '10.244.0.5:40000';
const C2 = '10.244.0.5:40001';
const SVC = '10.96.0.10:80';
const BE = '10.244.0.7:8080';
const C6 = '[fd00:244::5]:40000';
const SVC6 = '[fd00:96::10]:80';
const BE6 = '[fd00:244::7]:8080';
const ISN = 1000;
const BISN = 5000;

/** Node vantage: the SYN, its DNAT'd copy and the backend's SYN-ACK, bridged without reverse NAT. */
function untranslatedReply(client: string, service: string, backend: string, t0 = 0, isn = ISN): TablePacket[] {
  return [
    { t: t0, src: client, dst: service, flags: 'S', seq: isn },
    { t: t0 + 0.0001, src: client, dst: backend, flags: 'S', seq: isn },
    { t: t0 + 0.0002, src: backend, dst: client, flags: 'SA', seq: BISN, ack: isn + 1 },
  ];
}

new RuleTester().run('unreversed-dnat', {
  valid: [
    {
      name: 'healthy: the SYN-ACK is translated back to the Service address',
      packets: [
        ...untranslatedReply(C, SVC, BE),
        { t: 0.0003, src: SVC, dst: C, flags: 'SA', seq: BISN, ack: ISN + 1 },
        { t: 0.0004, src: C, dst: SVC, flags: 'A', seq: ISN + 1, ack: BISN + 1 },
        { t: 0.0005, src: C, dst: BE, flags: 'A', seq: ISN + 1, ack: BISN + 1 },
      ],
    },
    {
      name: 'the backend SYN-ACK acks another ISN (a different connection on the port)',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 0.0001, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 0.0002, src: BE, dst: C, flags: 'SA', seq: BISN, ack: ISN + 77 },
        { t: 0.0003, src: C, dst: BE, flags: 'R', seq: ISN + 77 },
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
      ],
    },
    {
      name: 'the client neither resets the stray SYN-ACK nor retries',
      packets: untranslatedReply(C, SVC, BE),
    },
    {
      name: 'only the translated half is in the capture (server pod vantage)',
      packets: [
        { t: 0, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 0.0001, src: BE, dst: C, flags: 'SA', seq: BISN, ack: ISN + 1 },
        { t: 0.0002, src: C, dst: BE, flags: 'R', seq: ISN + 1 },
        { t: 1, src: C, dst: BE, flags: 'S', seq: ISN },
      ],
      firesInstead: 'synack-rejected',
    },
    {
      name: 'the backend refuses the DNAT\'d SYN',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 0.0001, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 0.0002, src: BE, dst: C, flags: 'RA', seq: 0, ack: ISN + 1 },
        { t: 0.0003, src: SVC, dst: C, flags: 'RA', seq: 0, ack: ISN + 1 },
      ],
      firesInstead: 'connection-refused',
    },
    {
      name: 'the DNAT\'d SYN is never answered',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 0.0001, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 1.0001, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 3, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 3.0001, src: C, dst: BE, flags: 'S', seq: ISN },
      ],
      firesInstead: 'syn-timeout',
    },
  ],
  invalid: [
    {
      name: 'the client resets the backend SYN-ACK and retries (node, IPv4)',
      packets: [
        ...untranslatedReply(C, SVC, BE),
        { t: 0.0003, src: C, dst: BE, flags: 'R', seq: ISN + 1 },
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4, 5],
        client: C, server: SVC, backend: BE }],
    },
    {
      name: 'the client only keeps retrying the SYN',
      packets: [
        ...untranslatedReply(C, SVC, BE),
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN },
        { t: 1.0001, src: C, dst: BE, flags: 'S', seq: ISN },
        { t: 1.0002, src: BE, dst: C, flags: 'SA', seq: BISN, ack: ISN + 1 },
      ],
      findings: [{ messageId: 'retried', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3, 4, 6] }],
    },
    {
      name: 'client vantage: no translated SYN, a SYN-ACK from the backend (IPv6)',
      packets: [
        { t: 0, src: C6, dst: SVC6, flags: 'S', seq: ISN },
        { t: 0.0002, src: BE6, dst: C6, flags: 'SA', seq: BISN, ack: ISN + 1 },
        { t: 0.0003, src: C6, dst: BE6, flags: 'R', seq: ISN + 1 },
        { t: 1, src: C6, dst: SVC6, flags: 'S', seq: ISN },
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4],
        client: C6, server: SVC6, backend: BE6 }],
    },
    {
      name: '-i any: each packet on the client\'s and the backend\'s veth',
      packets: [
        { t: 0, src: C, dst: SVC, flags: 'S', seq: ISN, ifIndex: 1 },
        { t: 0.0001, src: C, dst: BE, flags: 'S', seq: ISN, ifIndex: 2 },
        { t: 0.0002, src: BE, dst: C, flags: 'SA', seq: BISN, ack: ISN + 1, copy: true, ifIndex: 2 },
        { t: 0.0003, src: C, dst: BE, flags: 'R', seq: ISN + 1, copy: true, ifIndex: 1 },
        { t: 1, src: C, dst: SVC, flags: 'S', seq: ISN, ifIndex: 1 },
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 5, 7] }],
    },
    {
      name: 'two attempts from one client to one Service and backend make one finding',
      packets: [
        ...untranslatedReply(C, SVC, BE),
        { t: 0.0003, src: C, dst: BE, flags: 'R', seq: ISN + 1 },
        ...untranslatedReply(C2, SVC, BE, 0.5, 9000),
        { t: 0.5003, src: C2, dst: BE, flags: 'R', seq: 9001 },
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 2, frames: [1, 2, 3, 4, 5, 6, 7, 8] }],
    },
  ],
});
