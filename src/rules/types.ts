import type { Connection, ConnEvent } from '../flow/types.js';
import type { NatLink } from '../nat/linker.js';
import type { MessageData, RuleMessages } from './messages.js';
import type { FactTest } from './facts.js';

export type Severity = 'error' | 'warning' | 'info';

/** Higher is more severe (ordering and --fail-on thresholds). */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, error: 3 };

export type RuleId =
  | 'unreversed-dnat'
  | 'synack-rejected'
  | 'unreversed-nat-midstream'
  | 'connection-refused'
  | 'icmp-rejected'
  | 'abortive-close'
  | 'idle-timeout'
  | 'injected-reset'
  | 'stale-connection'
  | 'syn-timeout'
  | 'unexplained-reset'
  | 'challenge-ack'
  | 'accept-queue-overflow'
  | 'pmtu-blackhole'
  | 'syn-retry-delay'
  | 'peer-unresponsive';

/** A rule's metadata, beside its logic (ESLint style). */
export interface RuleMeta {
  id: RuleId;
  /** Default severity; a rule may lower it for a benign variant. */
  severity: Severity;
  title: string;
  /** One sentence: what the packets show. */
  description: string;
  /** Relative path of the rule's documentation page. */
  docs: string;
  /** Message ids → templates (src/rules/messages.ts); a finding names one, its fragments others. */
  messages: RuleMessages;
  /**
   * Rules that explain a connection before this one when both would (registry.ts orders the rules
   * by these declarations, not by file order).
   */
  yieldsTo: readonly RuleId[];
  /**
   * The connections detect can fire on, by their facts (src/rules/facts.ts; any test admits): the
   * engine hands it only those (ctx.candidates). Read off detect's own first tests, and never
   * narrower than they are. Empty: detect walks no connections (it starts from ctx.links).
   */
  appliesTo: readonly FactTest[];
  /**
   * Data fields that tell two diagnoses of this rule apart beyond the message id and the finding's
   * endpoints (icmp-rejected: the ICMP kind). Attempts of one diagnosis are counted together.
   */
  distinguishBy?: readonly string[];
  /** How this rule's findings roll up into causes (what one fix addresses): src/rules/roll-up.ts. */
  rollUp: RollUp;
}

/**
 * A finding attribute a roll-up keys on: the message id, who reset, the server endpoint, its port,
 * the port that answered (the backend's when NAT was seen, else the server's), or a field of the
 * finding's data (`data.<name>`).
 */
export type RollUpField = 'messageId' | 'resetBy' | 'server' | 'serverPort' | 'answerPort' | `data.${string}`;

export interface RollUp {
  /**
   * Findings of this rule alike in these (and in severity) are one cause: the same fix addresses
   * them, however many clients and servers they involve.
   */
  by: readonly RollUpField[];
  /**
   * The cause's one line (messages.ts syntax): the data of one of its findings (and its `server`),
   * and the cause's `count` (attempts), `clients`, `servers` (distinct), `serverPort`, `answerPort`.
   */
  title: string;
  /** Titles for particular message ids of the rule (else `title`). */
  titleFor?: Readonly<Record<string, string>>;
}

/** One packet of a finding's evidence, for ladders and diagrams. */
export interface EvidencePacket {
  frame: number;
  sec: number;
  nsec: number;
  /** Endpoint texts ("ip:port"). */
  from: string;
  to: string;
  /** "SYN", "SYN,ACK", "RST", "ICMP port-unreachable", … */
  label: string;
  /** Sequence and acknowledgement relative to the connection's ISNs (null when unknown). */
  relSeq: number | null;
  relAck: number | null;
  len: number;
  /** Short note: "retransmission", "translated copy (DNAT 10.96.0.10:80 → 10.244.0.3:8080)". */
  note: string;
  /** Further frames that are copies of this packet (other interfaces). */
  copies: number[];
  /** With several inputs (src/join): the input (0-based) this frame is in. Rules leave it out. */
  input?: number;
  /** With several inputs: the same packet in the other inputs. */
  seenAt?: SeenAt[];
  /** Where the capture saw this frame and each copy (src/report/interfaces.ts); rules leave them out. */
  iface?: CaptureInterface;
  copyIfaces?: (CaptureInterface | undefined)[];
}

/** The interface a frame was captured on, as far as the capture says. */
export interface CaptureInterface {
  /** pcapng Interface Description Block name (if_name), unless it is `any`. */
  name?: string;
  /** Linux interface index (SLL2 header: `tcpdump -i any`). */
  ifIndex?: number;
}

/** A packet of one input seen again in another (src/join). */
export interface SeenAt {
  input: number;
  frame: number;
  sec: number;
  nsec: number;
  from: string;
  to: string;
  iface?: CaptureInterface;
}

/**
 * What a rule reports: structured data; the engine counts attempts, then renders the message's
 * text (src/rules/render.ts), numbers findings and fills times from the evidence.
 */
export interface FindingDraft {
  rule: RuleId;
  /** A finding message of the rule's meta.messages. */
  messageId: string;
  /** The message's placeholders (the engine adds `count` and `several`). */
  data: MessageData;
  severity: Severity;
  confidence: number;
  client: string | null;
  server: string | null;
  backend: string | null;
  resetBy: 'client' | 'server' | 'middlebox' | null;
  resetSender: string | null;
  count: number;
  /** Independent tests that fired (injected-reset's detectors), when the rule has such. */
  detectors?: readonly string[];
  /**
   * The nearest alternative causes the rule considered and what in the packets excludes each:
   * a fragment message of this rule with its data.
   */
  ruledOut?: readonly RuledOutDraft[];
  remediation: string[];
  evidence: EvidencePacket[];
  /** Connections this finding covers (both NAT halves where linked). */
  connections: Connection[];
}

/** An alternative cause a finding excludes, and the rule's fragment message that says why. */
export interface RuledOutDraft {
  rule: RuleId;
  messageId: string;
  data: MessageData;
}

/** What rules see: the connections of one capture, the NAT links, and shared helpers. */
export interface RuleContext {
  /** Every connection: context for a rule's lookups. */
  connections: readonly Connection[];
  /** The connections this rule's meta.appliesTo admits, in capture order: the ones it examines. */
  candidates: readonly Connection[];
  links: readonly NatLink[];
  /** Connections already explained by an earlier rule (rules run in registry order). */
  isClaimed(conn: Connection): boolean;
  claim(conn: Connection): void;
  /**
   * The capture shows one direction only: originators' ACKs (answers they got) but not one packet
   * from any responder. What went unanswered may have been answered on the path it does not see.
   */
  oneDirection: boolean;
  /** The connection is claimed, or named by a finding an earlier rule reported. */
  isExplained(conn: Connection): boolean;
  /** All connections whose originator is this endpoint text. */
  byClient(endpoint: string): readonly Connection[];
  /**
   * The last capture time (seconds) this address sent a TCP packet, on any connection where it
   * sent an ACK, as far as the capture has been read (copies of one packet are one packet); NaN
   * when it never did or is not known (FlowTable.lastSentBy: a bounded map of retired connections).
   */
  lastSentBy(addr: string): number;
  /** The address is in a --service-cidr the user gave; null when no hint was given. */
  isServiceAddress(addr: string): boolean | null;
}

export interface Rule {
  meta: RuleMeta;
  detect(ctx: RuleContext): FindingDraft[];
}

export type { Connection, ConnEvent };
export type { MessageData, MessageRef, RuleMessages } from './messages.js';
