import type { Connection, Dir, DirState } from './types.js';
import { ConnFlag, type ConnSlots } from './slots.js';
import { DirFlag } from './dir-layout.js';
import type { DirSlots } from './dir-slots.js';
import type { HistoryLetters } from './history.js';
import type { EvidenceBuffer } from './evidence.js';
import { endpointStateOf } from './endpoint-state.js';

/** Copies a held slot's numbers into its record (or a stub): what rules and reports read. */
export function syncConnection(conns: ConnSlots, dirs: DirSlots, history: HistoryLetters, evidence: EvidenceBuffer,
  slot: number, h: Connection): void {
  const bits = conns.bits(slot);
  h.originKnown = (bits & ConnFlag.OriginKnown) !== 0;
  h.firstFrame = conns.firstFrame(slot);
  h.lastFrame = conns.lastFrame(slot);
  h.firstSec = conns.firstSec(slot);
  h.firstNsec = conns.firstNsec(slot);
  h.lastSec = conns.lastSec(slot);
  h.lastNsec = conns.lastNsec(slot);
  h.firstT = conns.firstT(slot);
  h.lastT = conns.lastT(slot);
  h.history = history.text(slot);
  h.droppedEvents = evidence.dropped(slot);
  h.maxIdle = conns.maxIdle(slot);
  h.maxIdleFrame = conns.maxIdleFrame(slot);
  h.established = (bits & ConnFlag.Established) !== 0;
  h.establishedT = conns.establishedT(slot);
  syncDir(dirs, slot, 0, h.dirs[0]);
  syncDir(dirs, slot, 1, h.dirs[1]);
}

function syncDir(dirs: DirSlots, slot: number, dir: Dir, d: DirState): void {
  const i = dirs.at(slot, dir);
  const db = dirs.bits(i);
  d.packets = dirs.packets(slot, dir);
  d.payloadBytes = dirs.payloadBytes(slot, dir);
  d.ipBytes = dirs.ipBytes(slot, dir);
  d.synSeen = (db & DirFlag.SynSeen) !== 0;
  d.isn = d.synSeen ? dirs.isn(i) : -1;
  d.synTsVal = dirs.synTsVal(i);
  d.synHasTs = (db & DirFlag.SynHasTs) !== 0;
  d.synAckSeen = (db & DirFlag.SynAckSeen) !== 0;
  d.synAckAck = d.synAckSeen ? dirs.synAckAck(i) : -1;
  d.synAckTsEcr = (db & DirFlag.SynAckHasTs) !== 0 ? dirs.synAckTsEcr(i) : -1;
  d.synFrame = dirs.synFrame(i);
  d.finSeen = (db & DirFlag.FinSeen) !== 0;
  d.rstSeen = (db & DirFlag.RstSeen) !== 0;
  d.endpointState = endpointStateOf(db);
  d.nextSeq = (db & DirFlag.NextSeqValid) !== 0 ? dirs.nextSeq(i) : -1;
  d.lastAck = (db & DirFlag.LastAckValid) !== 0 ? dirs.lastAck(i) : -1;
  d.retransmits = dirs.retransmits(i);
  d.duplicates = dirs.duplicates(i);
  d.synRetransmits = dirs.synRetransmits(i);
  d.minTtl = dirs.minTtl(i);
  d.maxTtl = dirs.maxTtl(i);
  d.lastT = dirs.lastT(slot, dir);
  d.lastDataT = dirs.lastDataT(slot, dir);
}
