import { describe, expect, it } from 'vitest';
import { RuleTester } from '../helpers/rule-tester.js';
import { evidenceNotes } from './syn-notes.js';
import { ruledOutCases } from './ruled-out.js';
import { BACKEND, BACKEND6, natHalves, nextPort, POD, POD6, SERVICE, SERVICE6, strayReset, untranslatedSynAck } from './nat-rows.js';

// A pod dials a Service on its own node; kube-proxy DNATs the SYN to a backend pod on the same
// bridge and, without br_netfilter, the backend's SYN-ACK is bridged back untranslated.
const nat = natHalves(POD, SERVICE, BACKEND);
const { original: toService, translated: toBackend } = nat;
const ci = toService.ci;
const nat6 = natHalves(POD6, SERVICE6, BACKEND6);
const later = natHalves(nextPort(POD), SERVICE, BACKEND, 9000);
/** The client's SYN to the Service at `t`, with this IP ID and TSval (Linux gives each resend new ones). */
const synToService = (t: number, id: number, tsVal: number) => toService.c(t, 'S', ci, undefined, { id, ts: [tsVal, 0] });
/** The first SYN (IP ID 0x100, TSval 7000), its DNAT'd copy, and the backend's SYN-ACK. */
const stampedAttempt = [
  synToService(0, 0x100, 7000), toBackend.c(0.0001, 'S', ci, undefined, { id: 0x100, ts: [7000, 0] }),
  toBackend.s(0.0002, 'SA', toBackend.si, ci + 1, { ts: [500, 7000] }),
];

new RuleTester().run('unreversed-dnat', {
  valid: [
    {
      name: 'healthy: the SYN-ACK is translated back to the Service address',
      packets: [
        ...untranslatedSynAck(nat),
        toService.s(0.0003, 'SA', toService.si, ci + 1),
        toService.c(0.0004, 'A', ci + 1, toService.si + 1),
        toBackend.c(0.0005, 'A', ci + 1, toBackend.si + 1),
      ],
    },
    {
      name: 'the backend SYN-ACK acks another ISN (a different connection on the port)',
      packets: [
        toService.c(0, 'S', ci),
        toBackend.c(0.0001, 'S', ci),
        toBackend.s(0.0002, 'SA', toBackend.si, ci + 77),
        toBackend.c(0.0003, 'R', ci + 77),
        toService.c(1, 'S', ci),
      ],
    },
    { name: 'the client neither resets the stray SYN-ACK nor retries', packets: untranslatedSynAck(nat) },
    {
      name: 'a copy of the SYN 1 s later repeating its IP ID and TSval: a replay, not the client retrying',
      packets: [...stampedAttempt, synToService(1, 0x100, 7000)],
    },
    {
      name: 'a copy of the SYN 50 ms later: sooner than any retransmission timer, not a retry',
      packets: [...stampedAttempt, synToService(0.05, 0x101, 7050)],
    },
    {
      name: 'only the translated half is in the capture (server pod vantage)',
      packets: [...untranslatedSynAck(nat).slice(1), strayReset(nat, 0.0003), toBackend.c(1, 'S', ci)],
      firesInstead: 'synack-rejected',
    },
    {
      name: 'the backend refuses the DNAT\'d SYN',
      packets: [
        toService.c(0, 'S', ci),
        toBackend.c(0.0001, 'S', ci),
        toBackend.s(0.0002, 'RA', 0, ci + 1),
        toService.s(0.0003, 'RA', 0, ci + 1),
      ],
      firesInstead: 'connection-refused',
    },
    {
      name: 'the DNAT\'d SYN is never answered',
      packets: [0, 1, 3].flatMap((t) => [toService.c(t, 'S', ci), toBackend.c(t + 0.0001, 'S', ci)]),
      firesInstead: 'syn-timeout',
    },
  ],
  invalid: [
    {
      name: 'the client resets the backend SYN-ACK and retries (node, IPv4)',
      packets: [...untranslatedSynAck(nat), strayReset(nat, 0.0003), toService.c(1, 'S', ci)],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4, 5],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      name: 'the client only keeps retrying the SYN',
      packets: [...untranslatedSynAck(nat), ...untranslatedSynAck(nat, 1)],
      findings: [{ messageId: 'retried', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3, 4, 6] }],
    },
    {
      name: 'the client\'s timer resends the SYN 1 s later (new IP ID and TSval): retrying',
      packets: [...stampedAttempt, synToService(1, 0x101, 8000)],
      findings: [{ messageId: 'retried', severity: 'error', resetBy: null, count: 1, frames: [1, 2, 3, 4] }],
    },
    {
      name: 'client vantage: no translated SYN, a SYN-ACK from the backend (IPv6)',
      packets: [
        nat6.original.c(0, 'S', ci),
        nat6.translated.s(0.0002, 'SA', nat6.translated.si, ci + 1),
        strayReset(nat6, 0.0003),
        nat6.original.c(1, 'S', ci),
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4],
        client: POD6, server: SERVICE6, backend: BACKEND6 }],
    },
    {
      name: '-i any: each packet on the client\'s and the backend\'s veth',
      packets: [
        toService.c(0, 'S', ci, undefined, { ifIndex: 1 }),
        toBackend.c(0.0001, 'S', ci, undefined, { ifIndex: 2 }),
        toBackend.s(0.0002, 'SA', toBackend.si, ci + 1, { copy: true, ifIndex: 2 }),
        toBackend.c(0.0003, 'R', ci + 1, undefined, { copy: true, ifIndex: 1 }),
        toService.c(1, 'S', ci, undefined, { ifIndex: 1 }),
      ],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 5, 7] }],
    },
    {
      name: 'two attempts from one client to one Service and backend make one finding',
      packets: [...untranslatedSynAck(nat), strayReset(nat, 0.0003), ...untranslatedSynAck(later, 0.5), strayReset(later, 0.5003)],
      findings: [{ messageId: 'reset', severity: 'error', resetBy: 'client', count: 2, frames: [1, 2, 3, 4, 5, 6, 7, 8] }],
    },
  ],
});

describe('unreversed-dnat: SYN evidence notes', () => {
  it('labels only the copy the client\'s timer sent a retransmission; a replay says what it is', () => {
    const packets = [
      ...stampedAttempt, strayReset(nat, 0.0003),
      synToService(0.5, 0x100, 7000), synToService(1, 0x101, 8000),
    ];
    const notes = evidenceNotes('unreversed-dnat', packets)!;
    expect(notes.get(5)).toContain('replay');
    expect(notes.get(5)).not.toMatch(/^SYN retransmission/);
    expect(notes.get(6)).toBe('SYN retransmission: the client is still waiting');
  });
});

ruledOutCases('unreversed-dnat', [
  {
    name: 'the backend\'s SYN-ACK acking ISN + 1 (frame 3) excludes a refusal and a timeout',
    packets: [...untranslatedSynAck(nat), strayReset(nat, 0.0003), toService.c(1, 'S', ci)],
    ruledOut: [['connection-refused', 'syn-timeout']],
    why: [['frame 3', 'frame 3']],
  },
]);
