/**
 * Causes: findings that one fix addresses roll up into one. Each rule declares what tells its
 * causes apart (meta.rollUp.by) and how a cause reads (meta.rollUp.title); this module applies
 * the declarations, for the pipeline (which bounds what it keeps per cause) and the report.
 */
import { ruleOf } from './registry.js';
import { renderTemplate, type MessageData } from './messages.js';
import type { FindingDraft, RollUpField, RuleId, Severity } from './types.js';

/** The port of an "ip:port" / "[v6]:port" endpoint ('' without one). */
export function portOf(endpoint: string | null): string {
  if (endpoint === null) return '';
  const i = endpoint.lastIndexOf(':');
  return i < 0 ? '' : endpoint.slice(i + 1);
}

/** What a roll-up field reads from a finding. */
interface Keyed {
  messageId: string;
  resetBy: string | null;
  server: string | null;
  backend: string | null;
  data: MessageData;
}

function fieldValue(d: Keyed, f: RollUpField): string {
  switch (f) {
    case 'messageId': return d.messageId;
    case 'resetBy': return d.resetBy ?? '';
    case 'server': return d.server ?? '';
    case 'serverPort': return portOf(d.server);
    case 'answerPort': return portOf(d.backend ?? d.server);
    default: return String(d.data[f.slice('data.'.length)] ?? '');
  }
}

/** The cause a finding belongs to: its rule, its severity and the rule's roll-up fields. */
export function causeKey(d: Keyed & { rule: RuleId; severity: Severity }): string {
  return [d.rule, d.severity, ...ruleOf(d.rule).meta.rollUp.by.map((f) => fieldValue(d, f))].join('|');
}

/** The numbers a cause's title may cite, besides its sample finding's data. */
export interface CauseNumbers {
  /** Attempts / connections in all. */
  count: number;
  clients: number;
  servers: number;
}

/** Added to a title that states no numbers of its own. */
const NUMBERS = ' — {{clients|plural:client}}, {{servers|plural:server}}, {{count|plural:attempt}}';

/** A cause's one line, from one of its findings (all share the roll-up fields) and its numbers. */
export function causeTitle(sample: Keyed & { rule: RuleId }, n: CauseNumbers): string {
  const { rollUp, messages } = ruleOf(sample.rule).meta;
  let template = rollUp.titleFor?.[sample.messageId] ?? rollUp.title;
  if (!template.includes('{{count')) template += NUMBERS;
  const data: MessageData = {
    server: sample.server ?? '', ...sample.data, count: n.count, clients: n.clients, servers: n.servers,
    serverPort: fieldValue(sample, 'serverPort'), answerPort: fieldValue(sample, 'answerPort'),
  };
  return renderTemplate(template, data, (id) => {
    const m = messages[id];
    if (typeof m !== 'string') throw new Error(`${sample.rule}: no fragment message '${id}'`);
    return m;
  });
}

/** For the pipeline: a draft's cause and the client address it counts for. */
export function draftCause(d: FindingDraft): { key: string; clientAddr: string } {
  const c = d.client;
  return { key: causeKey(d), clientAddr: c === null ? '' : c.slice(0, c.lastIndexOf(':')) };
}
