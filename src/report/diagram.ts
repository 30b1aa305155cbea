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
  /**
   * What to print under the title: the endpoint, or "10.244.0.2 ports 40001, 40002" when the
   * evidence shows several ports of this lane's address (several attempts of one client).
   */
  display: string;
}

export type StepKind = 'normal' | 'translated' | 'untranslated' | 'reset' | 'icmp';

export interface Step {
  frame: number;
  /** With several inputs, the input the frame is in (0-based). */
  input?: number;
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
  /** On the first packet of each attempt when a lane shows several ports: "port 40002". */
  attempt: string | null;
  /** With several inputs: the frame of this packet in each input that has it (its own first). */
  seen?: { input: number; frame: number }[];
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

// → as \u2192: the CLI's bundle stays ASCII (scripts/postbuild.mjs says why).
const NAT_FULL = /\b(DNAT|SNAT)\s+\S+\s*\u2192\s*([^\s;,)]+)/;
const NAT_WORD = /\b(DNAT|SNAT)\b/;

/** Lanes and steps for a finding's evidence (at most `limit` steps). */
export function buildLadder(f: Pick<FindingReport, 'client' | 'server' | 'backend'> & { evidence: EvidencePacket[] }, limit = 40): Ladder {
  const lanes: Lane[] = [];
  const seen: Set<string>[] = [];
  const add = (role: LaneRole, title: string, endpoint: string): number => {
    lanes.push({ role, title, endpoint, display: endpoint });
    seen.push(new Set([endpoint]));
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
    // An address without a port (ICMP sender or target) or another port: the same host (a
    // client's next attempt from a new port stays on the client lane).
    const byAddr = lanes.findIndex((l) => splitEndpoint(l.endpoint).addr === addr);
    if (byAddr >= 0) {
      if (port !== null) seen[byAddr]!.add(text);
      return byAddr;
    }
    const hasNode = lanes.some((l) => l.role === 'node');
    if (icmp && !hasNode) return add('node', 'node', addr);
    const peers = lanes.filter((l) => l.role === 'peer').length;
    return add('peer', peers === 0 ? 'peer' : `peer ${peers + 1}`, text);
  };

  // A DNAT target named in the notes is the backend, even when the finding has none (hairpin:
  // the Service maps to the client itself, on another port).
  if (!lanes.some((l) => l.role === 'backend')) {
    for (const e of f.evidence) {
      const m = NAT_FULL.exec(e.note);
      if (m && m[1] === 'DNAT' && m[2] && !lanes.some((l) => l.endpoint === m[2])) {
        add('backend', 'backend', m[2]);
        const svc = lanes.find((l) => l.role === 'service' || (l.role !== 'client' && l.title === 'server'));
        if (svc) svc.title = 'Service';
        break;
      }
    }
  }
  const serviceLane = lanes.findIndex((l) => l.role === 'service');
  const backendLane = lanes.findIndex((l) => l.role === 'backend');
  const base = f.evidence[0];
  const steps: Step[] = [];
  const stepEndpoints: [string, string][] = [];
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
      frame: e.frame, ...(e.input === undefined ? {} : { input: e.input }), t: base ? secondsBetween(base, e) : 0, from, to, text: stepText(e), label: e.label,
      kind, nat, note: e.note, copies: e.copies, attempt: null,
      ...(e.input === undefined ? {} : { seen: [{ input: e.input, frame: e.frame }, ...(e.seenAt ?? []).map((x) => ({ input: x.input, frame: x.frame }))] }),
    });
    stepEndpoints.push([e.from, e.to]);
  }
  lanes.forEach((l, i) => {
    const ports = [...seen[i]!].map((t) => splitEndpoint(t)).filter((e) => e.port !== null).map((e) => e.port!);
    if (ports.length > 1) {
      const addr = splitEndpoint(l.endpoint).addr;
      l.display = `${addr} ports ${ports.slice(0, 3).join(', ')}${ports.length > 3 ? `, … (${ports.length})` : ''}`;
      let current: string | null = null;
      steps.forEach((st, k) => {
        const text = st.from === i ? stepEndpoints[k]![0] : st.to === i ? stepEndpoints[k]![1] : null;
        const port = text === null ? null : splitEndpoint(text).port;
        if (port !== null && port !== current) {
          current = port;
          if (st.attempt === null) st.attempt = `port ${port}`;
        }
      });
    }
  });
  return { lanes, steps, omitted: Math.max(0, f.evidence.length - limit) };
}

/** A remediation step is a shell command unless it reads like a sentence ("Check that …."). */
export function isShellStep(step: string): boolean {
  const t = step.trim();
  return !/^[A-Z][a-z]+\s.*[.:!?)]$/.test(t) && !/^[A-Z][a-z]+\s+(the|that|a|an|whether|if)\b/.test(t);
}
