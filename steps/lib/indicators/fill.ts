/**
 * pandas `df.ffill().bfill()` on one column, in row order: a missing value takes the last
 * value above it, and leading gaps take the first value below. Across the whole table, not per
 * ticker — FinRL's preprocess does exactly this on its (date, tic)-sorted frame.
 */
import type { Column } from '../../../engine/sdk.ts';

/**
 * The filled column: the same object when it has no gap, otherwise a filled copy, or the column
 * itself filled in place when the caller owns it (`owned`).
 */
export function forwardBackwardFilled(column: Column, owned = false): Column {
  if (column instanceof Int32Array) return column;
  if (column instanceof Float64Array) {
    // includes() finds NaN (SameValueZero) natively: most columns have no gap, and this scan
    // costs no JavaScript loop for V8 to warm up on a first call.
    if (!column.includes(NaN)) return column;
    return fillNaNRuns(owned ? column : column.slice());
  }
  if (!column.includes(null)) return column;
  const values = owned ? column : [...column];
  let firstPresent = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== null) {
      if (firstPresent < 0) firstPresent = i;
    } else if (i > 0 && firstPresent >= 0) {
      values[i] = values[i - 1]!;
    }
  }
  if (firstPresent > 0) values.fill(values[firstPresent]!, 0, firstPresent);
  return values;
}

/** Fills each run of NaN with the value above it (a leading run with the value below), found and filled natively. */
function fillNaNRuns(values: Float64Array): Float64Array {
  const n = values.length;
  let start = values.findIndex(Number.isNaN);
  while (start >= 0) {
    let end = start + 1;
    while (end < n && values[end] !== values[end]) end++;
    values.fill(start > 0 ? values[start - 1]! : end < n ? values[end]! : NaN, start, end);
    const next = end < n ? values.subarray(end).findIndex(Number.isNaN) : -1;
    start = next < 0 ? -1 : end + next;
  }
  return values;
}
