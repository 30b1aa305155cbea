/** Progress on stderr for long inputs, only when stderr is a terminal. */
export function makeProgress(): ((bytes: number, total: number | null, packets: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const start = Date.now();
  let lastPrint = 0;
  return (bytes, total, packets) => {
    const now = Date.now();
    if (now - lastPrint < 250) return;
    lastPrint = now;
    const secs = Math.max(0.001, (now - start) / 1000);
    const mb = (bytes / 1e6).toFixed(1);
    const of = total ? ` of ${(total / 1e6).toFixed(1)} MB (${Math.floor((100 * bytes) / total)}%)` : ' MB';
    process.stderr.write(`\r${mb}${of}, ${Math.round(packets / secs)} packets/s `);
  };
}
