import { describe, expect, it, test } from 'vitest';
import { RuleTester, tableFrames, type TablePacket } from '../helpers/rule-tester.js';
import { analyzeFrames } from '../helpers/in-memory.js';
import { evidenceNotes } from './syn-notes.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation } from './table-rows.js';
import { BACKEND, handshake, HOST, HOST6, natHalves, nextPort, POD, refusal, SERVER, SERVER6, SERVICE, SERVICE6, strayReset, untranslatedSynAck } from './nat-rows.js';

const k = conversation(HOST, SERVER);
const kLater = conversation(nextPort(HOST), SERVER, { ci: 9000 });
const k6 = conversation(HOST6, SERVER6);
const k6Later = conversation(nextPort(HOST6), SERVER6, { ci: 9000 });
// Kubernetes: a pod dials a Service whose targetPort has no listener on the backend.
const nat = natHalves(POD, SERVICE, BACKEND);
const toService = nat.original;
const toBackend = nat.translated;
const ci = k.ci;
// A host seen on two ports (ndpi smb: 445 answers, 139 is refused) and a BGP speaker (GTSM).
const smb = conversation('192.168.0.10:50000', '192.168.0.20:445');
const nb = conversation('192.168.0.10:50001', '192.168.0.20:139', { ci: 7000 });
const bgp = conversation('10.1.0.1:50179', '10.1.0.2:179');
const bgpAlt = conversation('10.1.0.1:50180', '10.1.0.2:1790', { ci: 7000 });
// A VM behind its hypervisor's user-mode NAT (VirtualBox, ndpi gnutella) dials public peers.
const VM = '10.0.2.15';
const peers = ['61.238.173.128:57648', '36.233.196.226:3820', '119.14.143.237:6523'].map((p, i) =>
  conversation(`${VM}:${50202 + i}`, p, { ci: 1000 + 1000 * i, client: { ttl: 128 } }));
/** Each peer's SYN refused 0.2 s later by a RST+ACK with `ttl` and the IP ID `ids[i]`. */
function refusedPeers(ttl: number, ids: readonly number[]): TablePacket[] {
  return peers.flatMap((k, i) => [k.c(i * 0.5, 'S', k.ci), k.s(i * 0.5 + 0.2, 'RA', 0, k.ci + 1, { ttl, id: ids[i] })]);
}
const onePeer = peers[0]!;
// The same counter, one peer every 50 s (TTL 52).
const slowRun = peers.flatMap((k, i) => [k.c(i * 50, 'S', k.ci), k.s(i * 50 + 0.2, 'RA', 0, k.ci + 1, { ttl: 52, id: 0x10 + i })]);
const k6Public = conversation('[fd00::2]:40000', '[2a00:1450:4001:80b::200e]:8080');

