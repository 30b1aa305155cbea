/**
 * Endpoints and row fragments for the tables of the handshake-failure and NAT rules
 * (unreversed-dnat, synack-rejected, unreversed-nat-midstream, connection-refused, icmp-rejected).
 */

import type { TablePacket } from '../helpers/rule-tester.js';
import { conversation, type Conversation } from './table-rows.js';

// Kubernetes: a pod dials a Service address (kubeadm's default range 10.96.0.0/12) that kube-proxy
// DNATs to a backend pod on the same node's pod subnet.
export const POD = '10.244.0.5:40000';
export const SERVICE = '10.96.0.10:80';
export const BACKEND = '10.244.0.7:8080';
export const POD6 = '[fd00:244::5]:40000';
export const SERVICE6 = '[fd00:96::10]:80';
export const BACKEND6 = '[fd00:244::7]:8080';
// Plain hosts, no NAT.
export const HOST = '10.0.0.2:40000';
export const SERVER = '10.0.0.3:8080';
export const HOST6 = '[fd00::2]:40000';
export const SERVER6 = '[fd00::3]:8080';

/** The same endpoint on the next port ("10.0.0.2:40000" → "10.0.0.2:40001"): another attempt. */
export function nextPort(endpoint: string): string {
  const at = endpoint.lastIndexOf(':');
  return `${endpoint.slice(0, at)}:${Number(endpoint.slice(at + 1)) + 1}`;
}

/** One connection through DNAT: the half the client addressed and the translated half. */
export interface NatHalves {
  original: Conversation;
  translated: Conversation;
}

export function natHalves(client: string, service: string, backend: string, ci?: number): NatHalves {
  return { original: conversation(client, service, { ci }), translated: conversation(client, backend, { ci }) };
}

/** SYN, SYN-ACK, ACK. */
export function handshake(k: Conversation, at = 0): TablePacket[] {
  return [k.c(at, 'S', k.ci), k.s(at + 0.0002, 'SA', k.si, k.ci + 1), k.c(at + 0.0003, 'A', k.ci + 1, k.si + 1)];
}

/** SYN and the RST+ACK that refuses it. */
export function refusal(k: Conversation, at = 0): TablePacket[] {
  return [k.c(at, 'S', k.ci), k.s(at + 0.0002, 'RA', 0, k.ci + 1)];
}

/** Node vantage: the SYN, its DNAT'd copy, and the backend's SYN-ACK bridged without reverse NAT. */
export function untranslatedSynAck(h: NatHalves, at = 0): TablePacket[] {
  const ci = h.original.ci;
  return [h.original.c(at, 'S', ci), h.translated.c(at + 0.0001, 'S', ci), h.translated.s(at + 0.0002, 'SA', h.translated.si, ci + 1)];
}

/** The client kernel's RST for a SYN-ACK it has no socket for. */
export function strayReset(h: NatHalves, at: number): TablePacket {
  return h.translated.c(at, 'R', h.translated.ci + 1);
}
