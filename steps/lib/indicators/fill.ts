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

/** Rows per block checked natively for NaN before any JavaScript loop looks at it. */
const BLOCK = 1024;

/** Fills NaN with the value above it (a leading run with the first value below), looking only into blocks holding a NaN. */
function fillNaNRuns(values: Float64Array): Float64Array {
  const n = values.length;
  let firstPresent = -1;
  for (let from = 0; from < n; from += BLOCK) {
    const to = Math.min(n, from + BLOCK);
    if (!values.subarray(from, to).includes(NaN)) {
      if (firstPresent < 0) firstPresent = from;
      continue;
    }
    for (let i = from; i < to; i++) {
      if (values[i] === values[i]) {
        if (firstPresent < 0) firstPresent = i;
      } else if (firstPresent >= 0) {
        values[i] = values[i - 1]!;
      }
    }
  }
  if (firstPresent > 0) values.fill(values[firstPresent]!, 0, firstPresent);
  return values;
}