new RuleTester().run('connection-refused', {
  valid: [
    { name: 'healthy handshake', packets: handshake(k) },
    { name: 'a bare RST without ACK is no answer to the SYN', packets: [k.c(0, 'S', ci), k.s(0.0002, 'R', 0)] },
    { name: 'the RST+ACK acks another sequence number', packets: [k.c(0, 'S', ci), k.s(0.0002, 'RA', 0, ci + 900)] },
    {
      name: 'RST+ACK after a completed handshake',
      packets: [...handshake(k), k.c(0.001, 'PA', ci + 1, k.si + 1, { len: 36 }), k.s(0.002, 'RA', k.si + 1, ci + 37)],
      firesInstead: 'abortive-close',
    },
    {
      name: 'an ICMP port unreachable instead of a RST',
      packets: [k.c(0, 'S', ci), k.c(0.0002, 'S', ci, undefined, { icmp: { from: '10.0.0.3' } })],
      firesInstead: 'icmp-rejected',
    },
    {
      name: 'a SYN-ACK from the backend that the client resets',
      packets: [...untranslatedSynAck(nat), strayReset(nat, 0.0003)],
      firesInstead: 'unreversed-dnat',
    },
  ],
  invalid: [
    {
      name: 'a BGP speaker sends with TTL 255 (GTSM) and its kernel refuses with TTL 64: not held against it',
      packets: [
        bgp.c(0, 'S', bgp.ci), bgp.s(0.001, 'SA', bgp.si, bgp.ci + 1, { ttl: 255 }), bgp.c(0.0011, 'A', bgp.ci + 1, bgp.si + 1),
        bgp.s(0.002, 'PA', bgp.si + 1, bgp.ci + 1, { len: 19, ttl: 255 }),
        bgpAlt.c(0.01, 'S', bgpAlt.ci), bgpAlt.s(0.0102, 'RA', 0, bgpAlt.ci + 1, { ttl: 64 }),
      ],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [5, 6] }],
    },
    {
      name: 'a RST+ACK with TTL 246 from a host whose port 445 answers with TTL 64: refused in its name (warning; ndpi smb)',
      packets: [
        smb.c(0, 'S', smb.ci), smb.s(0.001, 'SA', smb.si, smb.ci + 1, { ttl: 64 }), smb.c(0.0011, 'A', smb.ci + 1, smb.si + 1),
        smb.c(0.002, 'PA', smb.ci + 1, smb.si + 1, { len: 20 }), smb.s(0.003, 'PA', smb.si + 1, smb.ci + 21, { len: 30, ttl: 64 }),
        nb.c(0.01, 'S', nb.ci), nb.s(0.0102, 'RA', 0, nb.ci + 1, { ttl: 246 }),
      ],
      findings: [{ messageId: 'refusedInItsName', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [6, 7] }],
    },
    {
      name: 'nothing listens on the port (IPv4)',
      packets: refusal(k),
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: HOST, server: SERVER, backend: null }],
    },
    {
      name: 'two attempts from one client, IPv6',
      packets: [...refusal(k6), ...refusal(k6Later, 0.5)],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 2, frames: [1, 2, 3, 4] }],
    },
    {
      name: 'behind DNAT, -i any: the backend refuses and the RST comes back translated',
      packets: [
        toService.c(0, 'S', ci, undefined, { ifIndex: 1 }),
        toBackend.c(0.0001, 'S', ci, undefined, { ifIndex: 3 }),
        toBackend.s(0.0002, 'RA', 0, ci + 1, { ifIndex: 3 }),
        toService.s(0.0003, 'RA', 0, ci + 1, { ifIndex: 1 }),
      ],
      findings: [{ messageId: 'refusedBehindNat', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2, 3, 4],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      // Only the translated half holds the refusal: the original is examined for its NAT half's.
      name: 'behind DNAT, -i any: the backend refuses and its RST is not seen translated back',
      packets: [
        toService.c(0, 'S', ci, undefined, { ifIndex: 1 }),
        toBackend.c(0.0001, 'S', ci, undefined, { ifIndex: 3 }),
        toBackend.s(0.0002, 'RA', 0, ci + 1, { ifIndex: 3 }),
      ],
      findings: [{ messageId: 'refusedBehindNat', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2, 3],
        client: POD, server: SERVICE, backend: BACKEND }],
    },
    {
      name: 'a Service address in the default range, the backend half not in the capture',
      packets: refusal(toService),
      findings: [{ messageId: 'refusedServiceUnseen', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2],
        client: POD, server: SERVICE, backend: null }],
    },
    {
      name: 'an IPv6 Service address named by --service-cidr, each packet seen twice',
      serviceCidrs: ['fd00:96::/112'],
      packets: refusal(conversation(HOST6, SERVICE6, { client: { copy: true }, server: { copy: true } })),
      findings: [{ messageId: 'refusedServiceUnseen', severity: 'error', resetBy: 'server', count: 1, frames: [1, 3] }],
    },
    {
      name: 'three public peers refused by RST+ACKs with TTL 255 and IP IDs from one counter: one stack on this side of the NAT made them (warning)',
      packets: refusedPeers(255, [0x0294, 0x0295, 0x0297]),
      findings: [1, 3, 5].map((f) => ({ messageId: 'refusedOnSharedCounter', severity: 'warning' as const, resetBy: 'middlebox' as const, count: 1, frames: [f, f + 1] })),
    },
    {
      name: 'one IP ID counter across three peers with a TTL a remote path can give (52): the counter alone says one stack (warning)',
      packets: refusedPeers(52, [0x1000, 0x1003, 0x1010]),
      findings: [1, 3, 5].map((f) => ({ messageId: 'refusedOnSharedCounter', severity: 'warning' as const, resetBy: 'middlebox' as const, count: 1, frames: [f, f + 1] })),
    },
    {
      name: 'three public peers, each with its own IP ID counter and a TTL of hops: their own stacks refused (errors)',
      packets: refusedPeers(52, [0x1234, 0x8a01, 0x3c77]),
      findings: [1, 3, 5].map((f) => ({ messageId: 'refused', severity: 'error' as const, resetBy: 'server' as const, count: 1, frames: [f, f + 1] })),
    },
    {
      name: 'three peers refused with IP ID 0 (Linux, DF set) and TTL 64: no counter to share, kernel refusals (errors)',
      packets: [...refusal(k), ...refusal(conversation('10.0.0.2:40001', '10.0.0.4:8080', { ci: 3000 }), 0.1), ...refusal(conversation('10.0.0.2:40002', '10.0.0.5:8080', { ci: 4000 }), 0.2)],
      findings: [1, 3, 5].map((f) => ({ messageId: 'refused', severity: 'error' as const, resetBy: 'server' as const, count: 1, frames: [f, f + 1] })),
    },
    {
      name: 'two RSTs from two peers one IP ID apart: a pair is not yet a counter (errors)',
      packets: refusedPeers(52, [0x2000, 0x2001, 0x9000]),
      findings: [1, 3, 5].map((f) => ({ messageId: 'refused', severity: 'error' as const, resetBy: 'server' as const, count: 1, frames: [f, f + 1] })),
    },
    {
      name: 'one counter over 100 s: the first peer\'s connection was retired (60 s quiet) before the run showed, and stays an error',
      packets: slowRun,
      findings: [
        { messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] },
        { messageId: 'refusedOnSharedCounter', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [3, 4] },
        { messageId: 'refusedOnSharedCounter', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [5, 6] },
      ],
    },
    {
      name: 'a single RST+ACK with TTL 255 from a public address to a private client whose SYN left with TTL 128: made on this side of the NAT (warning)',
      packets: [onePeer.c(0, 'S', onePeer.ci), onePeer.s(0.2, 'RA', 0, onePeer.ci + 1, { ttl: 255, id: 0x0294 })],
      findings: [{ messageId: 'refusedAtZeroHops', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [1, 2] }],
    },
    {
      name: 'IPv6 (no IP ID): a RST+ACK with hop limit 64 from a global address to a ULA client: the hop limit alone (warning)',
      packets: refusal(k6Public),
      findings: [{ messageId: 'refusedAtZeroHops', severity: 'warning', resetBy: 'middlebox', count: 1, frames: [1, 2] }],
    },
    {
      name: 'a RST+ACK with TTL 52 from a public address: hops crossed, the peer\'s own stack (error)',
      packets: [onePeer.c(0, 'S', onePeer.ci), onePeer.s(0.2, 'RA', 0, onePeer.ci + 1, { ttl: 52, id: 0x0294 })],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      name: 'TTL 255 from a public address, but the SYN arrived after hops (TTL 120): the capture may be at the server (error)',
      packets: [onePeer.c(0, 'S', onePeer.ci, undefined, { ttl: 120 }), onePeer.s(0.2, 'RA', 0, onePeer.ci + 1, { ttl: 255 })],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      name: 'TTL 255 from a private address on the client\'s network (a router refusing on its own address): no NAT between them (error)',
      packets: [k.c(0, 'S', ci), k.s(0.0002, 'RA', 0, ci + 1, { ttl: 255 })],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      name: 'the same SYN sent again 1 s later and refused again: still one attempt per client port',
      packets: [...refusal(k), ...refusal(k, 1), ...refusal(kLater, 1.5)],
      findings: [{ messageId: 'refused', severity: 'error', resetBy: 'server', count: 2, frames: [1, 2, 3, 4, 5, 6] }],
    },
  ],
});

