/** Progress on stderr for long inputs, only when stderr is a terminal; cleared before the report. */
export interface Progress {
  /** For AnalyzeOptions.onProgress; undefined when stderr is not a terminal. */
  update: ((bytes: number, total: number | null, packets: number) => void) | undefined;
  /** Erases the progress line, if one was drawn (call before writing the report). */
  clear(): void;
}

export function makeProgress(stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr): Progress {
  if (!stream.isTTY) return { update: undefined, clear: () => {} };
  const start = Date.now();
  let lastPrint = 0;
  let drawn = 0;
  return {
    update: (bytes, total, packets) => {
      const now = Date.now();
      if (now - lastPrint < 250) return;
      lastPrint = now;
      const secs = Math.max(0.001, (now - start) / 1000);
      const mb = (bytes / 1e6).toFixed(1);
      const of = total ? ` of ${(total / 1e6).toFixed(1)} MB (${Math.floor((100 * bytes) / total)}%)` : ' MB';
      const line = `${mb}${of}, ${Math.round(packets / secs)} packets/s `;
      stream.write(`\r${line}`);
      drawn = Math.max(drawn, line.length);
    },
    clear: () => {
      if (drawn > 0) stream.write(`\r${' '.repeat(drawn)}\r`);
      drawn = 0;
    },
  };
}
