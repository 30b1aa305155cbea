/**
 * `rstdiag live`: analyze's pipeline fed from a live interface through libpcap (the optional
 * `cap` module), with findings announced as they appear and the full report at the end.
 *
 * Live source semantics (the contract of the live input):
 * - frames are numbered from 1 in arrival order, exactly as in the `--write` file, so evidence
 *   frame numbers match Wireshark's numbering of that file;
 * - cap does not pass libpcap's per-packet timestamp, so each packet is stamped when rstdiag
 *   receives it: a wall clock read once at start plus `process.hrtime.bigint()` since then, with
 *   exact nanoseconds (the `--write` file is a nanosecond pcap holding the same stamps);
 * - the input is reported as `path: "live:<IF>"`, `format: "pcap"` when `--write` saved the packets
 *   (the report then describes that file's contents exactly) and `null` otherwise; `bytes` is the
 *   size of the equivalent classic pcap (24 + Σ(16 + captured length)).
 */
import type { CaptureInfo, Frame } from '../capture/types.js';
import { formatIsoTime } from '../capture/time.js';
import { Pipeline } from '../analysis/pipeline.js';
import { buildAnalysis, findingText } from '../report/build.js';
import type { Analysis } from '../report/types.js';
import type { FindingDraft } from '../rules/types.js';
import { LiveError, linkTypeOf, loadCap, type CapHandle, type CapModule } from './cap.js';
import { PcapWriter } from './pcap-writer.js';

export { LiveError } from './cap.js';

/** cap sets libpcap's snap length to 65535; the packet buffer is that large. */
export const SNAPLEN = 65535;
/** Kernel capture buffer. */
const KERNEL_BUFFER = 16 * 1024 * 1024;
/** Evaluate findings at least this often while packets arrive. */
const TICK_MS = 1000;
/** …and at the end of a burst, when the last evaluation is at least this old. */
const BURST_MIN_GAP_MS = 200;

export interface LiveOptions {
  iface: string;
  /** BPF filter expression (libpcap syntax). */
  filter?: string;
  /** Stop after this many milliseconds (null: until `signal` aborts). */
  durationMs?: number | null;
  /** Save the packets to this classic (nanosecond) pcap file. */
  write?: string;
  /** Include the connection table in the report. */
  connections?: boolean;
  /** Stops the capture (Ctrl-C). */
  signal?: AbortSignal;
  /** One line (no newline) per finding not announced before, as it appears. */
  onFinding?: (line: string) => void;
  /** Start / stop notices (no newline). */
  onStatus?: (line: string) => void;
  /** For tests: a cap module to use instead of loading the real one. */
  cap?: CapModule;
}

/** Handles whose open() failed: see runLive. */
const failedHandles: CapHandle[] = [];

/** "30s", "500ms", "2m", "1h", "1.5s", or bare seconds ("30") → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new LiveError(`invalid --duration '${text}' (use e.g. 30s, 500ms, 2m, 1h)`);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
  if (!(ms > 0) || !Number.isFinite(ms) || ms > 2 ** 31 - 1) throw new LiveError(`invalid --duration '${text}' (must be > 0 and under 24 days)`);
  return ms;
}

/** The key under which a finding is announced once: rule|client|server|backend. */
export function findingKey(d: Pick<FindingDraft, 'rule' | 'client' | 'server' | 'backend'>): string {
  return `${d.rule}|${d.client ?? ''}|${d.server ?? ''}|${d.backend ?? ''}`;
}

/** One line for a newly seen finding. */
export function findingLine(d: FindingDraft): string {
  let first = d.evidence[0];
  for (const e of d.evidence) if (first === undefined || e.sec < first.sec || (e.sec === first.sec && e.nsec < first.nsec)) first = e;
  const when = first ? formatIsoTime(first.sec, first.nsec) : '';
  return `${when} ${d.severity} ${d.rule}: ${findingText(d).summary}`;
}

function openMessage(err: unknown, opts: LiveOptions, devices: () => string[]): string {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  if (/permission|not permitted|EPERM|access denied/i.test(msg)) {
    return `cannot capture on ${opts.iface}: ${msg} (run as root, or give node CAP_NET_RAW and CAP_NET_ADMIN)`;
  }
  if (/no such device|doesn't exist|does not exist|not found/i.test(msg)) {
    const names = devices();
    return `cannot capture on ${opts.iface}: ${msg}${names.length > 0 ? ` (interfaces: ${names.join(', ')})` : ''}`;
  }
  if (opts.filter && /syntax|parse|filter|expression|illegal|unknown|invalid/i.test(msg)) {
    return `invalid --filter '${opts.filter}': ${msg}`;
  }
  return `cannot capture on ${opts.iface}: ${msg}`;
}

/**
 * Captures until the duration ends or `signal` aborts, then returns the same Analysis that
 * `analyze` builds for a file. Throws LiveError (exit 2) when the capture cannot start.
 */
