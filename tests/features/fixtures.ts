/** Reading the golden CSVs in tests/fixtures/features and comparing numbers the way the goldens demand. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../engine/table/csv.ts';
import type { Table } from '../../engine/table/table.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'features');

export function fixtureTable(name: string): Table {
  const file = join(DIR, name);
  const text = readFileSync(file, 'utf8');
  const header = text.slice(0, text.indexOf('\n')).split(',');
  const types = Object.fromEntries(['date', 'tic'].filter((c) => header.includes(c)).map((c) => [c, 'string' as const]));
  return parseCsv(text, { file, types });
}

export function numbers(t: Table, name: string): Float64Array {
  const column = t.columns[name];
  if (!(column instanceof Float64Array)) throw new Error(`column \`${name}\` is not numeric`);
  return column;
}

/**
 * The first index where `actual` and `expected` differ by more than `abs + rel * |expected|`,
 * NaN matching NaN only; undefined when they agree.
 */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { abs: number; rel: number }): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return `row ${i}: ${a}, expected ${e}`;
      continue;
    }
    if (Math.abs(a - e) > tol.abs + tol.rel * Math.abs(e)) return `row ${i}: ${a}, expected ${e} (diff ${a - e})`;
  }
  return undefined;
}

export const EXACT = { abs: 1e-9, rel: 1e-9 } as const;
