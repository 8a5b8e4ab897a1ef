/**
 * Local data files for ingestion (CSV, Parquet, JSON Lines) read into a Table with
 * a locator for messages: `file:line` for text formats, `file: row N` for Parquet.
 * A `columns` mapping renames file columns to output columns; an output column with
 * no mapping is read from a file column of the same name.
 */
import { readFile } from 'node:fs/promises';
import Papa from 'papaparse';
import { type Column, type ColumnType, csvCodec, orderedTable, parquetCodec, resolveInputPath, type Table } from '../../../engine/sdk.ts';
import { parseDay } from './dates.ts';

export type FileFormat = 'csv' | 'parquet' | 'jsonl';

export interface FileTable {
  table: Table;
  /** Where data row `row` (0-based) is, e.g. `data/prices.csv:7`. Slow for CSV (it parses again): call it for messages only. */
  where(row: number): string;
  /** Where the header is, for messages about columns. */
  headerAt: string;
}

/** A data file opened for mapping: its column names, and a reader for the columns wanted. */
export interface DataFile {
  header: string[];
  /**
   * The output columns named in `sources` (output -> file column), typed as `types` says
   * (default text). CSV cells are parsed as declared, so a bad cell names its line.
   */
  read(sources: Readonly<Record<string, string>>, types: Readonly<Record<string, ColumnType>>): FileTable;
}

async function readBytes(ctx: { readonly projectRoot: string }, path: string): Promise<Buffer> {
  try {
    return await readFile(resolveInputPath(ctx, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? String(error)})`);
  }
}

/** The file column behind each output column: the mapped one, else one named like the output. */
export function resolveColumns(header: readonly string[], mapping: Readonly<Record<string, string>>, outputs: readonly string[]): Record<string, string | undefined> {
  const sources: Record<string, string | undefined> = {};
  for (const output of outputs) {
    const mapped = Object.entries(mapping).find(([, to]) => to === output)?.[0];
    sources[output] = mapped ?? (header.includes(output) ? output : undefined);
  }
  return sources;
}

/** `path` as written in params (project-relative or absolute), named in messages. */
export async function openDataFile(ctx: { readonly projectRoot: string }, path: string, format: FileFormat): Promise<DataFile> {
  const bytes = await readBytes(ctx, path);
  if (format === 'csv') {
    const { csvRecordLine, parseCsv } = await csvCodec();
    const text = bytes.toString('utf8');
    const header = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { preview: 1, skipEmptyLines: true }).data[0] ?? [];
    return {
      header,
      read(sources, types) {
        const fileTypes = Object.fromEntries(Object.entries(sources).map(([output, column]) => [column, types[output] ?? 'string']));
        const file = { table: parseCsv(text, { file: path, types: fileTypes }), where: (row: number) => `${path}:${csvRecordLine(text, row + 1)}`, headerAt: `${path}:1` };
        return mapped(file, sources, types);
      },
    };
  }
  const file: FileTable =
    format === 'parquet' ? { table: readParquet((await parquetCodec()).fromParquet, bytes, path), where: (row) => `${path}: row ${row + 1}`, headerAt: path } : readJsonl(bytes.toString('utf8'), path);
  return { header: [...file.table.names], read: (sources, types) => mapped(file, sources, types) };
}

function mapped(file: FileTable, sources: Readonly<Record<string, string>>, types: Readonly<Record<string, ColumnType>>): FileTable {
  const columns: Record<string, Column> = {};
  for (const [output, column] of Object.entries(sources)) {
    const values = file.table.columns[column];
    if (values === undefined) throw new Error(`${file.headerAt}: expected a column \`${column}\`, found ${file.table.names.join(', ')}`);
    columns[output] = coerce(values, types[output] ?? 'string', `${file.headerAt}: column \`${column}\``);
  }
  return { ...file, table: orderedTable(Object.keys(sources), columns) };
}

function readParquet(fromParquet: (bytes: Uint8Array) => Table, bytes: Uint8Array, path: string): Table {
  try {
    return fromParquet(bytes);
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Parquet columns keep their stored type: ints may stand for numbers, anything else must match. */
function coerce(values: Column, type: ColumnType, what: string): Column {
  const isText = Array.isArray(values);
  if (type === 'string' && isText) return values;
  if (type === 'number' && values instanceof Float64Array) return values;
  if (type === 'number' && values instanceof Int32Array) return Float64Array.from(values);
  throw new Error(`${what}: expected ${type === 'string' ? 'text' : 'numbers'}, found ${isText ? 'text' : 'numbers'}`);
}

/** JSON Lines: one object per non-blank line; every field becomes a text column (numbers as written). */
function readJsonl(text: string, path: string): FileTable {
  const lines: number[] = [];
  const objects: Record<string, unknown>[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}:${i + 1}: expected a JSON object, found invalid JSON (${error instanceof Error ? error.message : error})`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${path}:${i + 1}: expected a JSON object, found ${JSON.stringify(value).slice(0, 60)}`);
    }
    lines.push(i + 1);
    objects.push(value as Record<string, unknown>);
  });
  const names = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  const columns: Record<string, Column> = {};
  for (const name of names) {
    columns[name] = objects.map((o) => {
      const v = o[name];
      return v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  return { table: orderedTable(names, columns), where: (row) => `${path}:${lines[row]}`, headerAt: path };
}

/**
 * A date cell as YYYY-MM-DD: a date, or a timestamp starting with one
 * (`2020-01-02 00:00:00`, `2020-01-02T15:30:00Z`, as pandas writes them).
 */
export function dateCell(value: string | null, column: string, where: () => string): string {
  const day = value?.slice(0, 10) ?? '';
  const rest = value?.slice(10) ?? '';
  if (parseDay(day) === undefined || !(rest === '' || rest[0] === ' ' || rest[0] === 'T')) {
    throw new Error(`${where()}: column \`${column}\`: expected a date YYYY-MM-DD, found ${value === null ? 'an empty cell' : JSON.stringify(value)}`);
  }
  return day;
}
