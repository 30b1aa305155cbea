import type { Frame } from '../capture/types.js';
import { intField, secondsField, uintField, type FieldKind, type FieldSpec, type Schema } from '../decode/field-schema.js';
import { PACKET_FIELDS, Transport, type Packet } from '../decode/packet.js';

/**
 * A decoded packet as a fixed row of 32-bit words: what the flow table and NAT linker read of a
 * frame and its Packet, so a decoding thread can hand packets over in shared memory.
 *
 * The row is derived from the schemas (PACKET_FIELDS, FRAME_FIELDS): a field whose `row` names a
 * section is carried; word 0 packs the nibbles, booleans and presence bits; then each section's
 * words follow in declaration order. The writer and reader are generated as straight-line code.
 */

/** The frame's part of the row. */
const FRAME_FIELDS = {
  frameNumber: uintField(0, 'frame', 'always'),
  /** Seconds since the epoch (two words: captures can claim times past 2106). */
  tsSec: secondsField('frame', 'always'),
  tsNsec: intField(0, 'frame', 'always'),
} as const satisfies Schema;

/**
 * Row sections, in order, each nested in the one before: a section is written and read only when
 * its condition holds (on the packet `p`: as written, and as read back from the earlier sections).
 */
const SECTIONS: readonly { name: string; when: string }[] = [
  { name: 'always', when: 'true' },
  { name: 'transport', when: `p.transport === ${Transport.Tcp} || p.transport === ${Transport.IcmpError}` },
  { name: 'icmp', when: `p.transport === ${Transport.IcmpError}` },
];

interface PlacedField {
  /** `frame` or `p` in the generated code. */
  owner: string;
  name: string;
  spec: FieldSpec<unknown>;
  /** First word of the field (-1: only in the packed word). */
  word: number;
  /** Bit in the packed word (nibble: its lowest bit; optionalUint: its presence bit); -1 when none. */
  bit: number;
}

const PACKED_WORD = 0;
/** Row words per kind (text is never carried). */
const WORDS_OF: Partial<Record<FieldKind, number>> = { int: 1, uint: 1, optionalUint: 1, seconds: 2, address: 4, nibble: 0, bool: 0 };
/** Bits of the packed word per kind. */
const BITS_OF: Partial<Record<FieldKind, number>> = { nibble: 4, bool: 1, optionalUint: 1 };

function placeFields(): { fields: PlacedField[]; words: number } {
  const sectionNames = SECTIONS.map((s) => s.name);
  const carried = [
    ...Object.entries(FRAME_FIELDS).map(([name, spec]) => ({ owner: 'frame', name, spec })),
    ...Object.entries(PACKET_FIELDS).map(([name, spec]) => ({ owner: 'p', name, spec: spec as FieldSpec<unknown> })),
  ].filter((f) => f.spec.row !== null);
  for (const f of carried) {
    if (!sectionNames.includes(f.spec.row!)) throw new Error(`${f.name}: unknown row section ${f.spec.row}`);
    if (WORDS_OF[f.spec.kind] === undefined) throw new Error(`${f.name}: a ${f.spec.kind} field cannot be carried in a row`);
    const version = carried.find((c) => c.owner === 'p' && c.name === f.spec.versionField);
    if (f.spec.kind === 'address' && (version === undefined || sectionNames.indexOf(version.spec.row!) > sectionNames.indexOf(f.spec.row!))) {
      throw new Error(`${f.name}: its version field must be carried in its section or an earlier one`);
    }
  }
  const fields: PlacedField[] = [];
  let words = PACKED_WORD + 1;
  let bits = 0;
  for (const section of sectionNames) {
    for (const f of carried.filter((c) => c.spec.row === section)) {
      const bitCount = BITS_OF[f.spec.kind] ?? 0;
      const bit = bitCount > 0 ? bits : -1;
      bits += bitCount;
      const word = WORDS_OF[f.spec.kind]! > 0 ? words : -1;
      words += WORDS_OF[f.spec.kind]!;
      fields.push({ ...f, word, bit });
    }
  }
  if (bits > 32) throw new Error(`the row's packed word needs ${bits} bits`);
  return { fields, words };
}

const LAYOUT = placeFields();

/** 32-bit words per packet row. */
export const RECORD_WORDS = LAYOUT.words;

