/**
 * The optional `cap` module (a libpcap binding built by node-gyp), loaded at run time so that
 * nothing else in rstdiag depends on it: `npm install` drops it where it cannot build (no libpcap
 * headers), and only `rstdiag live` then fails, with one line that says how to enable it.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** Raised when live capture cannot start (no cap, no permission, bad interface or filter): exit 2. */
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveError';
  }
}

/** The part of cap's `Cap` object that rstdiag uses (cap ships no type definitions). */
export interface CapHandle {
  /** Opens the device; returns the link type name ('ETHERNET', 'LINKTYPE_LINUX_SLL', …). */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface CapDevice {
  name: string;
  description?: string;
  addresses?: { addr?: string }[];
  flags?: string;
}

export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

/** rstdiag's package root (dist/live/ → ../../), where `npm install` / `npm rebuild` must run. */
function packageRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

function isCapModule(m: unknown): m is CapModule {
  if (typeof m !== 'object' || m === null || !('Cap' in m)) return false;
  const cap = (m as { Cap: unknown }).Cap;
  return typeof cap === 'function' && typeof (cap as { deviceList?: unknown }).deviceList === 'function';
}

/**
 * Loads cap, or throws a LiveError whose message is the one line telling how to enable it.
 * npm removes an optional dependency whose build failed, so when cap is absent `npm rebuild cap`
 * has nothing to rebuild: the hint then says `npm install`.
 */
export function loadCap(): CapModule {
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  let resolved: string;
  try {
    resolved = require.resolve('cap');
  } catch {
    throw new LiveError(
      'live capture needs the optional module cap (libpcap), which npm skipped because it could not build: ' +
      `apt-get install libpcap-dev, then npm install in ${root} (npm rebuild cap once node_modules/cap exists)`,
    );
  }
  try {
    const m: unknown = require(resolved);
    if (!isCapModule(m)) throw new Error('unexpected exports');
    return m;
  } catch (err) {
    const built = existsSync(join(resolved, '..', '..', 'build', 'Release', 'cap.node'));
    throw new LiveError(
      `live capture needs the optional module cap (libpcap), which does not load (${built ? firstLine(err) : 'not built'}): ` +
      `apt-get install libpcap-dev, then npm rebuild cap in ${root}`,
    );
  }
}

/**
 * LINKTYPE_* for cap's link type name. cap names five DLTs and reports any other as
 * "Unknown linktype N" (N is the DLT, which equals the LINKTYPE except for the raw-IP DLTs).
 */
export function linkTypeOf(name: string): number | null {
  switch (name) {
    case 'NULL': return 0;
    case 'ETHERNET': return 1;
    case 'RAW': return 101;
    case 'IEEE802_11_RADIO': return 127;
    case 'LINUX_SLL':
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'LINUX_SLL2':
    case 'LINKTYPE_LINUX_SLL2': return 276;
    default: {
      const m = /linktype (\d+)/i.exec(name);
      if (!m) return null;
      const dlt = Number(m[1]);
      // DLT_RAW is 12 on most systems and 14 on OpenBSD; DLT_LOOP is 12 on OpenBSD (LINKTYPE_LOOP 108).
      if (dlt === 12 || dlt === 14) return 101;
      return dlt;
    }
  }
}
