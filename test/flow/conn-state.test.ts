import { describe, expect, it } from 'vitest';
import * as b from '../helpers/packet-builder.js';
import { analyzeFrames } from '../helpers/in-memory.js';

// conn_state and history as Zeek's conn.log has them (base/protocols/conn/main.zeek): each side's
// own state from what its packets show. Packets are [from client?, flags, payload bytes].

type Step = [boolean, string, number?];

function row(steps: Step[]): { state: string; history: string } {
  let cs = 1000;
  let ss = 5000;
  const frames = steps.map(([fromClient, flags, len = 0], i) => {
    const payload = new Uint8Array(len);
    const seg = fromClient
      ? b.tcp({ sport: 40000, dport: 80, seq: cs, ack: flags.includes('A') ? ss : 0, flags: flags as 'S' }, payload)
      : b.tcp({ sport: 80, dport: 40000, seq: ss, ack: flags.includes('A') ? cs : 0, flags: flags as 'S' }, payload);
    const adv = len + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (fromClient) cs += adv;
    else ss += adv;
    const ip = fromClient ? b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, seg) : b.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 6 }, seg);
    return { ...b.frame(b.ethernet({ type: 0x0800 }, ip), 1, { frameNumber: i + 1 }), tsSec: 100 + i, tsNsec: 0 };
  });
  const rows = analyzeFrames(frames, { connections: true }).report.connections ?? [];
  expect(rows).toHaveLength(1);
  return { state: rows[0]!.state, history: rows[0]!.history };
}

const C = true;
const S = false;
const handshake: Step[] = [[C, 'S'], [S, 'SA'], [C, 'A']];

describe('conn_state (Zeek)', () => {
  it.each([
    ['SF: both close with FIN', [...handshake, [C, 'PA', 10], [S, 'PA', 20], [C, 'FA'], [S, 'FA'], [C, 'A']], 'SF', 'ShADdFf'],
    ['SF: a RST after both FINs does not undo the close', [...handshake, [C, 'FA'], [S, 'FA'], [S, 'R']], 'SF', 'ShAFfr'],
    ['SF: a FIN then a RST, then the peer\'s FIN', [...handshake, [C, 'FA'], [C, 'R'], [S, 'FA']], 'SF', 'ShAFRf'],
    ['RSTR: established, then the responder resets', [...handshake, [C, 'PA', 5], [S, 'R']], 'RSTR', 'ShADr'],
    ['RSTO: established, then the originator resets', [...handshake, [C, 'RA']], 'RSTO', 'ShAR'],
    ['REJ: a SYN answered by RST', [[C, 'S'], [S, 'RA']], 'REJ', 'Sr'],
    ['S0: a SYN, no reply', [[C, 'S'], [C, 'S']], 'S0', 'S'],
    ['RSTOS0: a SYN, then the originator\'s RST', [[C, 'S'], [C, 'R']], 'RSTOS0', 'SR'],
    ['SH: a SYN, then a FIN, no reply', [[C, 'S'], [C, 'F']], 'SH', 'SF'],
    ['S1: established, open', [...handshake, [C, 'PA', 5]], 'S1', 'ShAD'],
    ['S2 / S3: one side closed', [...handshake, [C, 'FA']], 'S2', 'ShAF'],
    ['S1: SYN missing, SYN-ACK then the client\'s ACK (flipped: ^)', [[S, 'SA'], [C, 'A'], [C, 'PA', 5]], 'S1', '^hAD'],
    ['SF: SYN missing, both close with FIN', [[S, 'SA'], [C, 'A'], [C, 'PA', 5], [S, 'PA', 5], [C, 'FA'], [S, 'FA']], 'SF', '^hADdFf'],
    ['RSTRH: SYN-ACK then RST from the responder, no SYN', [[S, 'SA'], [S, 'R']], 'RSTRH', '^hr'],
    ['SHR: SYN-ACK then FIN from the responder, no SYN', [[S, 'SA'], [S, 'FA']], 'SHR', '^hf'],
    ['SF: midstream, both close with FIN', [[C, 'PA', 5], [S, 'A'], [C, 'FA'], [S, 'FA']], 'SF', 'DaFf'],
    ['OTH: midstream, no close', [[C, 'PA', 5], [S, 'A']], 'OTH', 'Da'],
    ['RSTRH: midstream, the responder resets (the originator never established)', [[C, 'PA', 5], [S, 'R']], 'RSTRH', 'Dr'],
  ] as [string, Step[], string, string][])('%s', (_name, steps, state, history) => {
    expect(row(steps)).toEqual({ state, history });
  });
});