/** Address words carried for an IP version: 1 for IPv4, 4 for IPv6, none without an address. */
function addressWords(version: number): number {
  return version === 4 ? 1 : version === 6 ? 4 : 0;
}

function putWords(out: Int32Array, at: number, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    out[at + w] = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
  }
}

function getWords(from: Int32Array, at: number, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    const x = from[at + w]!;
    bytes[i] = x >>> 24;
    bytes[i + 1] = (x >>> 16) & 255;
    bytes[i + 2] = (x >>> 8) & 255;
    bytes[i + 3] = x & 255;
  }
}

function packExpression(f: PlacedField): string {
  const value = `${f.owner}.${f.name}`;
  switch (f.spec.kind) {
    case 'nibble': return `(${value} << ${f.bit})`;
    case 'bool': return `(${value} ? ${1 << f.bit} : 0)`;
    default: return `(${value} !== -1 ? ${1 << f.bit} : 0)`; // optionalUint: present
  }
}

/** The field's words (a field only in the packed word has none: packExpression wrote it). */
function writeStatements(f: PlacedField): string {
  if (f.word < 0) return '';
  const value = `${f.owner}.${f.name}`;
  const at = `o + ${f.word}`;
  switch (f.spec.kind) {
    case 'seconds': return `out[${at}] = ${value} % 4294967296;\nout[o + ${f.word + 1}] = Math.floor(${value} / 4294967296);`;
    case 'address': return `putWords(out, ${at}, ${value}, addressWords(p.${f.spec.versionField!}));`;
    default: return `out[${at}] = ${value};`;
  }
}

function readStatements(f: PlacedField): string {
  const target = `${f.owner}.${f.name}`;
  const word = `from[o + ${f.word}]`;
  switch (f.spec.kind) {
    case 'nibble': return `${target} = (packed >>> ${f.bit}) & 15;`;
    case 'bool': return `${target} = (packed & ${1 << f.bit}) !== 0;`;
    case 'uint': return `${target} = ${word} >>> 0;`;
    case 'optionalUint': return `${target} = (packed & ${1 << f.bit}) !== 0 ? ${word} >>> 0 : -1;`;
    case 'seconds': return `${target} = (${word} >>> 0) + (from[o + ${f.word + 1}] >>> 0) * 4294967296;`;
    case 'address': return `getWords(from, o + ${f.word}, ${target}, addressWords(p.${f.spec.versionField!}));`;
    default: return `${target} = ${word};`;
  }
}

/** Section by section: the guard, then each field's statements (packed fields first when reading: addresses need their version). */
function sectionSource(statements: (f: PlacedField) => string, packedFirst: boolean): string {
  return SECTIONS.map((section, i) => {
    const fields = LAYOUT.fields.filter((f) => f.spec.row === section.name);
    const ordered = packedFirst ? [...fields.filter((f) => f.word < 0), ...fields.filter((f) => f.word >= 0)] : fields;
    const guard = i === 0 ? '' : `if (!(${section.when})) return;\n`;
    return guard + ordered.map(statements).filter((s) => s !== '').join('\n');
  }).join('\n');
}

type RecordWriter = (out: Int32Array, o: number, frame: Frame, p: Packet) => void;
type RecordReader = (from: Int32Array, o: number, frame: Frame, p: Packet) => void;

function compileWriter(): RecordWriter {
  const packed = LAYOUT.fields.filter((f) => f.bit >= 0).map(packExpression).join(' | ');
  const body = `out[o + ${PACKED_WORD}] = ${packed || '0'};\n` + sectionSource(writeStatements, false);
  return new Function('putWords', 'addressWords', `return function writeRecord(out, o, frame, p) {\n${body}\n};`)(
    putWords, addressWords) as RecordWriter;
}

function compileReader(): RecordReader {
  const body = `const packed = from[o + ${PACKED_WORD}];\n` +
    sectionSource(readStatements, true);
  return new Function('getWords', 'addressWords', `return function readRecord(from, o, frame, p) {\n${body}\n};`)(
    getWords, addressWords) as RecordReader;
}

/** Writes frame + packet as the row at `o`. */
export const writeRecord: RecordWriter = compileWriter();

/**
 * Reads the row at `o` into a reused frame and packet: the fields the row carries (the rest of
 * the packet is left as it was: nothing downstream of the decoder reads it).
 */
export const readRecord: RecordReader = compileReader();