ruledOutCases('connection-refused', [
  {
    name: 'the RST+ACK (frame 2) answered the SYN at once: no ICMP, no timeout; the host\'s TTL elsewhere unknown',
    packets: refusal(k),
    ruledOut: [['icmp-rejected', 'syn-timeout']],
    why: [['frame 2', '0.2 ms']],
  },
  {
    name: 'the host\'s packets on another connection arrive with TTL 64, as the RST+ACK does: no forgery',
    packets: [...handshake(k), ...refusal(kLater, 0.5)],
    ruledOut: [['icmp-rejected', 'syn-timeout', 'injected-reset']],
    why: [['frame 5', 'frame 5', 'TTL 64']],
  },
  {
    name: 'refused in the host\'s name (TTL 246 against 64): forgery is what the finding says, not ruled out',
    packets: [
      smb.c(0, 'S', smb.ci), smb.s(0.001, 'SA', smb.si, smb.ci + 1, { ttl: 64 }), smb.c(0.0011, 'A', smb.ci + 1, smb.si + 1),
      nb.c(0.01, 'S', nb.ci), nb.s(0.0102, 'RA', 0, nb.ci + 1, { ttl: 246 }),
    ],
    ruledOut: [['icmp-rejected', 'syn-timeout']],
  },
]);

// Marks go only to connections the flow table still holds: the verdict depends on the packets and
// the table's retirement, never on when the pipeline evaluates retired connections.
describe('one IP ID counter across peers, evaluated in batches', () => {
  test('a batch of 1 connection gives the report of one evaluation', () => {
    const frames = tableFrames(slowRun);
    const whole = analyzeFrames(frames, { connections: true });
    expect(analyzeFrames(frames, { connections: true, batchSize: 1 })).toEqual(whole);
    expect(whole.findings.map((f) => f.severity)).toEqual(['error', 'warning', 'warning']);
  });
});

describe('connection-refused: SYN evidence notes', () => {
  const stamped = (t: number, id: number, tsVal: number) => k.c(t, 'S', ci, undefined, { id, ts: [tsVal, 0] });
  it('a copy 50 ms later and a replay are not labelled retransmissions; the timer\'s resend is', () => {
    const notes = evidenceNotes('connection-refused', [
      stamped(0, 0x100, 7000), k.s(0.0002, 'RA', 0, ci + 1),
      stamped(0.05, 0x101, 7050), k.s(0.0502, 'RA', 0, ci + 1),
      stamped(0.5, 0x100, 7000), k.s(0.5002, 'RA', 0, ci + 1),
      stamped(1, 0x102, 8000), k.s(1.0002, 'RA', 0, ci + 1),
    ])!;
    expect(notes.get(3)).toContain('too soon for a retransmission timer');
    expect(notes.get(5)).toContain('replay');
    expect(notes.get(7)).toBe('SYN retransmission');
  });
});
