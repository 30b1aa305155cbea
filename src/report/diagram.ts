/**
 * The lane / ladder model shared by the markdown (mermaid) and HTML (SVG) renderers: which
 * vertical lane each evidence endpoint belongs to (client, Service address, backend, node), and
 * one step per evidence packet with its arrow label. Pure data; no escaping happens here.
 */
import type { FindingReport } from './types.js';
import type { EvidencePacket } from '../rules/types.js';

export type LaneRole = 'client' | 'service' | 'backend' | 'node' | 'peer';

export interface Lane {
  role: LaneRole;
  /** "client", "Service", "backend", "node", "peer 2". */
  title: string;
  /** Endpoint text as in the report ("10.96.0.10:80", "[fd00::1]:80") or a bare address. */
  endpoint: string;
}

export type StepKind = 'normal' | 'translated' | 'untranslated' | 'reset' | 'icmp';

export interface Step {
  frame: number;
  /** Seconds since the first evidence packet. */
  t: number;
  /** Lane indexes. */
  from: number;
  to: number;
  /** "SYN seq=0", "SYN,ACK seq=0 ack=1", "ICMP port-unreachable". */
  text: string;
  /** Flags as in the evidence ("SYN,ACK"). */
  label: string;
  kind: StepKind;
  /** The NAT this packet shows, when it is a translated copy: "DNAT 10.96.0.10:80 → 10.244.0.3:8080". */
  nat: string | null;
  note: string;
  copies: number[];
}

export interface Ladder {
  lanes: Lane[];
  steps: Step[];
  /** Evidence packets left out of the diagram (beyond the limit). */
  omitted: number;
}

/** "ip:port", "[v6]:port", or a bare address → address and port. */
export function splitEndpoint(text: string): { addr: string; port: string | null } {
  const v6 = /^\[([^\]]*)\]:(\d+)$/.exec(text);
  if (v6) return { addr: v6[1]!, port: v6[2]! };
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  if (v4) return { addr: v4[1]!, port: v4[2]! };
  return { addr: text.replace(/^\[(.*)\]$/, '$1'), port: null };
}

/** Seconds between two evidence packets. */
export function secondsBetween(base: EvidencePacket, e: EvidencePacket): number {
  return (e.sec - base.sec) + (e.nsec - base.nsec) / 1e9;
}

/** "+0.000123" (seconds, microseconds shown). */
export function relTimeText(t: number): string {
  return `${t < 0 ? '-' : '+'}${Math.abs(t).toFixed(6)}`;
}

/** The arrow label: flags, then relative seq / ack and payload length when known. */
export function stepText(e: EvidencePacket): string {
  const parts = [e.label];
  if (e.relSeq !== null) parts.push(`seq=${e.relSeq}`);
  if (e.relAck !== null) parts.push(`ack=${e.relAck}`);
  if (e.len > 0) parts.push(`len=${e.len}`);
  return parts.join(' ');
}

const NAT_FULL = /\b(DNAT|SNAT)\s+\S+\s*→\s*[^\s;,)]+/;
const NAT_WORD = /\b(DNAT|SNAT)\b/;

/** Lanes and steps for a finding's evidence (at most `limit` steps). */
export function buildLadder(f: Pick<FindingReport, 'client' | 'server' | 'backend'> & { evidence: EvidencePacket[] }, limit = 40): Ladder {
  const lanes: Lane[] = [];
  const add = (role: LaneRole, title: string, endpoint: string): number => {
    lanes.push({ role, title, endpoint });
    return lanes.length - 1;
  };
  const firstFrom = f.evidence[0]?.from ?? null;
  const clientText = f.client ?? firstFrom;
  if (clientText !== null) add('client', 'client', clientText);
  if (f.server !== null && f.server !== clientText) add('service', f.backend !== null && f.backend !== f.server ? 'Service' : 'server', f.server);
  if (f.backend !== null && f.backend !== f.server && f.backend !== clientText) add('backend', 'backend', f.backend);

  const laneOf = (text: string, icmp: boolean): number => {
    const exact = lanes.findIndex((l) => l.endpoint === text);
    if (exact >= 0) return exact;
    const { addr, port } = splitEndpoint(text);
    // An address without a port (ICMP sender or target) or a port that differs: same host.
    const byAddr = lanes.findIndex((l) => {
      const le = splitEndpoint(l.endpoint);
      return le.addr === addr && (port === null || le.port === null);
    });
    if (byAddr >= 0) return byAddr;
    const hasNode = lanes.some((l) => l.role === 'node');
    if (icmp && !hasNode) return add('node', 'node', addr);
    const peers = lanes.filter((l) => l.role === 'peer').length;
    return add('peer', peers === 0 ? 'peer' : `peer ${peers + 1}`, text);
  };

  const serviceLane = lanes.findIndex((l) => l.role === 'service');
  const backendLane = lanes.findIndex((l) => l.role === 'backend');
  const base = f.evidence[0];
  const steps: Step[] = [];
  for (const e of f.evidence.slice(0, limit)) {
    const icmp = e.label.startsWith('ICMP');
    const from = laneOf(e.from, icmp);
    const to = laneOf(e.to, false);
    const full = NAT_FULL.exec(e.note);
    const word = NAT_WORD.exec(e.note);
    const translated = word !== null || /^translated\b/i.test(e.note);
    let kind: StepKind = 'normal';
    if (icmp) kind = 'icmp';
    else if (e.label.includes('RST')) kind = 'reset';
    else if (translated) kind = 'translated';
    else if (serviceLane >= 0 && backendLane >= 0 && from === backendLane && lanes[to]?.role === 'client') kind = 'untranslated';
    let nat: string | null = null;
    if (translated) {
      const what = word ? word[1]! : 'DNAT';
      if (full) nat = full[0];
      else if (serviceLane >= 0 && backendLane >= 0) nat = `${what} ${lanes[serviceLane]!.endpoint} → ${lanes[backendLane]!.endpoint}`;
      else nat = what;
    }
    steps.push({
      frame: e.frame, t: base ? secondsBetween(base, e) : 0, from, to, text: stepText(e), label: e.label,
      kind, nat, note: e.note, copies: e.copies,
    });
  }
  return { lanes, steps, omitted: Math.max(0, f.evidence.length - limit) };
}

/** A remediation step is a shell command unless it reads like a sentence ("Check that …."). */
export function isShellStep(step: string): boolean {
  const t = step.trim();
  return !/^[A-Z][a-z]+\s.*[.:!?)]$/.test(t) && !/^[A-Z][a-z]+\s+(the|that|a|an|whether|if)\b/.test(t);
}
