import type { Connection } from './types.js';

/**
 * Zeek's conn_state, from the connection record:
 * S0 SYN seen, no reply · S1 established, not terminated · SF established and closed normally ·
 * REJ SYN answered by RST · S2/S3 established, only the originator / responder closed ·
 * RSTO / RSTR established, then the originator / responder reset · RSTOS0 originator sent SYN then
 * RST, no SYN-ACK seen · RSTRH responder sent SYN-ACK then RST, no SYN seen · SH originator sent
 * SYN then FIN, no SYN-ACK · SHR responder sent SYN-ACK then FIN, no SYN · OTH no SYN seen (midstream).
 */
export type ConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export function connState(c: Connection): ConnState {
  const o = c.dirs[0];
  const r = c.dirs[1];
  const origSyn = o.synSeen;
  const respSynAck = r.synAckSeen;
  if (!origSyn && !respSynAck) return 'OTH';
  if (origSyn && !respSynAck) {
    if (r.rstSeen) return 'REJ';
    if (o.rstSeen) return 'RSTOS0';
    if (o.finSeen) return 'SH';
    return 'S0';
  }
  if (!origSyn && respSynAck) {
    if (r.rstSeen) return 'RSTRH';
    if (r.finSeen) return 'SHR';
    if (o.rstSeen) return 'RSTO';
    return 'OTH';
  }
  // Handshake seen from both sides.
  if (o.rstSeen) return 'RSTO';
  if (r.rstSeen) return 'RSTR';
  if (o.finSeen && r.finSeen) return 'SF';
  if (o.finSeen) return 'S2';
  if (r.finSeen) return 'S3';
  return 'S1';
}
