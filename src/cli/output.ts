/** Where reports go, and the lines on stderr that say what happened to them. */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Analysis } from '../report/types.js';
import { UsageError } from './usage.js';
import { EMPTY_INPUT_WARNING } from '../report/build.js';

/** One plain line for a file that could not be written (no "internal error: ENOENT"). */
export function writeFailure(path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? `no such directory: ${dirname(path)}`
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOSPC' ? 'no space left on the device'
    : (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new UsageError(`cannot write ${path}: ${why}`);
}

/** The report to stdout, or to `output` with a line on stderr saying where. */
export function emit(text: string, output: string | undefined, what: string): void {
  if (output === undefined || output === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(output, text);
  } catch (err) {
    throw writeFailure(output, err);
  }
  process.stderr.write(`rstdiag: wrote ${what} to ${output} (${fileSize(Buffer.byteLength(text))})\n`);
}

export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A capture with no packets at all: most often the capture itself went wrong. */
export function warnEmptyInputs(a: Analysis): void {
  for (const i of a.report.inputs) {
    if (i.packets === 0 && !i.truncated) {
      process.stderr.write(`rstdiag: warning: ${i.path} ${EMPTY_INPUT_WARNING}\n`);
    }
  }
}
