/**
 * Row makers for RuleTester packet tables: one client ↔ server conversation written row by row,
 * and the opening (handshake, request, reply) most cases start from.
 */

import type { TablePacket } from '../helpers/rule-tester.js';
import type { TcpFlags } from '../helpers/packet-builder.js';

/** What a row may add to time, flags, seq and ack (TTL, IP ID, length, timestamps, copy…). */
export type RowExtras = Partial<Omit<TablePacket, 't' | 'src' | 'dst' | 'flags' | 'seq' | 'ack'>>;

type RowMaker = (t: number, flags: TcpFlags, seq: number, ack?: number, extras?: RowExtras) => TablePacket;

/** Request and reply sizes of `opening`. */
export const REQUEST = 36;
export const REPLY = 41;

export interface Conversation {
  client: string;
  server: string;
  /** Initial sequence numbers (the SYN's and the SYN-ACK's seq). */
  ci: number;
  si: number;
  /** Each side's next sequence number after `opening`. */
  cNext: number;
  sNext: number;
  /** A row from the client to the server. */
  c: RowMaker;
  /** A row from the server to the client. */
  s: RowMaker;
}

export interface ConversationOptions {
  ci?: number;
  si?: number;
  /** Added to every row of that side (a TTL, `copy: true`, an interface…). */
  client?: RowExtras;
  server?: RowExtras;
}

function rowMaker(src: string, dst: string, defaults: RowExtras): RowMaker {
  return (t, flags, seq, ack, extras = {}) => ({ t, src, dst, flags, seq, ...(ack === undefined ? {} : { ack }), ...defaults, ...extras });
}

/** Rows between `client` and `server` ("10.0.0.2:40000", "[fd00::2]:40000"). */
export function conversation(client: string, server: string, o: ConversationOptions = {}): Conversation {
  const ci = o.ci ?? 1000;
  const si = o.si ?? 5000;
  return {
    client, server, ci, si, cNext: ci + 1 + REQUEST, sNext: si + 1 + REPLY,
    c: rowMaker(client, server, o.client ?? {}), s: rowMaker(server, client, o.server ?? {}),
  };
}

/** Handshake, a request, the reply and its ACK: 6 rows from `at` to `at` + 3.1 ms. */
export function opening(k: Conversation, at = 0): TablePacket[] {
  return [
    k.c(at, 'S', k.ci),
    k.s(at + 0.001, 'SA', k.si, k.ci + 1),
    k.c(at + 0.0011, 'A', k.ci + 1, k.si + 1),
    k.c(at + 0.002, 'PA', k.ci + 1, k.si + 1, { len: REQUEST }),
    k.s(at + 0.003, 'PA', k.si + 1, k.cNext, { len: REPLY }),
    k.c(at + 0.0031, 'A', k.cNext, k.sNext),
  ];
}
