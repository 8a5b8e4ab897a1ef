/** Date-range splits with FinRL's `data_split` semantics, on YYYY-MM-DD strings compared as text (as pandas does). */
import { selectRows, sortBy, stringColumn, type Table } from '../../engine/sdk.ts';
import type { DateRange } from './params.ts';

const DATE = /^\d{4}-\d{2}-\d{2}/;

/**
 * For each named range, the rows with start <= date < end sorted by date then `tic`
 * (date alone when there is no `tic` column). A range that selects nothing is an error.
 */
export function splitByDate(t: Table, dateColumn: string, ranges: readonly [string, DateRange][]): Record<string, Table> {
  if (t.rows === 0) throw new Error('the input table has no rows');
  const dates = stringColumn(t, dateColumn);
  dates.forEach((date, i) => {
    if (date === null || !DATE.test(date)) {
      const found = date === null ? 'an empty value' : JSON.stringify(date);
      throw new Error(`column \`${dateColumn}\`, row ${i + 1}: expected a YYYY-MM-DD date, found ${found}`);
    }
  });
  const sorted = sortBy(t, t.names.includes('tic') ? [dateColumn, 'tic'] : [dateColumn]);
  const sortedDates = sorted.columns[dateColumn] as string[];
  const first = sortedDates[0]!;
  const last = sortedDates[sortedDates.length - 1]!;
  const splits: Record<string, Table> = {};
  for (const [name, { start, end }] of ranges) {
    const from = lowerBound(sortedDates, start);
    const to = lowerBound(sortedDates, end);
    if (to <= from) {
      throw new Error(`${name} range [${start}, ${end}) selects no rows: the data spans ${first} to ${last}`);
    }
    splits[name] = selectRows(sorted, Int32Array.from({ length: to - from }, (_, k) => from + k));
  }
  return splits;
}

/** Index of the first value >= key in ascending `values`. */
function lowerBound(values: readonly string[], key: string): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
