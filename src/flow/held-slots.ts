import type { Connection, Dir } from './types.js';
import { blankConnection, ConnectionRecord } from './connection.js';
import { ConnFlag, ConnSlots } from './slots.js';
import { DirFlag } from './dir-layout.js';
import { DirSlots } from './dir-slots.js';
import { HistoryLetters } from './history.js';
import { EvidenceBuffer } from './evidence.js';
import { witnessHashOf } from './endpoints.js';
import { syncConnection } from './snapshot.js';
import { ResetIpIds } from './reset-ipids.js';

/**
 * The flow table's per-connection parts (slot storage, history, evidence buffer, the capture-wide
 * RST IP-ID runs, the records made) and what is read of a held slot: the NAT linker's and the
 * pipeline's accessors, and a slot as a record (handleOf) or a stub (stubOf). FlowTable
 * (table.ts) extends it with the slots' lifecycle.
 */
export class HeldSlots {
  protected readonly conns = new ConnSlots();
  protected readonly dirs = new DirSlots(this.conns);
  protected readonly history = new HistoryLetters(this.conns);
  protected readonly evidence = new EvidenceBuffer(this.conns);
  /** RSTs of several addresses on one IP ID counter (capture-wide, bounded). */
  protected readonly resetIpIds = new ResetIpIds(this.conns);
  /** Records made for held connections (see handleOf). */
  protected readonly handles: (ConnectionRecord | undefined)[] = [];

  /** The slot holds connection `id` (not retired, not reused). */
  holds(slot: number, id: number): boolean {
    return this.conns.id(slot) === id;
  }

  idAt(slot: number): number {
    return this.conns.id(slot);
  }

  originKnownAt(slot: number): boolean {
    return (this.conns.bits(slot) & ConnFlag.OriginKnown) !== 0;
  }

  origKeyAt(slot: number): number {
    return this.conns.origKey(slot);
  }

  respKeyAt(slot: number): number {
    return this.conns.respKey(slot);
  }

  /** IPv4 connections: the originator's address word; else undefined (keys by text instead). */
  clientKeyAt(slot: number): number | undefined {
    const c = this.conns;
    return c.version(slot) === 4 ? c.addrWord(slot, true) : undefined;
  }

  /** IPv4 connections: the responder's address word × 65536 + port; else undefined. */
  serverKeyAt(slot: number): number | undefined {
    const c = this.conns;
    return c.version(slot) === 4 ? c.addrWord(slot, false) * 65536 + c.portB(slot) : undefined;
  }

  /** witnessHash (src/analysis/witnesses.ts) of an IPv4 connection's keys, from its numbers. */
  witnessHashAt(slot: number): number {
    const c = this.conns;
    return witnessHashOf(c.addrWord(slot, true), c.addrWord(slot, false), c.portB(slot));
  }

  natLinkedAt(slot: number): boolean {
    return (this.conns.bits(slot) & ConnFlag.NatLinked) !== 0;
  }

  /** Marks a held connection as one half of a NAT link (it is then never plainly healthy). */
  markNatLinked(slot: number): void {
    this.conns.setBits(slot, this.conns.bits(slot) | ConnFlag.NatLinked);
  }

  /** Direction dir's ISN, or -1 when it sent no SYN. */
  isnAt(slot: number, dir: Dir): number {
    const i = this.dirs.at(slot, dir);
    return (this.dirs.bits(i) & DirFlag.SynSeen) !== 0 ? this.dirs.isn(i) : -1;
  }

  /** The record already made for a held slot, if any. */
  existingHandle(slot: number): ConnectionRecord | undefined {
    return this.handles[slot];
  }

  /**
   * Endpoint `sideA` (true: side A, the originator) of slot a equals endpoint `sideB` of slot b:
   * same version, address and port.
   */
  sameEndpoint(a: number, sideA: boolean, b: number, sideB: boolean): boolean {
    return this.conns.sameEndpoint(a, sideA, b, sideB);
  }

  /**
   * The record of a held connection, made on first request and brought up to date with the
   * table's numbers on each. From then on the connection's evidence lives in the record's log.
   */
  handleOf(slot: number): ConnectionRecord {
    let h = this.handles[slot];
    if (h === undefined) {
      const c = this.conns;
      const orig = c.endpoint(slot, true, false);
      const resp = c.endpoint(slot, false, true);
      h = new ConnectionRecord(c.id(slot), orig, resp, this.evidence.logOf(slot), c.origKey(slot), c.respKey(slot),
        this.clientKeyAt(slot) ?? orig.addr, this.serverKeyAt(slot) ?? resp.text);
      this.handles[slot] = h;
    }
    syncConnection(this.conns, this.dirs, this.history, this.evidence, slot, h);
    h.rstIpIdRun = this.resetIpIds.of(slot);
    return h;
  }

  /**
   * A released connection's stub for the pipeline's witnesses: its numbers and endpoints, no
   * evidence, no links (what a rule may cite about a healthy connection).
   */
  stubOf(slot: number): Connection {
    const c = this.conns;
    const stub = blankConnection(c.id(slot), c.endpoint(slot, true, false), c.endpoint(slot, false, true));
    syncConnection(this.conns, this.dirs, this.history, this.evidence, slot, stub);
    return stub;
  }
}
