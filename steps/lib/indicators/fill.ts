/**
 * pandas `df.ffill().bfill()` on one column, in row order: a missing value takes the last
 * value above it, and leading gaps take the first value below. Across the whole table, not per
 * ticker — FinRL's preprocess does exactly this on its (date, tic)-sorted frame.
 */
import type { Column } from '../../../engine/sdk.ts';

/** The filled column: the same object when it has no gap, a filled copy otherwise. */
export function forwardBackwardFilled(column: Column): Column {
  if (column instanceof Int32Array) return column;
  if (column instanceof Float64Array) {
    if (!hasNaN(column)) return column;
    return fillGaps(column.slice(), (v) => v !== v);
  }
  if (!column.includes(null)) return column;
  return fillGaps([...column], (v) => v === null);
}

function hasNaN(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return true;
  return false;
}

function fillGaps<T, C extends { length: number; [i: number]: T }>(values: C, missing: (v: T) => boolean): C {
  let firstPresent = -1;
  for (let i = 0; i < values.length; i++) {
    if (!missing(values[i]!)) {
      if (firstPresent < 0) firstPresent = i;
    } else if (i > 0 && firstPresent >= 0) {
      values[i] = values[i - 1]!;
    }
  }
  if (firstPresent > 0) for (let i = 0; i < firstPresent; i++) values[i] = values[firstPresent]!;
  return values;
}
