/**
 * The pandas window kernels stockstats is built on, transcribed from pandas' own
 * (pandas/_libs/window/aggregations.pyx and pandas/core/_numba/kernels), step for step,
 * so results agree to the last few ulps rather than merely "to tolerance": Kahan-compensated
 * rolling sums, Welford variance with the same constant-run shortcut, and the adjusted EWM
 * recurrence with its NaN handling (ignore_na=False). Every kernel writes into `out` and
 * allocates nothing.
 */

/** pandas' centre of mass for `ewm(span=N)`. */
export function comFromSpan(span: number): number {
  return (span - 1) / 2;
}

/** pandas' centre of mass for `ewm(alpha=a)`. */
export function comFromAlpha(alpha: number): number {
  return (1 - alpha) / alpha;
}

/** `Series.ewm(com=com, adjust=true, ignore_na=False, min_periods=minPeriods).mean()`. */
export function ewmMean(x: Float64Array, out: Float64Array, com: number, minPeriods: number): Float64Array {
  const n = x.length;
  if (n === 0) return out;
  const minp = Math.max(minPeriods, 1);
  const alpha = 1 / (1 + com);
  const oldWtFactor = 1 - alpha;
  const newWt = 1;
  let weighted = x[0]!;
  let nobs = weighted === weighted ? 1 : 0;
  out[0] = nobs >= minp ? weighted : NaN;
  let oldWt = 1;
  for (let i = 1; i < n; i++) {
    const cur = x[i]!;
    const isObservation = cur === cur;
    if (isObservation) nobs++;
    if (weighted === weighted) {
      oldWt *= oldWtFactor;
      if (isObservation) {
        // pandas skips the update on equal values to keep constant series exact
        if (weighted !== cur) weighted = (oldWt * weighted + newWt * cur) / (oldWt + newWt);
        oldWt += newWt;
      }
    } else if (isObservation) {
      weighted = cur;
    }
    out[i] = nobs >= minp ? weighted : NaN;
  }
  return out;
}

/** `Series.rolling(window, min_periods).mean()`. */
export function rollingMean(x: Float64Array, out: Float64Array, window: number, minPeriods: number): Float64Array {
  const n = x.length;
  let nobs = 0;
  let sum = 0;
  let negCount = 0;
  let compAdd = 0;
  let compRemove = 0;
  let sameRun = 0;
  let prev = n > 0 ? x[0]! : NaN;
  for (let i = 0; i < n; i++) {
    if (i >= window) {
      const val = x[i - window]!;
      if (val === val) {
        nobs--;
        const y = -val - compRemove;
        const t = sum + y;
        compRemove = t - sum - y;
        sum = t;
        if (val < 0) negCount--;
      }
    }
    const val = x[i]!;
    if (val === val) {
      nobs++;
      const y = val - compAdd;
      const t = sum + y;
      compAdd = t - sum - y;
      sum = t;
      if (val < 0) negCount++;
      sameRun = val === prev ? sameRun + 1 : 1;
      prev = val;
    }
    let result = NaN;
    if (nobs >= minPeriods && nobs > 0) {
      result = sum / nobs;
      if (sameRun >= nobs) result = prev;
      else if (negCount === 0 && result < 0) result = 0;
      else if (negCount === nobs && result > 0) result = 0;
    }
    out[i] = result;
  }
  return out;
}

/** `Series.rolling(window, min_periods).var(ddof)`. */
export function rollingVar(x: Float64Array, out: Float64Array, window: number, minPeriods: number, ddof = 1): Float64Array {
  const n = x.length;
  const minp = Math.max(minPeriods, 1);
  let nobs = 0;
  let mean = 0;
  let ssqdm = 0;
  let compAdd = 0;
  let compRemove = 0;
  let sameRun = 0;
  let prev = n > 0 ? x[0]! : NaN;
  for (let i = 0; i < n; i++) {
    if (i >= window) {
      const val = x[i - window]!;
      if (val === val) {
        nobs--;
        if (nobs > 0) {
          const prevMean = mean - compRemove;
          const y = val - compRemove;
          const t = y - mean;
          compRemove = t + mean - y;
          mean -= t / nobs;
          ssqdm -= (val - prevMean) * (val - mean);
        } else {
          mean = 0;
          ssqdm = 0;
        }
      }
    }
    const val = x[i]!;
    if (val === val) {
      sameRun = val === prev ? sameRun + 1 : 1;
      prev = val;
      nobs++;
      const prevMean = mean - compAdd;
      const y = val - compAdd;
      const t = y - mean;
      compAdd = t + mean - y;
      mean += t / nobs;
      ssqdm += (val - prevMean) * (val - mean);
    }
    let result = NaN;
    if (nobs >= minp && nobs > ddof) result = nobs === 1 || sameRun >= nobs ? 0 : ssqdm / (nobs - ddof);
    out[i] = result;
  }
  return out;
}

/** pandas `zsqrt`: the square root with negative rounding noise clamped to 0 (NaN stays NaN). */
export function zsqrtInPlace(x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v < 0 ? 0 : Math.sqrt(v);
  }
  return x;
}

/**
 * `Series.rolling(window, min_periods=1).max()` (or `.min()` with `sign = -1`), NaN skipped.
 * A monotonic deque of indices kept in `scratch` (length >= window) makes it one pass.
 */
export function rollingExtreme(x: Float64Array, out: Float64Array, window: number, sign: 1 | -1, scratch: Int32Array): Float64Array {
  const n = x.length;
  const cap = scratch.length;
  let head = 0; // ring-buffer positions of the deque's front and back (exclusive)
  let size = 0;
  for (let i = 0; i < n; i++) {
    while (size > 0 && scratch[head]! <= i - window) {
      head = (head + 1) % cap;
      size--;
    }
    const v = x[i]!;
    if (v === v) {
      while (size > 0) {
        const back = (head + size - 1) % cap;
        const w = x[scratch[back]!]!;
        if (sign * w <= sign * v) size--;
        else break;
      }
      scratch[(head + size) % cap] = i;
      size++;
    }
    out[i] = size > 0 ? x[scratch[head]!]! : NaN;
  }
  return out;
}
