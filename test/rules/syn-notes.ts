/**
 * The evidence note a rule gives each frame of a packet table: SYN copies are labelled a
 * retransmission only when the client's retransmission timer sent them (tcp.ts copyKinds).
 */
import { analyzeTable, type TablePacket } from '../helpers/rule-tester.js';
import type { RuleId } from '../../src/rules/types.js';

/** Frame number -> note, for the rule's first finding (undefined when the rule does not fire). */
export function evidenceNotes(rule: RuleId, packets: readonly TablePacket[]): Map<number, string> | undefined {
  const f = analyzeTable(packets).find((x) => x.rule === rule);
  return f === undefined ? undefined : new Map(f.evidence.map((e) => [e.frame, e.note]));
}
