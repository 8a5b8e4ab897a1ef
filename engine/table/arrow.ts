/**
 * Conversion between our Table and Apache Arrow, the format parquet-wasm reads and
 * writes. Writing uses a schema fixed by column types alone (never by the data), so
 * equal tables give equal bytes. Reading accepts what pandas, pyarrow and DuckDB
 * commonly write and maps it onto our three column types.
 */
import type * as Arrow from 'apache-arrow';
import { apacheArrow } from './libraries.ts';
import { orderedTable, type Column, type Table } from './table.ts';

type ArrowModule = typeof Arrow;

/** Numbers are non-nullable (a missing number is NaN, a value); strings are nullable. */
export function toArrow(t: Table): Arrow.Table {
  const arrow = apacheArrow();
  const fields = t.names.map((name) => {
    const column = t.columns[name]!;
    if (column instanceof Float64Array) return new arrow.Field(name, new arrow.Float64(), false);
    if (column instanceof Int32Array) return new arrow.Field(name, new arrow.Int32(), false);
    return new arrow.Field(name, new arrow.Utf8(), true);
  });
  const children = t.names.map((name) => columnData(arrow, t.columns[name]!));
  const schema = new arrow.Schema(fields);
  const rows = arrow.makeData({ type: new arrow.Struct(fields), length: t.rows, nullCount: 0, children });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, rows));
}

function columnData(arrow: ArrowModule, column: Column): Arrow.Data {
  if (column instanceof Float64Array) {
    return arrow.makeData({ type: new arrow.Float64(), length: column.length, nullCount: 0, data: withCanonicalNaN(column) });
  }
  if (column instanceof Int32Array) {
    return arrow.makeData({ type: new arrow.Int32(), length: column.length, nullCount: 0, data: column });
  }
  return utf8Data(arrow, column);
}

/**
 * NaN has many bit patterns (0/0 on x86 gives a negative one, the `NaN` literal a
 * positive one). They all mean "missing", so they are written as one pattern: tables
 * equal value for value then give equal bytes. Copies only when a column needs it.
 */
function withCanonicalNaN(values: Float64Array): Float64Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
  const [low, high] = CANONICAL_NAN;
  let out: Uint32Array | undefined;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === values[i] || (words[2 * i] === low && words[2 * i + 1] === high)) continue;
    out ??= words.slice();
    out[2 * i] = low!;
    out[2 * i + 1] = high!;
  }
  return out ? new Float64Array(out.buffer) : values;
}

const CANONICAL_NAN = new Uint32Array(new Float64Array([NaN]).buffer);

function utf8Data(arrow: ArrowModule, values: readonly (string | null)[]): Arrow.Data {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let size = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) nulls++;
    else size += Buffer.byteLength(value, 'utf8');
    offsets[i + 1] = size;
  }
  const bytes = new Uint8Array(size);
  const writer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const validity = nulls > 0 ? new Uint8Array(Math.ceil(n / 8)) : undefined;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    writer.write(value, offsets[i]!, 'utf8');
    if (validity) validity[i >> 3]! |= 1 << (i & 7);
  }
  return arrow.makeData({
    type: new arrow.Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: validity,
    valueOffsets: offsets,
    data: bytes,
  });
}

/**
 * Arrow -> Table. Floats become Float64Array with null as NaN; signed integers up to
 * 32 bits (and unsigned up to 16) become Int32Array unless they hold nulls, otherwise
 * Float64Array (like pandas; 64-bit values must be exactly representable); booleans
 * become 0/1 the same way; strings and dictionary-encoded strings stay strings; dates
 * and timestamps become UTC text, `YYYY-MM-DD` when every value is at midnight.
 */
export function fromArrow(at: Arrow.Table): Table {
  const arrow = apacheArrow();
  const names: string[] = [];
  const columns: Record<string, Column> = Object.create(null);
  at.schema.fields.forEach((field, i) => {
    names.push(field.name);
    columns[field.name] = readColumn(arrow, field, at.getChildAt(i)!);
  });
  return orderedTable(names, columns);
}

