/**
 * How the reader names an input and its failures: one-line messages, even for hostile file names
 * and odd system errors.
 */

import { CaptureOpenError } from './types.js';

export function displayPath(path: string): string {
  if (path === '-') return '<stdin>';
  // One-line messages even for hostile file names.
  return path.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** `detail` about the input at `path`, as the exit-2 error the CLI prints. */
export function captureOpenError(path: string, detail: string): CaptureOpenError {
  return new CaptureOpenError(path, `${displayPath(path)}: ${detail}`);
}

export function hexBytes(buf: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  for (let i = start; i < end; i++) parts.push(buf[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/** The system error code (ENOENT, …) or else the first line of the message. */
export function errorCode(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return e instanceof Error ? e.message.split('\n')[0] : String(e).split('\n')[0];
}

/** The open error for a failed stat / open / first read. */
export function openErrorFor(path: string, e: unknown): CaptureOpenError {
  const code = errorCode(e);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return captureOpenError(path, 'no such file');
    case 'EISDIR':
      return captureOpenError(path, 'is a directory');
    case 'EACCES':
    case 'EPERM':
      return captureOpenError(path, 'permission denied');
    default:
      return captureOpenError(path, `cannot read (${code})`);
  }
}
