import { EndpointState } from './endpoint-state.js';
import type { Connection } from './types.js';

/**
 * Zeek's conn_state (base/protocols/conn/main.zeek), read as Zeek reads it from each side's own
 * state (endpoint-state.ts):
 * S0 SYN seen, no reply · S1 established, not terminated · SF established and closed normally ·
 * REJ SYN answered by RST · S2/S3 established, only the originator / responder closed ·
 * RSTO / RSTR established, then the originator / responder reset · RSTOS0 originator sent SYN then
 * RST, no SYN-ACK seen · RSTRH responder sent SYN-ACK then RST, no SYN seen · SH originator sent
 * SYN then FIN, no SYN-ACK · SHR responder sent SYN-ACK then FIN, no SYN · OTH no SYN seen (midstream).
 * A RST after both sides' FINs leaves SF; a side first seen without a SYN counts as inactive.
 */
export type ConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's test for RSTOS0: the originator's SYN, then (no handshake, ACK, FIN or data from it) its RST. */
const SYN_THEN_RST = /^\^?S[^HAFGIQ]*R/;

export function connState(c: Connection): ConnState {
  const os = c.dirs[0].endpointState;
  const rs = c.dirs[1].endpointState;
  const oInactive = os === EndpointState.Inactive || os === EndpointState.Partial;
  const rInactive = rs === EndpointState.Inactive || rs === EndpointState.Partial;
  if (rs === EndpointState.Reset) {
    if (os === EndpointState.SynSent || os === EndpointState.SynAckSent ||
      (os === EndpointState.Reset && c.dirs[0].payloadBytes === 0 && c.dirs[1].payloadBytes === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === EndpointState.Reset) {
    if (rInactive) return SYN_THEN_RST.test(c.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === EndpointState.Closed && os === EndpointState.Closed) return 'SF';
  if (os === EndpointState.Closed) return rInactive ? 'SH' : 'S2';
  if (rs === EndpointState.Closed) return oInactive ? 'SHR' : 'S3';
  if (os === EndpointState.SynSent && rs === EndpointState.Inactive) return 'S0';
  if (os === EndpointState.Established && rs === EndpointState.Established) return 'S1';
  return 'OTH';
}