function readColumn(arrow: ArrowModule, field: Arrow.Field, vector: Arrow.Vector): Column {
  const { Type } = arrow;
  const type = field.type as Arrow.DataType;
  switch (type.typeId) {
    case Type.Float:
      return readFloats(arrow, vector);
    case Type.Int: {
      const { bitWidth, isSigned } = type as Arrow.Int;
      const fitsInt32 = isSigned ? bitWidth <= 32 : bitWidth <= 16;
      return fitsInt32 && vector.nullCount === 0 ? Int32Array.from(vector.toArray() as ArrayLike<number>) : readFloats(arrow, vector, field.name);
    }
    case Type.Bool:
      return vector.nullCount === 0 ? Int32Array.from(vector, (b) => (b ? 1 : 0)) : readFloats(arrow, vector);
    case Type.Utf8:
    case Type.LargeUtf8:
      return readStrings(arrow, vector);
    case Type.Dictionary: {
      const valueType = (type as Arrow.Dictionary).dictionary.typeId;
      if (valueType === Type.Utf8 || valueType === Type.LargeUtf8) return readStrings(arrow, vector);
      break;
    }
    case Type.Date:
    case Type.Timestamp:
      return readDates(vector);
  }
  throw new Error(
    `column \`${field.name}\` has Arrow type ${String(type)}, which tables do not hold ` +
      '(expected floating point, integer, boolean, string, date or timestamp)',
  );
}

function readFloats(arrow: ArrowModule, vector: Arrow.Vector, name = ''): Float64Array {
  const out = new Float64Array(vector.length);
  let at = 0;
  for (const chunk of vector.data) {
    const isPlainDouble = chunk.typeId === arrow.Type.Float && chunk.values instanceof Float64Array;
    if (isPlainDouble && chunk.nullCount === 0 && chunk.offset === 0) {
      out.set((chunk.values as Float64Array).subarray(0, chunk.length), at);
    } else {
      const values = arrow.makeVector(chunk);
      for (let i = 0; i < chunk.length; i++) out[at + i] = toNumber(values.get(i), name);
    }
    at += chunk.length;
  }
  return out;
}

function toNumber(value: unknown, name: string): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (BigInt(n) !== value) throw new Error(`column \`${name}\`: integer ${value} cannot be held exactly as a float64`);
    return n;
  }
  return Number(value);
}

function readStrings(arrow: ArrowModule, vector: Arrow.Vector): (string | null)[] {
  const out = new Array<string | null>(vector.length);
  let at = 0;
  for (const chunk of vector.data) {
    if (!(chunk.typeId === arrow.Type.Utf8 && chunk.offset === 0 && decodeAsciiUtf8(chunk, out, at))) {
      const values = arrow.makeVector(chunk);
      for (let i = 0; i < chunk.length; i++) out[at + i] = (values.get(i) as string | null) ?? null;
    }
    at += chunk.length;
  }
  return out;
}

/**
 * Decodes a whole Utf8 buffer at once and slices it, when it is pure ASCII (byte
 * offsets are then character offsets): several times faster than one decode per value.
 * Returns false, writing nothing, when the buffer is not ASCII.
 */
function decodeAsciiUtf8(chunk: Arrow.Data, out: (string | null)[], at: number): boolean {
  const bytes = chunk.values as Uint8Array;
  const offsets = chunk.valueOffsets as Int32Array;
  const start = offsets[0]!;
  const end = offsets[chunk.length]!;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
  if (text.length !== end - start) return false;
  const hasNulls = chunk.nullCount > 0;
  for (let i = 0; i < chunk.length; i++) {
    out[at + i] = hasNulls && !chunk.getValid(i) ? null : text.slice(offsets[i]! - start, offsets[i + 1]! - start);
  }
  return true;
}

function readDates(vector: Arrow.Vector): (string | null)[] {
  const millis = Array.from(vector, (v) => (v === null || v === undefined ? null : Number(v)));
  const allMidnight = millis.every((ms) => ms === null || ms % 86_400_000 === 0);
  return millis.map((ms) => {
    if (ms === null) return null;
    const iso = new Date(ms).toISOString();
    if (allMidnight) return iso.slice(0, 10);
    return `${iso.slice(0, 10)} ${iso.slice(11, ms % 1000 === 0 ? 19 : 23)}`;
  });
}
