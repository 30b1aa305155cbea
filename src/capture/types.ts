/**
 * The capture layer's boundary: a byte source becomes a stream of frames.
 *
 * A `Frame` is a reused, mutable view: the reader overwrites it for every record, so a consumer
 * that needs a value after its callback returns must copy it. `data` is a subarray of the reader's
 * buffer (no copy) and is only valid during the callback.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

export interface Frame {
  /** 1-based, across the whole file and every pcapng section: Wireshark's frame.number. */
  frameNumber: number;
  /** Seconds since the Unix epoch (integer). */
  tsSec: number;
  /** Nanoseconds within the second (integer 0..999999999), exact to the capture's resolution. */
  tsNsec: number;
  /** LINKTYPE_* of the interface that captured this frame. */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /**
   * Index of the interface in CaptureInfo.interfaces, across pcapng sections (interface ids
   * restart in each section); set by the reader, absent in frames made elsewhere (= interfaceId).
   */
  interfaceIndex?: number;
  /** Bytes present in `data` (the captured length). */
  capturedLength: number;
  /** Length on the wire; > capturedLength when the snaplen cut the packet. */
  originalLength: number;
  /** Byte offset of the record (pcap record header / pcapng block) in the uncompressed stream. */
  fileOffset: number;
  /** The captured bytes; valid only during the callback. */
  data: Uint8Array;
}

export interface InterfaceInfo {
  linkType: number;
  name: string | null;
  description: string | null;
  snapLen: number;
  /** Timestamp units per second are 10^tsresolDecimal or 2^tsresolBinary (pcapng if_tsresol). */
  tsResolution: string;
}

/** What the reader learned about the input, filled in as it goes. */
export interface CaptureInfo {
  path: string;
  format: CaptureFormat | null;
  compressed: boolean;
  /** Distinct link types of the frames read, in order of first appearance. */
  linkTypes: number[];
  interfaces: InterfaceInfo[];
  packets: number;
  /** Uncompressed bytes consumed. */
  bytes: number;
  /** True when the file ended (or broke) in the middle of a record/block. */
  truncated: boolean;
  /** Human-readable warnings; damage warnings name the byte offset. */
  warnings: string[];
  /** pcapng section/interface comments and similar strings from the file (untrusted). */
  comments: string[];
  /**
   * pcapng blocks that Wireshark numbers as frames but that are not packets (custom, systemd
   * journal, sysdig event blocks): they consume frame numbers and are not delivered to onFrame.
   */
  otherRecords?: number;
}

/** Raised when the input is not a capture at all (nothing could be read): exit 2. */
export class CaptureOpenError extends Error {
  constructor(public readonly path: string, message: string) {
    super(message);
    this.name = 'CaptureOpenError';
  }
}

export type FrameCallback = (frame: Frame) => void;

/** Bytes read so far from the source (compressed bytes for gzip) and its size when known. */
export type ProgressCallback = (bytesRead: number, totalBytes: number | null) => void;
