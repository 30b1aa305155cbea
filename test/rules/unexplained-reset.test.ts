import { describe, expect, it } from 'vitest';
import { analyzeTable, RuleTester, type TablePacket } from '../helpers/rule-tester.js';
import { conversation, opening } from './table-rows.js';

// unexplained-reset: a reset no other rule explains, stated plainly (src/rules/unexplained-reset.ts,
// docs/rules/unexplained-reset.md). Never silence where resets were counted.

const k = conversation('10.0.0.2:40000', '10.0.0.3:8080');
const v6 = conversation('[fd00::2]:40000', '[fd00::3]:8080', { client: { copy: true }, server: { copy: true } });

/**
 * A split handshake (suricata sv-split-4whs): the server answers the SYN with its own SYN, the
 * client answers that with a SYN-ACK, the server ACKs; 4 bytes of data, acknowledged; the client resets.
 */
const split4: TablePacket[] = [
  k.c(0, 'S', k.ci), k.s(0.0005, 'S', k.si), k.c(0.001, 'SA', k.ci, k.si + 1), k.s(0.0015, 'A', k.si + 1, k.ci + 1),
  k.c(0.002, 'PA', k.ci + 1, k.si + 1, { len: 4 }), k.s(0.0035, 'A', k.si + 1, k.ci + 5), k.c(0.004, 'R', k.ci + 5),
];

/**
 * Mid-connection (no handshake): the client's request, then `n` server segments each retransmitted
 * once and acked (2n notable packets, past the evidence bound), then RST+ACK from the server.
 */
function lossyThenRst(n: number): TablePacket[] {
  const rows: TablePacket[] = [k.c(0, 'PA', k.cNext, k.sNext, { len: 36, id: 1 })];
  let seq = k.sNext;
  let t = 0.01;
  for (let i = 0; i < n; i++, t += 0.5) {
    rows.push(k.s(t, 'PA', seq, k.cNext + 36, { len: 100, id: 0x100 + 2 * i }), k.s(t + 0.3, 'PA', seq, k.cNext + 36, { len: 100, id: 0x101 + 2 * i }));
    seq += 100;
    rows.push(k.c(t + 0.301, 'A', k.cNext + 36, seq, { id: 0x1000 + i }));
  }
  return [...rows, k.s(t, 'RA', seq, k.cNext + 36, { id: 0x900 })];
}

new RuleTester().run('unexplained-reset', {
  valid: [
    { name: 'a healthy exchange', packets: opening(k) },
    { name: 'a live socket aborts an established connection', packets: [...opening(k), k.s(1, 'RA', k.sNext, k.cNext)], firesInstead: 'abortive-close' },
    {
      name: 'a bare RST answering a segment of a lost connection',
      packets: [...opening(k), k.c(4, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(4.0001, 'R', k.sNext)],
      firesInstead: 'stale-connection',
    },
    { name: 'RST+ACK answering a SYN', packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'RA', 0, k.ci + 1)], firesInstead: 'connection-refused' },
  ],
  invalid: [
    {
      name: 'the same past the evidence bound (60 retransmitted segments first): the RST and the packet before it are kept',
      packets: lossyThenRst(60),
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: null, count: 1, frames: [181, 182] }],
    },
    {
      name: 'the capture starts mid-connection and the server sends RST+ACK: who opened it and why are unknown',
      packets: [k.c(0, 'PA', k.cNext, k.sNext, { len: 36 }), k.s(0.001, 'A', k.sNext, k.cNext + 36), k.s(0.5, 'RA', k.sNext, k.cNext + 36)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: null, count: 1, frames: [1, 3] }],
    },
    {
      name: 'the same in IPv6, every packet seen twice (-i any)',
      packets: [v6.c(0, 'PA', v6.cNext, v6.sNext, { len: 36 }), v6.s(0.001, 'A', v6.sNext, v6.cNext + 36), v6.s(0.5, 'RA', v6.sNext, v6.cNext + 36)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: null, count: 1, frames: [1, 5] }],
    },
    {
      name: 'a RST without ACK answering a SYN (no stack refuses that way): stated, not diagnosed',
      packets: [k.c(0, 'S', k.ci), k.s(0.0001, 'R', 0)],
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: 'server', count: 1, frames: [1, 2] }],
    },
    {
      name: 'a split handshake (SYN answered by a SYN) that completed, then the client resets: stated, not diagnosed',
      packets: split4,
      findings: [{ messageId: 'unexplained', severity: 'info', resetBy: 'client', count: 1, frames: [6, 7] }],
    },
  ],
});

describe('unexplained-reset: the handshake stated as seen', () => {
  const explain = (packets: TablePacket[]) => analyzeTable(packets).find((f) => f.rule === 'unexplained-reset')!;
  it('a split handshake where each SYN was acknowledged is not called incomplete', () => {
    const f = explain(split4);
    expect(f.explanation).toContain('Both sides sent a SYN (frames 1 and 2)');
    expect(f.explanation).toContain('The client\'s SYN was acknowledged at frame 4, the responder\'s at frame 3');
    expect(f.explanation).not.toContain('not complete');
    expect(f.ruledOut[0]!.why).toContain('each acknowledged the other\'s');
  });
  it('a SYN answered by a SYN that the client never acknowledges: both SYNs, handshake not complete', () => {
    const f = explain([k.c(0, 'S', k.ci), k.s(0.0005, 'S', k.si), k.c(0.001, 'R', k.ci + 1)]);
    expect(f.explanation).toContain('Both sides sent a SYN (frames 1 and 2)');
    expect(f.explanation).toContain('The handshake is not complete in the capture.');
    expect(f.ruledOut[0]!.why).toContain('the handshake is not complete');
  });
  it('a plain unanswered handshake still says so', () => {
    const f = explain([k.c(0, 'S', k.ci), k.s(0.0001, 'R', 0)]);
    expect(f.explanation).toContain('The handshake is not complete in the capture (SYN at frame 1).');
  });
});
