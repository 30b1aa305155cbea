import type { FindingDraft, Rule } from './types.js';
import { renderTemplate, type FindingMessage, type FrameName, type MessageData } from './messages.js';

/** Added by the engine when a finding stands for more attempts than its evidence shows. */
const SHOWN_NOTE = ' ({{count|plural:attempt}} in all; the evidence shows the first {{shown}}.)';

function messageOf(rule: Rule, messageId: string): FindingMessage {
  const m = rule.meta.messages[messageId];
  if (m === undefined || typeof m === 'string') throw new Error(`${rule.meta.id}: no finding message '${messageId}'`);
  return m;
}

/**
 * A finding's text, rendered once from its message and data after the engine counted its
 * attempts: `count` (and `several`, count > 1) are the engine's; `shown`, when given and smaller
 * than the count, is how many attempts the evidence shows.
 */
export interface FindingText {
  summary: string;
  explanation: string;
  ruledOut: { rule: string; why: string }[];
}

/** `frameName`: how the text names frames (a joint report: with their input, src/join). */
export function renderFinding(rule: Rule, d: FindingDraft, shown = d.count, frameName?: FrameName): FindingText {
  const message = messageOf(rule, d.messageId);
  const data: MessageData = { ...d.data, count: d.count, several: d.count > 1, shown };
  const fragment = (id: string): string => {
    const f = rule.meta.messages[id];
    if (typeof f !== 'string') throw new Error(`${rule.meta.id}: no fragment message '${id}'`);
    return f;
  };
  const summary = renderTemplate(message.summary, data, fragment, frameName);
  let explanation = renderTemplate(message.explanation, data, fragment, frameName);
  if (shown < d.count) explanation += renderTemplate(SHOWN_NOTE, data, fragment, frameName);
  const ruledOut = (d.ruledOut ?? []).map((r) => ({ rule: r.rule, why: renderTemplate(fragment(r.messageId), r.data, fragment, frameName) }));
  return { summary, explanation, ruledOut };
}
