import { describe, expect, it } from 'vitest';
import { RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { evidenceNotes } from './syn-notes.js';
import { ruledOutCases } from './ruled-out.js';
import { conversation, type Conversation } from './table-rows.js';
import { BACKEND, BACKEND6, handshake, natHalves, nextPort, POD, POD6, SERVICE } from './nat-rows.js';

// Captured in the server pod: the client's SYN arrives already DNAT'd, the NAT'd half is elsewhere.
const k = conversation(POD, BACKEND);
const k6 = conversation(POD6, BACKEND6);
const kCopies = conversation(POD, BACKEND, { client: { copy: true }, server: { copy: true } });
const kLater = conversation(nextPort(POD), BACKEND, { ci: 9000 });

/** SYN, the SYN-ACK that acks it, and the client's RST `rstAfter` seconds later. */
function rejected(c: Conversation, at = 0, rstAfter = 0.0001): TablePacket[] {
  return [c.c(at, 'S', c.ci), c.s(at + 0.0001, 'SA', c.si, c.ci + 1), c.c(at + 0.0001 + rstAfter, 'R', c.ci + 1)];
}

/** The same, then the client retransmits its SYN 1 s later: its socket was still waiting. */
function rejectedAndRetried(c: Conversation, at = 0): TablePacket[] {
  return [...rejected(c, at), c.c(at + 1, 'S', c.ci)];
}

new RuleTester().run('synack-rejected', {
  valid: [
    { name: 'healthy handshake', packets: handshake(k) },
    { name: 'a late SYN-ACK reset more than 1 s after it arrived, no retried SYN', packets: rejected(k, 0, 1.5), firesInstead: 'unexplained-reset' },
    {
      name: 'a later SYN with another ISN is a new attempt, not a retry (suricata urgent11: a raw-socket tool)',
      packets: [...rejected(k), k.c(0.08, 'S', k.ci + 1000000)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'a client that cancelled its connect (a browser\'s spare connection): prompt RST, no retried SYN',
      packets: rejected(k),
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'the RST does not carry the SYN\'s ISN + 1',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'SA', k.si, k.ci + 1), k.c(0.0002, 'R', k.ci + 500), k.c(1, 'S', k.ci)],
    },
    {
      name: 'the NAT\'d half is in the capture (node vantage)',
      packets: [natHalves(POD, SERVICE, BACKEND).original.c(0, 'S', k.ci), ...rejected(k, 0.0001), k.c(1, 'S', k.ci)],
      firesInstead: 'unreversed-dnat',
    },
    {
      name: 'the SYN is answered by RST+ACK, not a SYN-ACK',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)],
      firesInstead: 'connection-refused',
    },
  ],
  invalid: [
    {
      name: 'the client resets the answer to its own SYN and retransmits that SYN (IPv4)',
      packets: [...rejected(k), k.c(1, 'S', k.ci), k.s(1.0001, 'SA', k.si + 7000, k.ci + 1), k.c(1.0002, 'R', k.ci + 1)],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4, 5, 6],
        client: POD, server: BACKEND, backend: null }],
    },
    {
      name: 'the same in IPv6',
      packets: rejectedAndRetried(k6),
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4],
        client: POD6, server: BACKEND6 }],
    },
    {
      name: '-i any: every packet seen on two interfaces',
      packets: rejectedAndRetried(kCopies),
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 3, 5, 7] }],
    },
    {
      name: 'two client ports to one server make one finding',
      packets: [...rejected(k), ...rejected(kLater, 0.5), k.c(1, 'S', k.ci), kLater.c(1.5, 'S', kLater.ci)],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 2, frames: [1, 2, 3, 4, 5, 6, 7, 8] }],
    },
  ],
});

/** The client's SYN at `t` with this IP ID and TSval (Linux gives each resend new ones). */
const stamped = (t: number, id: number, tsVal: number) => k.c(t, 'S', k.ci, undefined, { id, ts: [tsVal, 0] });
/** The first SYN (IP ID 0x100, TSval 7000), the SYN-ACK acking it, the client's RST. */
const stampedRejected = [stamped(0, 0x100, 7000), k.s(0.0001, 'SA', k.si, k.ci + 1, { ts: [500, 7000] }), k.c(0.0002, 'R', k.ci + 1)];

new RuleTester().run('synack-rejected', {
  valid: [
    {
      name: 'after the RST, a copy of the SYN repeating its IP ID and TSval: a replay, not the client\'s socket still waiting',
      packets: [...stampedRejected, stamped(1, 0x100, 7000)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'after the RST, a copy of the SYN 50 ms after it: sooner than any retransmission timer',
      packets: [...stampedRejected, stamped(0.05, 0x101, 7050)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'a SYN+FIN+URG probe at the same ISN is no retry (suricata urgent11: a raw-socket tool)',
      packets: [...rejected(k), k.c(0.04, 0x23, k.ci)],
      firesInstead: 'unexplained-reset',
    },
    {
      name: 'the client ACKed the SYN-ACK before its RST: it recognised the answer (arkime tcp_handshake_synthetic)',
      packets: [k.c(0, 'S', k.ci), k.s(0.001, 'SA', k.si, k.ci + 1), k.c(0.002, 'A', k.ci + 1, 123456789), k.c(0.1, 'R', k.ci + 1),
        k.c(1, 'S', k.ci)],
    },
  ],
  invalid: [
    {
      name: 'after the RST, the client\'s timer resends the SYN 1 s later (new IP ID and TSval)',
      packets: [...stampedRejected, stamped(1, 0x101, 8000)],
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4] }],
    },
    {
      name: 'the retried SYN counts only with the same ISN (the rule\'s own condition, once more)',
      packets: rejectedAndRetried(k),
      findings: [{ messageId: 'rejected', severity: 'error', resetBy: 'client', count: 1, frames: [1, 2, 3, 4] }],
    },
  ],
});
describe('synack-rejected: SYN evidence notes', () => {
  it('a replayed copy is not labelled a retransmission; the timer\'s resend is', () => {
    const notes = evidenceNotes('synack-rejected', [...stampedRejected, stamped(0.5, 0x100, 7000), stamped(1, 0x101, 8000)])!;
    expect(notes.get(4)).toContain('replay');
    expect(notes.get(5)).toBe('the client retransmits the same SYN: its socket is still waiting');
  });
});

ruledOutCases('synack-rejected', [
  {
    name: 'a SYN-ACK, not RST+ACK (frame 2); the client\'s RST at ISN + 1 with its own TTL',
    packets: rejectedAndRetried(k6),
    ruledOut: [['connection-refused', 'injected-reset']],
    why: [['frame 2', 'TTL 64']],
  },
  {
    name: 'the client\'s RST with another TTL than its SYNs (routed SYNs, bridged RST: server pod vantage): forgery not ruled out',
    packets: [k.c(0, 'S', k.ci, undefined, { ttl: 63 }), k.s(0.0001, 'SA', k.si, k.ci + 1), k.c(0.0002, 'R', k.ci + 1), k.c(1, 'S', k.ci, undefined, { ttl: 63 })],
    ruledOut: [['connection-refused']],
  },
]);
