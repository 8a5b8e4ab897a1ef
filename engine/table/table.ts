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
  const names = Object.keys(columns);
  const rows = names.length === 0 ? 0 : columns[names[0]!]!.length;
  for (const name of names) {
    if (columns[name]!.length !== rows) {
      throw new Error(`column \`${name}\` has ${columns[name]!.length} rows, expected ${rows}`);
    }
  }
  return { names, columns, rows };
}
