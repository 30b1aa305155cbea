import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';

const C = '10.0.0.2:40000';
const C2 = '10.0.0.2:40001';
const SRV = '10.0.0.3:8080';
const C6 = '[fd00::2]:40000';
const SRV6 = '[fd00::3]:8080';
// Kubernetes: a pod dials a Service (default range 10.96.0.0/12) whose targetPort has no listener.
const POD = '10.244.0.5:40000';
const SVC = '10.96.0.11:80';
const BE = '10.244.0.7:9999';
const SVC6 = '[fd00:96::11]:80';
const ISN = 1000;

/** SYN and the RST+ACK that refuses it. */
function refused(client: string, server: string, t0 = 0, isn = ISN): TablePacket[] {
  return [
    { t: t0, src: client, dst: server, flags: 'S', seq: isn },
    { t: t0 + 0.0002, src: server, dst: client, flags: 'RA', seq: 0, ack: isn + 1 },
  ];
}

new RuleTester().run('connection-refused', {
  valid: [
    {
      name: 'healthy handshake',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'SA', seq: 5000, ack: ISN + 1 },
        { t: 0.0003, src: C, dst: SRV, flags: 'A', seq: ISN + 1, ack: 5001 },
      ],
    },
    {
      name: 'a bare RST without ACK is no answer to the SYN',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'R', seq: 0 },
      ],
    },
    {
      name: 'the RST+ACK acks another sequence number',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'RA', seq: 0, ack: ISN + 900 },
      ],
    },
    {
      name: 'RST+ACK after a completed handshake',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: SRV, dst: C, flags: 'SA', seq: 5000, ack: ISN + 1 },
        { t: 0.0003, src: C, dst: SRV, flags: 'A', seq: ISN + 1, ack: 5001 },
        { t: 0.001, src: C, dst: SRV, flags: 'PA', seq: ISN + 1, ack: 5001, len: 36 },
        { t: 0.002, src: SRV, dst: C, flags: 'RA', seq: 5001, ack: ISN + 37 },
      ],
      firesInstead: 'abortive-close',
    },
    {
      name: 'an ICMP port unreachable instead of a RST',
      packets: [
        { t: 0, src: C, dst: SRV, flags: 'S', seq: ISN },
        { t: 0.0002, src: C, dst: SRV, flags: 'S', seq: ISN, icmp: { from: '10.0.0.3' } },
      ],
      firesInstead: 'icmp-rejected',
    },
    {
      name: 'a SYN-ACK from the backend that the client resets',
      packets: [
        { t: 0, src: POD, dst: SVC, flags: 'S', seq: ISN },
        { t: 0.0001, src: POD, dst: BE, flags: 'S', seq: ISN },
        { t: 0.0002, src: BE, dst: POD, flags: 'SA', seq: 5000, ack: ISN + 1 },
        { t: 0.0003, src: POD, dst: BE, flags: 'R', seq: ISN + 1 },
      ],
      firesInstead: 'unreversed-dnat',
    },
  ],
  invalid: [
    {
      name: 'nothing listens on the port (IPv4)',
      packets: refused(C, SRV),
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: C, server: SRV, backend: null }],
    },
    {
      name: 'two attempts from one client, IPv6',
      packets: [...refused(C6, SRV6), ...refused('[fd00::2]:40001', SRV6, 0.5, 9000)],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 2, frames: [1, 2, 3, 4] }],
    },
    {
      name: 'behind DNAT, -i any: the backend refuses and the RST comes back translated',
      packets: [
        { t: 0, src: POD, dst: SVC, flags: 'S', seq: ISN, ifIndex: 1 },
        { t: 0.0001, src: POD, dst: BE, flags: 'S', seq: ISN, ifIndex: 3 },
        { t: 0.0002, src: BE, dst: POD, flags: 'RA', seq: 0, ack: ISN + 1, ifIndex: 3 },
        { t: 0.0003, src: SVC, dst: POD, flags: 'RA', seq: 0, ack: ISN + 1, ifIndex: 1 },
      ],
      findings: [{ messageId: 'refusedBehindNat', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2, 3, 4],
        client: POD, server: SVC, backend: BE }],
    },
    {
      name: 'a Service address in the default range, the backend half not in the capture',
      packets: refused(POD, SVC),
      findings: [{ messageId: 'refusedServiceUnseen', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: POD, server: SVC, backend: null }],
    },
    {
      name: 'an IPv6 Service address named by --service-cidr, each packet seen twice',
      serviceCidrs: ['fd00:96::/112'],
      packets: [
        { t: 0, src: C6, dst: SVC6, flags: 'S', seq: ISN, copy: true },
        { t: 0.0002, src: SVC6, dst: C6, flags: 'RA', seq: 0, ack: ISN + 1, copy: true },
      ],
      findings: [{ messageId: 'refusedServiceUnseen', severity: 'error', resetBy: 'server', count: 1, frames: [1, 3] }],
    },
    {
      name: 'the same SYN sent again 1 s later and refused again: still one attempt per client port',
      packets: [...refused(C, SRV), ...refused(C, SRV, 1), ...refused(C2, SRV, 1.5, 9000)],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 2, frames: [1, 2, 3, 4, 5, 6] }],
    },
  ],
});
