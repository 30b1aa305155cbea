/**
 * The JSON report (`--format json`), schemaVersion 1 — the machine contract of
 * ../shared/DESIGN.md. Every field is documented where it is defined (Zeek's conn.log style).
 * Adding a field is compatible; renaming or changing one's meaning needs a new schemaVersion.
 */
import type { RuleId, Severity, EvidencePacket, MessageData } from '../rules/types.js';
import type { ConnState } from '../flow/state.js';

export interface Report {
  /** Always 1 for this layout. */
  schemaVersion: 1;
  tool: { name: 'rstdiag'; version: string };
  inputs: InputReport[];
  summary: SummaryReport;
  /** What a person fixes: findings that share one root cause, worst first (severity, then attempts). */
  causes: CauseReport[];
  /**
   * Findings ordered by first evidence time; ids F1, F2, … in that order. At most
   * CAUSE_FINDINGS per cause are listed; the cause counts the others (`unlisted`).
   */
  findings: ReportedFinding[];
  /** Present only with --connections. */
  connections?: ConnectionReport[];
}

/** A finding as the JSON report writes it: with several inputs, its evidence naming each input. */
export interface ReportedFinding extends FindingReport {
  evidence?: EvidenceReport[];
}

/** One evidence packet in one input (several inputs only; ../shared/DESIGN.md). */
export interface EvidenceReport {
  /** 0-based, in command-line order. */
  input: number;
  frame: number;
  time: string;
  /** "from ─FLAGS→ to". */
  packet: string;
  note: string;
  /** The capture's name for the interface the frame was seen on (pcapng if_name; not `any`), when it names one. */
  interface?: string;
  /** The Linux interface index the frame was seen on (SLL2: `tcpdump -i any`), when the capture says. */
  ifIndex?: number;
}

export interface InputReport {
  /** As given on the command line ('-' for standard input). */
  path: string;
  /** null when the file could not be recognised. */
  format: 'pcap' | 'pcapng' | null;
  /** LINKTYPE_* values of the frames, in order of first appearance. */
  linkTypes: number[];
  /** Frames read. */
  packets: number;
  /** Uncompressed bytes read. */
  bytes: number;
  /** Time of the first / last frame, ISO-8601 UTC with nanoseconds; null when no frames. */
  firstTime: string | null;
  lastTime: string | null;
  /** The file ended or broke in the middle of a record: the report covers what came before. */
  truncated: boolean;
  /** Damage (naming byte offsets), unsupported link types, limits reached. */
  warnings: string[];
  /**
   * Several inputs only: seconds this input's clock is ahead of the first input's, estimated from
   * packets seen in both (median); null when it shares no packet with the others.
   */
  clockOffset?: number | null;
}

export interface SummaryReport {
  /** Frames in all inputs. */
  packets: number;
  /** TCP segments decoded (copies of one packet on several interfaces included). */
  tcpPackets: number;
  /** TCP connections (4-tuples; the two halves of a NAT'd connection count once). */
  connections: number;
  /** TCP segments with RST set. */
  resets: number;
  /** Findings per rule id (those a cause counts without listing them included). */
  findingsByRule: Partial<Record<RuleId, number>>;
}

/** Findings that one fix addresses (the rule's meta.rollUp says which), as one. */
export interface CauseReport {
  /** "C1", "C2", … worst first. */
  id: string;
  rule: RuleId;
  severity: Severity;
  /** One line: the cause, with its numbers. */
  title: string;
  /** Ids of its listed findings, most attempts first. */
  findings: string[];
  /** Its findings not listed in the report (memory stays bounded on a busy node); counts include them. */
  unlisted: number;
  /** Distinct client addresses. */
  clients: number;
  /** Servers addressed, most attempts first (at most CAUSE_SERVERS; `moreServers` counts the rest). */
  servers: string[];
  moreServers: number;
  /** Connection attempts / connections in all. */
  count: number;
  firstTime: string;
  lastTime: string;
  /** The fix, once (as its most frequent finding gives it). */
  remediation: string[];
  docs: string;
}

export interface FindingReport {
  /** "F1", "F2", … */
  id: string;
  rule: RuleId;
  severity: Severity;
  /** 0..1: how strongly the packets support this cause over the alternatives. */
  confidence: number;
  /** The side that sent the SYN, "ip:port" ("[v6]:port"). */
  client: string | null;
  /** What the client addressed (a Service VIP in NAT cases). */
  server: string | null;
  /** What actually answered, when it differs from `server` (NAT seen). */
  backend: string | null;
  resetBy: 'client' | 'server' | 'middlebox' | null;
  /** The address that sent the RST (or the ICMP error). */
  resetSender: string | null;
  /** Connection attempts / connections this finding covers (>= 1). */
  count: number;
  /** Evidence frame numbers, 1-based in capture order (Wireshark's). */
  frames: number[];
  /** Times of the first / last evidence packet, ISO-8601 UTC. */
  firstTime: string;
  lastTime: string;
  /** One line. */
  summary: string;
  /** Why, from the packets. */
  explanation: string;
  /** Steps or commands, in order. */
  remediation: string[];
  /** The rule's documentation page. */
  docs: string;
  /** The nearest alternative causes considered, and what in the packets excludes each. */
  ruledOut: { rule: string; why: string }[];
  /** A Wireshark display filter selecting the evidence packets (copies included): `frame.number in {…}`. */
  displayFilter: string;
}

export interface ConnectionReport {
  /** Connection number, in order of first packet. */
  id: number;
  /** Originator (SYN sender) and responder endpoints. */
  orig: string;
  resp: string;
  /** First packet time and duration in seconds. */
  start: string;
  duration: number;
  /** Packets and payload bytes each way (copies of one packet counted once). */
  origPackets: number;
  origBytes: number;
  respPackets: number;
  respBytes: number;
  /** Zeek conn_state. */
  state: ConnState;
  /**
   * Zeek-style history: s SYN, h SYN-ACK, a pure ACK, d data, f FIN, r RST, t retransmitted
   * data, u an ICMP error about the connection (rstdiag's letter); upper case from the
   * originator, lower case from the responder, in order of first occurrence.
   */
  history: string;
  /** The other half of a NAT'd connection ("orig → resp"), and this half's role. */
  nat: { role: 'original' | 'translated'; peer: string } | null;
  /** Ids of findings that involve this connection. */
  findings: string[];
  /** Several inputs only: the inputs (0-based) that saw this connection. */
  inputs?: number[];
}

/**
 * Internal: a finding with its evidence rows (for the text, markdown and HTML renderers) and the
 * rule's structured verdict (for tests and tools; not in the JSON report).
 */
export interface FindingWithEvidence extends FindingReport {
  evidence: EvidencePacket[];
  /** The rule's message id (its meta.messages) the text was rendered from. */
  messageId: string;
  /** Independent tests that fired (injected-reset's detectors); empty for other rules. */
  detectors: readonly string[];
  /** The rule's message data, and the cause it rolls up into (its key, then its id). */
  data: MessageData;
  causeKey: string;
  causeId: string;
}

/** Internal: everything the renderers need. */
export interface Analysis {
  report: Report;
  findings: FindingWithEvidence[];
  translations: { from: string; to: string; kind: 'dnat' | 'snat'; connections: number }[];
}
