/**
 * The layout of a direction's fields in a connection's row (src/flow/dir-slots.ts reads them,
 * src/flow/slots.ts sizes the row by them): in a module of its own, so neither imports the other.
 */

/** DirSlots.bits */
export const enum DirFlag {
  SynSeen = 1,
  SynHasTs = 2,
  SynAckSeen = 4,
  SynAckHasTs = 8,
  FinSeen = 16,
  RstSeen = 32,
  NextSeqValid = 64,
  LastAckValid = 128,
}

/** A direction's 32-bit fields. */
export const enum DirWord {
  /** DirFlag bits. */
  Bits = 0,
  /** Sequence number of the first SYN sent this way. */
  Isn,
  SynTsVal,
  SynAckAck,
  SynAckTsEcr,
  SynFrame,
  NextSeq,
  LastAck,
  Retransmits,
  Duplicates,
  SynRetransmits,
  MinTtl,
  /** -1 (as 2^32 - 1) before any packet. */
  MaxTtl,
  Count,
}

/** A direction's doubles. */
export const enum DirDouble {
  Packets = 0,
  PayloadBytes,
  IpBytes,
  LastT,
  LastDataT,
  Count,
}
