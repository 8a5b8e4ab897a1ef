/** Test helper: a small numeric CSV fixture as a Table (string columns for `date`, `tic`). */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { table, type Column, type Table } from '../../engine/table/table.ts';

const STRING_COLUMNS = new Set(['date', 'tic']);

export function readCsvTable(path: string): Table {
  const rows: string[][] = parse(readFileSync(path, 'utf8'));
  const [header, ...body] = rows;
  const columns: Record<string, Column> = {};
  header!.forEach((name, c) => {
    columns[name] = STRING_COLUMNS.has(name)
      ? body.map((r) => r[c]!)
      : Float64Array.from(body, (r) => (r[c] === '' ? NaN : Number(r[c])));
  });
  return table(columns);
}
