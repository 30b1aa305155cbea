/**
 * Records declared once, as a schema of fields; what is kept per field elsewhere (the class, its
 * reset, the shared-memory row in src/analysis/packet-record.ts) is derived from it.
 *
 * The derived code is generated as straight-line source (new Function), as one would write it by
 * hand: V8 sees plain `this.x = …` stores, gives the class a fixed shape with in-object fields,
 * and nothing loops over names per packet.
 */

/**
 * How a field holds its value:
 * - `int`: a signed 32-bit integer or a small enum; `uint`: an unsigned 32-bit integer;
 * - `optionalUint`: an unsigned 32-bit integer, or -1 when absent;
 * - `nibble`: 0..15 (IP versions, small enums); `bool`;
 * - `seconds`: a whole number up to 2^53 (capture timestamps can lie past 2106);
 * - `address`: a fixed 16-byte array (IPv4 in bytes 0..3), allocated once and never reset;
 * - `text`: a string (constant strings only: never built per packet).
 */
export type FieldKind = 'int' | 'uint' | 'optionalUint' | 'nibble' | 'bool' | 'seconds' | 'address' | 'text';

export interface FieldSpec<T> {
  readonly kind: FieldKind;
  /** The value after reset (addresses: none, they are overwritten, never cleared). */
  readonly initial: T;
  /** Which part of the record the field describes (what clearing a layer clears). */
  readonly layer: string;
  /** The part of a record row that carries the field; null when rows do not carry it. */
  readonly row: string | null;
  /** For addresses: the nibble field holding their IP version (rows carry 1 word for 4, 4 for 6). */
  readonly versionField?: string;
}

/** Field specs by name, in declaration order (the order of the class fields and the row). */
export type Schema = Readonly<Record<string, FieldSpec<unknown>>>;

export function intField(initial: number, layer: string, row: string | null = null): FieldSpec<number> {
  return { kind: 'int', initial, layer, row };
}
/** An int holding one of an enum's values. */
export function enumField<T extends number>(initial: T, layer: string, row: string | null = null): FieldSpec<T> {
  return { kind: 'int', initial, layer, row };
}
export function uintField(initial: number, layer: string, row: string | null = null): FieldSpec<number> {
  return { kind: 'uint', initial, layer, row };
}
export function optionalUintField(layer: string, row: string | null = null): FieldSpec<number> {
  return { kind: 'optionalUint', initial: -1, layer, row };
}
export function nibbleField<T extends number>(initial: T, layer: string, row: string | null = null): FieldSpec<T> {
  return { kind: 'nibble', initial, layer, row };
}
export function boolField(layer: string, row: string | null = null): FieldSpec<boolean> {
  return { kind: 'bool', initial: false, layer, row };
}
export function secondsField(layer: string, row: string | null = null): FieldSpec<number> {
  return { kind: 'seconds', initial: 0, layer, row };
}
export function addressField(layer: string, versionField: string, row: string | null = null): FieldSpec<Uint8Array> {
  return { kind: 'address', initial: new Uint8Array(0), layer, row, versionField };
}
export function textField(initial: string, layer: string): FieldSpec<string> {
  return { kind: 'text', initial, layer, row: null };
}

type AddressKeys<S> = { [K in keyof S]: S[K] extends FieldSpec<Uint8Array> ? K : never }[keyof S];

/** The record type a schema declares: its fields, the addresses read-only (the arrays are kept). */
export type RecordOf<S extends Schema> =
  { -readonly [K in Exclude<keyof S, AddressKeys<S>>]: S[K] extends FieldSpec<infer T> ? T : never } &
  { readonly [K in AddressKeys<S>]: Uint8Array };

function literal(spec: FieldSpec<unknown>): string {
  return JSON.stringify(spec.initial);
}

function checkNames(schema: Schema): void {
  for (const name of Object.keys(schema)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`field name ${name} is not an identifier`);
  }
}

/** Straight-line stores of every resettable field's initial value into `target`. */
function resetSource(schema: Schema, target: string, layers: readonly string[] | null): string {
  return Object.entries(schema)
    .filter(([, spec]) => spec.kind !== 'address' && (layers === null || layers.includes(spec.layer)))
    .map(([name, spec]) => `${target}.${name} = ${literal(spec)};`)
    .join('\n');
}

/** A class with the schema's fields (addresses allocated once) and a `reset()` to the initial values. */
export function recordClass<S extends Schema>(name: string, schema: S): new () => RecordOf<S> & { reset(): void } {
  checkNames(schema);
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`class name ${name} is not an identifier`);
  const fields = Object.entries(schema)
    .map(([field, spec]) => `this.${field} = ${spec.kind === 'address' ? 'new Uint8Array(16)' : literal(spec)};`)
    .join('\n');
  const source = `return class ${name} {\nconstructor() {\n${fields}\n}\nreset() {\n${resetSource(schema, 'this', null)}\n}\n};`;
  return new Function(source)() as new () => RecordOf<S> & { reset(): void };
}

/** A function setting the fields of the given layers back to their initial values (addresses kept). */
export function layerClearer<S extends Schema>(schema: S, layers: readonly string[]): (record: RecordOf<S>) => void {
  checkNames(schema);
  return new Function('record', resetSource(schema, 'record', layers)) as (record: RecordOf<S>) => void;
}
