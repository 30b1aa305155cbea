/** A capture point that saw a packet: its first frame there, its TTL, the frames it appears in (copies and NAT halves). */
export interface Sighting {
  input: number;
  frame: number;
  /** IPv4 TTL / IPv6 hop limit where the packet entered this point (0: unknown). */
  ttl: number;
  times: number;
  /** Its retransmission, when the point saw that more often (it went further there). */
  further?: { frame: number; times: number };
}

/** A capture point on the path that did not see the packet, and the packet that shows it was on the path. */
export interface Miss {
  input: number;
  frame: number;
  ttl: number;
  /** retransmission / later: it saw the same side send again; others: it saw the same addresses before and after. */
  why: 'retransmission' | 'later' | 'others';
  /** For `later`: that packet's flags; for `others`: the addresses it saw. */
  label: string;
  /** For `others`: the frame after. */
  after?: number;
}

/** Where between the capture points a packet was lost, when the packets say. */
export interface Location {
  /** The furthest points that saw it and the nearest that did not; empty when the order is unknown. */
  last: Sighting[];
  first: Miss[];
  /** A point at the furthest TTL that saw it fewer times than its retransmission: it went no further inside that host. */
  inside: Sighting | undefined;
}

/**
 * Where on its path a packet vanished, from the packets alone. Each capture point is placed by the
 * TTL (IPv6 hop limit) of the packet there, or, where it is missing, of the later packet it did see
 * (the same sender and route): every router lowers it by one while NAT, bridging and encapsulation
 * leave it (the decoder reads the inner header), so a lower TTL is further from the sender. File
 * order and names never order points, nor do clocks: offsets are estimated from these very packets,
 * and points on one host are microseconds apart. The drop is located only when every point that
 * missed the packet is strictly further than every point that saw it: it was lost between the
 * furthest points that saw it and the nearest that did not (points at one TTL stay unordered and
 * are named together). Inside one `-i any` capture, a packet seen fewer times than the next one
 * from its sender (a retransmission crossing more interfaces) went no further in that host.
 */
export function locate(seen: readonly Sighting[], missing: readonly Miss[]): Location {
  const none: Location = { last: [], first: [], inside: undefined };
  if (seen.length === 0 || missing.length === 0) return none;
  const furthestSeen = Math.min(...seen.map((s) => s.ttl));
  const last = seen.filter((s) => s.ttl === furthestSeen);
  // Its retransmission went further inside this host, and no point saw the packet itself further on.
  const inside = last.find((s) => s.further !== undefined);
  const nearestMissed = Math.max(...missing.map((m) => m.ttl));
  if (seen.some((s) => s.ttl <= 0) || missing.some((m) => m.ttl <= 0) || nearestMissed >= furthestSeen) return { ...none, inside };
  return { last, first: missing.filter((m) => m.ttl === nearestMissed), inside };
}

/** A packet that vanished, said in one sentence (without the leading "The <packet>"). */
export function whereLost(seen: readonly Sighting[], missing: readonly Miss[], name: (input: number) => string,
  ref: (input: number, frame: number) => string): string {
  const seenText = joinWords(seen.map((s) => `${name(s.input)} (${ref(s.input, s.frame)})`));
  const parts = [`is in ${seenText}`];
  if (missing.length > 0) parts.push(`but not in ${missedText(missing, name, ref)}`);
  const where = locate(seen, missing);
  const names = (xs: readonly { input: number }[]): string => joinWords(xs.map((x) => name(x.input)));
  const inside = where.inside;
  const insideText = inside?.further === undefined ? '' : `inside the host of ${name(inside.input)}, which saw it ${times(inside.times)} and its retransmission ${times(inside.further.times)} (${ref(inside.input, inside.further.frame)})`;
  let said: string;
  if (where.first.length > 0) {
    said = `it was lost after ${names(where.last)} (TTL ${where.last[0]!.ttl}) and before ${names(where.first)} (TTL ${where.first[0]!.ttl})`;
    if (insideText !== '') said += `, ${insideText}`;
  } else if (insideText !== '') {
    said = `it was lost ${insideText}`;
  } else {
    said = 'the packets do not order these points on its path (TTL, copies): it was lost between them, or its path does not pass the ones that missed it';
  }
  return `${parts.join(' ')}: ${said}.`;
}

function missedText(missing: readonly Miss[], name: (input: number) => string, ref: (input: number, frame: number) => string): string {
  const what = (m: Miss): string => m.why === 'retransmission' ? 'its retransmission' : m.why === 'later' ? `a later ${m.label} from the same side`
    : `${m.label} before and after it`;
  const frames = (m: Miss): string => m.after === undefined ? ref(m.input, m.frame) : `${ref(m.input, m.frame)}, ${ref(m.input, m.after)}`;
  if (missing.every((m) => m.why === missing[0]!.why && m.label === missing[0]!.label)) {
    const who = missing.length > 1 ? 'each of which saw' : 'which saw';
    return `${joinWords(missing.map((m) => name(m.input)))}, ${who} ${what(missing[0]!)} (${missing.map(frames).join('; ')})`;
  }
  return joinWords(missing.map((m) => `${name(m.input)} (which saw ${what(m)}: ${frames(m)})`));
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

export function joinWords(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
