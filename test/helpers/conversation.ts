import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethernet, ipv4, tcp, type TcpFlags } from './packet-builder.js';
import { writePcap } from './pcap-writer.js';

/** One packet of a hand-made client ↔ server TCP conversation (IPv4 over Ethernet). */
export interface ConversationPacket {
  /** Seconds after the start. */
  t: number;
  from: 'c' | 's';
  flags: TcpFlags;
  seq: number;
  ack?: number;
  len?: number;
  ttl?: number;
  id?: number;
  /** TCP timestamps option (only where the conversation uses them); false leaves it out. */
  ts?: boolean;
}

export interface Conversation {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  /** Put a TCP timestamps option on every packet whose `ts` is not false. */
  timestamps: boolean;
}

/**
 * Writes minimal captures of one conversation into temporary directories, and removes them all
 * with `cleanup()` (call it from afterAll).
 */
export function conversationWriter(conv: Conversation, prefix: string): { write(pkts: ConversationPacket[]): string; cleanup(): void } {
  const made: string[] = [];
  return {
    write(pkts) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      const path = join(dir, 'x.pcap');
      const base = 1_700_000_000;
      writeFileSync(path, writePcap(pkts.map((p) => {
        const fromC = p.from === 'c';
        const payload = new Uint8Array(p.len ?? 0).fill(0x61);
        const ts: [number, number] | undefined = conv.timestamps && p.ts !== false ? [1000 + Math.round(p.t * 1000), 500] : undefined;
        const seg = tcp({ sport: fromC ? conv.clientPort : conv.serverPort, dport: fromC ? conv.serverPort : conv.clientPort,
          seq: p.seq >>> 0, ack: p.ack ?? 0, flags: p.flags, ts }, payload);
        const ip = ipv4({ src: fromC ? conv.client : conv.server, dst: fromC ? conv.server : conv.client, proto: 6,
          ttl: p.ttl ?? 64, id: p.id ?? 0, flags: 'DF' }, seg);
        const us = Math.round(p.t * 1e6);
        return { sec: base + Math.floor(us / 1e6), nsec: (us % 1e6) * 1000, data: ethernet({ type: 0x0800 }, ip) };
      })));
      return path;
    },
    cleanup() {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    },
  };
}
