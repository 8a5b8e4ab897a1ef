/**
 * Generic table helpers for plugins and `tradepipe show`: typed column access with
 * errors that say what exists, row selection and sorting, JSON rows.
 */
import { columnType, orderedTable, type Column, type Table } from './table.ts';

export function column(t: Table, name: string): Column {
  if (!Object.hasOwn(t.columns, name)) {
    const available = t.names.length === 0 ? 'none' : t.names.join(', ');
    throw new Error(`table has no column \`${name}\` (columns: ${available})`);
  }
  return t.columns[name]!;
}

/** A numeric column as float64; an int column is converted (a copy). */
export function numberColumn(t: Table, name: string): Float64Array {
  const values = column(t, name);
  if (values instanceof Float64Array) return values;
  if (values instanceof Int32Array) return Float64Array.from(values);
  throw wrongType(name, values, 'number');
}

export function intColumn(t: Table, name: string): Int32Array {
  const values = column(t, name);
  if (values instanceof Int32Array) return values;
  throw wrongType(name, values, 'int');
}

export function stringColumn(t: Table, name: string): (string | null)[] {
  const values = column(t, name);
  if (Array.isArray(values)) return values;
  throw wrongType(name, values, 'string');
}

function wrongType(name: string, values: Column, expected: string): Error {
  return new Error(`column \`${name}\` holds ${columnType(values)} values, expected ${expected}`);
}

/** A new table holding the given rows, in the given order (rows may repeat). */
export function selectRows(t: Table, indices: ArrayLike<number>): Table {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!(Number.isInteger(i) && i >= 0 && i < t.rows)) {
      throw new Error(`row index ${i} is out of range for a table of ${t.rows} rows`);
    }
  }
  const columns: Record<string, Column> = Object.create(null);
  for (const name of t.names) columns[name] = pick(t.columns[name]!, indices);
  return orderedTable(t.names, columns);
}

function pick(values: Column, indices: ArrayLike<number>): Column {
  const n = indices.length;
  if (Array.isArray(values)) {
    const out = new Array<string | null>(n);
    for (let k = 0; k < n; k++) out[k] = values[indices[k]!]!;
    return out;
  }
  const out = values instanceof Float64Array ? new Float64Array(n) : new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = values[indices[k]!]!;
  return out;
}

/**
 * Stable ascending sort by the given columns in turn, like pandas `sort_values(keys)`:
 * strings by code unit, numbers numerically, NaN and null last.
 */
export function sortBy(t: Table, keys: readonly string[]): Table {
  const keyColumns = keys.map((name) => column(t, name));
  const order = Array.from({ length: t.rows }, (_, i) => i);
  order.sort((a, b) => {
    for (const values of keyColumns) {
      const c = compareValues(values[a]!, values[b]!);
      if (c !== 0) return c;
    }
    return 0;
  });
  return selectRows(t, order);
}

function compareValues(x: number | string | null, y: number | string | null): number {
  const xMissing = x === null || (typeof x === 'number' && Number.isNaN(x));
  const yMissing = y === null || (typeof y === 'number' && Number.isNaN(y));
  if (xMissing || yMissing) return xMissing === yMissing ? 0 : xMissing ? 1 : -1;
  return x! < y! ? -1 : x! > y! ? 1 : 0;
}

export type JsonRow = Record<string, number | string | null>;

/**
 * One object per row for `tradepipe show --format json`. JSON has no NaN or
 * infinity: they become null. Objects list integer-like keys (e.g. "2020") first.
 */
export function toJsonRows(t: Table): JsonRow[] {
  const rows: JsonRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    const row: JsonRow = {};
    for (const name of t.names) {
      const value = t.columns[name]![r]!;
      row[name] = typeof value === 'number' && !Number.isFinite(value) ? null : value;
    }
    rows.push(row);
  }
  return rows;
}
