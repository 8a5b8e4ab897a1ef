/**
 * A seeded stratified random split: each part holds the same share of every class as
 * the whole, up to rounding. Part sizes are ceil(share × rows) as scikit-learn's
 * ShuffleSplit computes them; each part's size is spread over the classes by largest
 * remainder (sklearn's _approximate_mode, ties to the earlier class). Within a class,
 * rows are drawn by a seeded permutation; every part keeps the input's row order.
 */
import { selectRows, stringColumn, type Table } from '../../engine/sdk.ts';
import { Draws } from '../lib/random.ts';
import type { StratifiedSplit } from './params.ts';

/** Splits `total` over classes with `counts`, proportionally, largest remainder first, never above a class's count. */
function allocate(total: number, counts: readonly number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (c * total) / n);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = counts.map((_, i) => i).sort((a, b) => exact[b]! - out[b]! - (exact[a]! - out[a]!) || a - b);
  for (const i of order) {
    if (left === 0) break;
    if (out[i]! < counts[i]!) {
      out[i]! += 1;
      left--;
    }
  }
  return out;
}

export function splitStratified(t: Table, options: StratifiedSplit): Record<string, Table> {
  const column = options.column ?? 'label';
  const classes = stringColumn(t, column);
  if (t.rows === 0) throw new Error('the input table has no rows');
  const byClass = new Map<string, number[]>();
  classes.forEach((value, row) => {
    if (value === null) throw new Error(`column \`${column}\`, row ${row + 1}: expected a class, found an empty value`);
    let rows = byClass.get(value);
    if (rows === undefined) byClass.set(value, (rows = []));
    rows.push(row);
  });
  const names = [...byClass.keys()].sort();
  const counts = names.map((name) => byClass.get(name)!.length);
  const parts: [string, number][] = [['test', Math.ceil(options.test * t.rows)]];
  if (options.validation !== undefined) parts.push(['validation', Math.ceil(options.validation * t.rows)]);
  const held = parts.reduce((a, [, n]) => a + n, 0);
  if (held >= t.rows) throw new Error(`stratified: test${options.validation !== undefined ? ' and validation' : ''} take ${held} of ${t.rows} rows, leaving none to train on`);

  // One seeded permutation per class; parts take consecutive slices of it.
  const shuffled = names.map((name) => {
    const rows = byClass.get(name)!;
    const draws = new Draws(options.seed ?? 42, `stratified/${name}`);
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(draws.uniform() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    return rows;
  });
  const taken = names.map(() => 0);
  const remaining = [...counts];
  const splits: Record<string, Table> = {};
  for (const [part, size] of parts) {
    const quota = allocate(size, remaining);
    const rows = shuffled.flatMap((rowsOfClass, c) => rowsOfClass.slice(taken[c]!, taken[c]! + quota[c]!));
    quota.forEach((q, c) => {
      taken[c]! += q;
      remaining[c]! -= q;
    });
    splits[part] = selectRows(t, Int32Array.from(rows.sort((a, b) => a - b)));
  }
  const trainRows = shuffled.flatMap((rowsOfClass, c) => rowsOfClass.slice(taken[c]!));
  splits.train = selectRows(t, Int32Array.from(trainRows.sort((a, b) => a - b)));
  return splits;
}
