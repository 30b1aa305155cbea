import type { Connection, ConnEvent, DirState, Endpoint } from './types.js';
import type { EventLog } from './events.js';

/** A direction with nothing seen yet. */
export function newDirState(): DirState {
  return {
    packets: 0, payloadBytes: 0, ipBytes: 0, synSeen: false, isn: -1, synTsVal: 0, synHasTs: false,
    synAckSeen: false, synAckAck: -1, synAckTsEcr: -1, synFrame: 0, finSeen: false, rstSeen: false, endpointState: 0, nextSeq: -1, lastAck: -1, retransmits: 0,
    duplicates: 0, synRetransmits: 0, minTtl: 256, maxTtl: -1, lastT: 0, lastDataT: 0,
  };
}

/**
 * The one definition of a connection's fields (all but its evidence) with nothing observed yet,
 * assigned in one order in one constructor: records and stubs each keep one hidden class, with
 * every field in the object (V8 sizes objects by the constructors' assignments).
 */
class ConnectionFields {
  declare id: number;
  declare orig: Endpoint;
  declare resp: Endpoint;
  declare originKnown: boolean;
  declare firstFrame: number;
  declare lastFrame: number;
  declare firstSec: number;
  declare firstNsec: number;
  declare lastSec: number;
  declare lastNsec: number;
  declare firstT: number;
  declare lastT: number;
  declare dirs: [DirState, DirState];
  declare history: string;
  declare droppedEvents: number;
  declare maxIdle: number;
  declare maxIdleFrame: number;
  declare established: boolean;
  declare establishedT: number;
  declare natPeer: Connection | null;
  declare natRole: Connection['natRole'];
  declare findingIds: string[];
  declare rstIpIdRun: Connection['rstIpIdRun'];

  constructor(id: number, orig: Endpoint, resp: Endpoint) {
    this.id = id;
    this.orig = orig;
    this.resp = resp;
    this.originKnown = false;
    this.firstFrame = 0;
    this.lastFrame = 0;
    this.firstSec = 0;
    this.firstNsec = 0;
    this.lastSec = 0;
    this.lastNsec = 0;
    this.firstT = 0;
    this.lastT = 0;
    this.dirs = [newDirState(), newDirState()];
    this.history = '';
    this.droppedEvents = 0;
    this.maxIdle = 0;
    this.maxIdleFrame = 0;
    this.established = false;
    this.establishedT = NaN;
    this.natPeer = null;
    this.natRole = null;
    this.findingIds = [];
    this.rstIpIdRun = null;
  }
}

/**
 * A connection as rules and reports read it: a snapshot of the table's numeric state for one
 * connection, made (FlowTable.handleOf) only for connections something looks at — a NAT link, a
 * retirement that is not plainly healthy, a live snapshot. Its evidence is an EventLog, read as
 * objects only on demand.
 */
export class ConnectionRecord extends ConnectionFields implements Connection {
  declare readonly log: EventLog;
  /** Numeric keys of the endpoints (hashes of address and port) for the held-endpoint counts. */
  declare origKey: number;
  declare respKey: number;
  /** Exact keys for the pipeline's witness index: IPv4 as numbers, IPv6 as text. */
  declare clientKey: number | string;
  declare serverKey: number | string;
  /**
   * No rule can fire on it (established, no RST, no ICMP error, no NAT link, no SYN retransmission,
   * no long silence): the flow table's one test (FlowTable.plainlyHealthy), set when it retires.
   */
  declare plainlyHealthy: boolean;

  // `declare`: no define-then-assign.
  constructor(id: number, orig: Endpoint, resp: Endpoint, log: EventLog, origKey: number, respKey: number,
    clientKey: number | string, serverKey: number | string) {
    super(id, orig, resp);
    this.log = log;
    this.origKey = origKey;
    this.respKey = respKey;
    this.clientKey = clientKey;
    this.serverKey = serverKey;
    this.plainlyHealthy = false;
  }

  get events(): ConnEvent[] {
    return this.log.events;
  }
}

/** A connection without evidence: numbers and endpoints only. */
class ConnectionStub extends ConnectionFields implements Connection {
  declare events: ConnEvent[];

  constructor(id: number, orig: Endpoint, resp: Endpoint) {
    super(id, orig, resp);
    this.events = [];
  }
}

/** A connection with nothing observed and no evidence (FlowTable.stubOf fills in the numbers). */
export function blankConnection(id: number, orig: Endpoint, resp: Endpoint): Connection {
  return new ConnectionStub(id, orig, resp);
}

/**
 * A released connection kept as context (the pipeline's witnesses): its numbers and endpoints,
 * no evidence, no links — what a rule may cite about a healthy connection.
 */
export function connectionStub(c: Connection): Connection {
  const s = blankConnection(c.id, c.orig, c.resp);
  s.originKnown = c.originKnown;
  s.firstFrame = c.firstFrame;
  s.lastFrame = c.lastFrame;
  s.firstSec = c.firstSec;
  s.firstNsec = c.firstNsec;
  s.lastSec = c.lastSec;
  s.lastNsec = c.lastNsec;
  s.firstT = c.firstT;
  s.lastT = c.lastT;
  s.dirs = c.dirs;
  s.history = c.history;
  s.droppedEvents = c.droppedEvents;
  s.maxIdle = c.maxIdle;
  s.maxIdleFrame = c.maxIdleFrame;
  s.established = c.established;
  s.establishedT = c.establishedT;
  return s;
}
