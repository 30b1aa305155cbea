/**
 * A file written through one in-memory chunk: subclasses copy records into `chunk` at `used`
 * (after `room`) and the chunk goes to the file when it fills, on `flush` and on `close`, so
 * memory stays bounded however much is written and callers may reuse their buffers at once.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export class ChunkedFile {
  private fd: number | null;
  protected chunk: Buffer;
  protected used = 0;

  constructor(readonly path: string, chunkSize: number) {
    this.fd = openSync(path, 'w');
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  /** Makes room for `n` more bytes at `used` (flushing; a larger chunk for one large record). */
  protected room(n: number): void {
    if (this.fd === null) throw new Error(`${this.path}: written after close`);
    if (this.used + n > this.chunk.length) this.flush();
    if (n > this.chunk.length) this.chunk = Buffer.allocUnsafe(n);
  }

  /** Writes the buffered records to the file (the file is then complete up to here). */
  flush(): void {
    if (this.fd === null || this.used === 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.chunk, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}
