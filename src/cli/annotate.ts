/** `rstdiag annotate CAPTURE -o OUT.pcapng`: analysis, then the capture rewritten with comments. */
import { resolve } from 'node:path';
import type { Analysis } from '../report/types.js';
import { annotateCapture, evidenceComments } from '../report/annotate.js';
import { TOOL_VERSION } from '../version.js';
import { fileSize, writeFailure } from './output.js';
import { UsageError } from './usage.js';

/** Checks what can be checked before the analysis runs. */
export function checkAnnotateArgs(capture: string, output: string): void {
  if (capture === '-') throw new UsageError('annotate reads the capture twice: give a file, not standard input');
  if (output === '-' || output === '') throw new UsageError('annotate needs -o OUT.pcapng (a file to write)');
  if (resolve(capture) === resolve(output)) throw new UsageError(`annotate would overwrite ${capture}, the capture it reads: choose another -o`);
}

/** Writes the annotated capture; the findings' display filters on stdout, the outcome on stderr. */
export async function runAnnotate(capture: string, output: string, a: Analysis): Promise<void> {
  let result;
  try {
    result = await annotateCapture(capture, output, evidenceComments(a.findings), `rstdiag ${TOOL_VERSION}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== undefined && (err as NodeJS.ErrnoException).path === output) throw writeFailure(output, err);
    throw err;
  }
  const lines = a.findings.map((f) => `${f.id} ${f.rule} (${f.severity}): ${f.displayFilter}\n`);
  process.stdout.write(lines.join(''));
  const n = a.findings.length;
  process.stderr.write(`rstdiag: wrote ${output} (${fileSize(result.bytes)}): ${result.packets} packets, ${result.commented} with comments `
    + `for ${n} finding${n === 1 ? '' : 's'} (Wireshark: Analyze > Expert Information, Comment; or the filter frame.comment)\n`);
  if (result.info.truncated) {
    process.stderr.write(`rstdiag: warning: ${capture} is damaged or cut short: ${output} holds the ${result.packets} packets before the damage\n`);
  }
  if ((result.info.otherRecords ?? 0) > 0) {
    process.stderr.write(`rstdiag: warning: ${capture} has ${result.info.otherRecords} non-packet records that Wireshark numbers as frames; `
      + `${output} leaves them out, so its frame numbers run lower after the first of them\n`);
  }
}