export async function runLive(opts: LiveOptions): Promise<Analysis> {
  const cap = opts.cap ?? loadCap();
  if (opts.signal?.aborted) throw new LiveError('capture cancelled before it started');
  const deviceNames = (): string[] => {
    try { return cap.Cap.deviceList().map((d) => d.name); } catch { return []; }
  };
  // An unknown name would only fail inside open(), after libpcap printed a warning of its own.
  const names = deviceNames();
  if (names.length > 0 && !names.includes(opts.iface)) {
    throw new LiveError(`cannot capture on ${opts.iface}: no such interface (interfaces: ${names.join(', ')})`);
  }
  const handle: CapHandle = new cap.Cap();
  const buffer = Buffer.alloc(SNAPLEN);
  let linkName: string;
  try {
    linkName = handle.open(opts.iface, opts.filter ?? '', KERNEL_BUFFER, buffer);
  } catch (err) {
    // cap 0.2.1 crashes (uv_poll_stop on a poll handle it never started) when a handle whose
    // open() failed is closed, explicitly or by its destructor when collected: never close it,
    // and keep it reachable. The caller exits (2) right after, which releases the pcap handle.
    failedHandles.push(handle);
    throw new LiveError(openMessage(err, opts, deviceNames));
  }
  const linkType = linkTypeOf(linkName);
  if (linkType === null) {
    handle.close();
    throw new LiveError(`cannot capture on ${opts.iface}: unsupported link type (${linkName})`);
  }

  let writer: PcapWriter | null = null;
  if (opts.write) {
    try {
      writer = new PcapWriter(opts.write, linkType, SNAPLEN);
    } catch (err) {
      handle.close();
      throw new LiveError(`cannot write ${opts.write}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  }

  const pipeline = new Pipeline({ connections: opts.connections });
  // Wall clock read once, advanced by the monotonic clock: exact, increasing nanoseconds.
  const hr0 = process.hrtime.bigint();
  const wall0 = BigInt(Date.now()) * 1_000_000n;
  const frame: Frame = {
    frameNumber: 0, tsSec: 0, tsNsec: 0, linkType, interfaceId: 0,
    capturedLength: 0, originalLength: 0, fileOffset: 24, data: buffer.subarray(0, 0),
  };
  const announced = new Set<string>();
  let failure: unknown = null;
  let evaluatedAt = 0;
  let packetsAtEvaluation = 0;
  let minGap = BURST_MIN_GAP_MS;
  let burstPending = false;
  let stopped = false;
  let stop: () => void = () => { stopped = true; };

  const evaluate = (): void => {
    if (stopped || pipeline.packets === packetsAtEvaluation) return;
    const t0 = Date.now();
    packetsAtEvaluation = pipeline.packets;
    const drafts = pipeline.evaluate(pipeline.snapshot());
    for (const d of drafts) {
      const key = findingKey(d);
      if (announced.has(key)) continue;
      announced.add(key);
      opts.onFinding?.(findingLine(d));
    }
    evaluatedAt = Date.now();
    // A large connection table makes evaluation expensive: keep it under ~5% of the time.
    minGap = Math.max(BURST_MIN_GAP_MS, 20 * (evaluatedAt - t0));
    writer?.flush();
  };

  const onBurstEnd = (): void => {
    burstPending = false;
    if (Date.now() - evaluatedAt >= minGap) evaluate();
  };

  handle.on('packet', (nbytes: number) => {
    if (stopped) return;
    try {
      const t = wall0 + (process.hrtime.bigint() - hr0);
      frame.frameNumber++;
      frame.tsSec = Number(t / 1_000_000_000n);
      frame.tsNsec = Number(t % 1_000_000_000n);
      frame.capturedLength = nbytes;
      // libpcap's wire length is not passed through cap: the captured length is all we know.
      frame.originalLength = nbytes;
      frame.data = buffer.subarray(0, nbytes);
      writer?.write(frame.tsSec, frame.tsNsec, frame.data, nbytes);
      pipeline.onFrame(frame);
      frame.fileOffset += 16 + nbytes;
      if (!burstPending) {
        burstPending = true;
        setImmediate(onBurstEnd);
      }
    } catch (err) {
      failure = err;
      stop();
    }
  });

  const shown = linkType === 1 ? 'EN10MB' : linkName;
  opts.onStatus?.(`capturing on ${opts.iface} (${shown})${opts.filter ? ` with filter '${opts.filter}'` : ''}` +
    `${opts.durationMs ? ` for ${opts.durationMs / 1000}s` : ''}${writer ? `, writing ${writer.path}` : ''}; Ctrl-C stops and prints the report`);

  await new Promise<void>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const onAbort = (): void => stop();
    stop = () => {
      if (stopped) return;
      evaluate();
      stopped = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    timers.push(setInterval(evaluate, TICK_MS));
    if (opts.durationMs) timers.push(setTimeout(() => stop(), opts.durationMs));
    if (opts.signal) {
      if (opts.signal.aborted) stop();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });

  handle.close();
  handle.removeAllListeners('packet');
  writer?.close();
  if (failure !== null) throw failure;

  const packets = pipeline.packets;
  opts.onStatus?.(`stopped: ${packets} packet${packets === 1 ? '' : 's'} captured on ${opts.iface}${writer ? `, written to ${writer.path}` : ''}`);
  const info: CaptureInfo = {
    path: `live:${opts.iface}`,
    format: writer ? 'pcap' : null,
    compressed: false,
    linkTypes: packets > 0 ? [linkType] : [],
    interfaces: [{ linkType, name: opts.iface, description: null, snapLen: SNAPLEN, tsResolution: '10^-9' }],
    packets,
    bytes: frame.fileOffset,
    truncated: false,
    warnings: [],
    comments: ['live capture: timestamps are the times rstdiag received the packets (libpcap\'s own stamps are not available through cap)'],
  };
  return buildAnalysis([pipeline.finish(info)], { connections: opts.connections });
}
