/**
 * The columnar table that moves between steps. Numbers live in typed arrays so
 * numeric plugins never box values; missing numbers are NaN, missing strings null.
 * Stored in the cache as Parquet (see ./parquet.ts), printed by `tradepipe show`.
 */
export type Column = Float64Array | Int32Array | (string | null)[];

export interface Table {
  /** Column order as written to Parquet/CSV. */
  readonly names: readonly string[];
  readonly columns: Readonly<Record<string, Column>>;
  readonly rows: number;
}

export function table(columns: Record<string, Column>): Table {
  return orderedTable(Object.keys(columns), columns);
}

/**
 * A table whose column order is given explicitly. Needed for names like "2020":
 * JS objects enumerate integer-like keys first, so `table()` would reorder them.
 */
export function orderedTable(names: readonly string[], columns: Record<string, Column>): Table {
  if (new Set(names).size !== names.length) throw new Error(`duplicate column names in ${names.join(', ')}`);
  for (const name of names) {
    if (!Object.hasOwn(columns, name)) throw new Error(`column \`${name}\` is named but has no values`);
  }
  const rows = names.length === 0 ? 0 : columns[names[0]!]!.length;
  for (const name of names) {
    if (columns[name]!.length !== rows) {
      throw new Error(`column \`${name}\` has ${columns[name]!.length} rows, expected ${rows}`);
    }
  }
  return { names, columns, rows };
}

/** The value type a column holds, in the vocabulary of declared `types` in params. */
export type ColumnType = 'number' | 'int' | 'string';

export function columnType(column: Column): ColumnType {
  if (column instanceof Float64Array) return 'number';
  if (column instanceof Int32Array) return 'int';
  return 'string';
}
