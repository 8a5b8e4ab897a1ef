/**
 * The pandas window kernels stockstats is built on, transcribed from pandas' own
 * (pandas/_libs/window/aggregations.pyx and pandas/core/_numba/kernels), step for step:
 * Kahan-compensated rolling sums, Welford variance with the same constant-run shortcut, and the
 * adjusted EWM recurrence with its NaN handling (ignore_na=False). Part of the JavaScript oracle
 * (stockstats.ts here) for the indicator kernel; each is a running state fed one value at a time.
 */

/**
 * `Series.ewm(com=com, adjust=True, ignore_na=False, min_periods=minPeriods).mean()` as a running
 * state: `push` takes the next value and returns the mean so far. Indicators that chain several
 * averages (RSI, DX, MACD) push each row through all of them in one loop.
 */
export class EwmMean {
  private readonly oldWtFactor: number;
  private readonly minPeriods: number;
  /** NaN until the first observation, which then becomes the mean with weight 1 (pandas' start). */
  private weighted = NaN;
  private oldWt = 1;
  private nobs = 0;

  constructor(com: number, minPeriods: number) {
    this.oldWtFactor = 1 - 1 / (1 + com);
    this.minPeriods = Math.max(minPeriods, 1);
  }

  push(cur: number): number {
    const isObservation = cur === cur;
    if (isObservation) this.nobs++;
    if (this.weighted === this.weighted) {
      this.oldWt *= this.oldWtFactor;
      if (isObservation) {
        // pandas skips the update on equal values to keep constant series exact
        if (this.weighted !== cur) this.weighted = (this.oldWt * this.weighted + cur) / (this.oldWt + 1);
        this.oldWt += 1;
      }
    } else if (isObservation) {
      this.weighted = cur;
    }
    return this.nobs >= this.minPeriods ? this.weighted : NaN;
  }
}

/** `ewm(...).mean()` of a whole series. */
export function ewmMean(x: Float64Array, out: Float64Array, com: number, minPeriods: number): Float64Array {
  const ewm = new EwmMean(com, minPeriods);
  for (let i = 0; i < x.length; i++) out[i] = ewm.push(x[i]!);
  return out;
}

/**
 * The running sum behind `rolling(window).mean()`: Kahan-compensated adds and removes, and the
 * same exactness guards as pandas (a run of equal values gives that value; an all-positive or
 * all-negative window cannot change sign). The caller removes the value leaving the window.
 */
export class RollingMean {
  private nobs = 0;
  private sum = 0;
  private negCount = 0;
  private compAdd = 0;
  private compRemove = 0;
  private sameRun = 0;
  private prev = NaN;

  add(val: number): void {
    if (val !== val) return;
    this.nobs++;
    const y = val - this.compAdd;
    const t = this.sum + y;
    this.compAdd = t - this.sum - y;
    this.sum = t;
    if (val < 0) this.negCount++;
    this.sameRun = val === this.prev ? this.sameRun + 1 : 1;
    this.prev = val;
  }

  remove(val: number): void {
    if (val !== val) return;
    this.nobs--;
    const y = -val - this.compRemove;
    const t = this.sum + y;
    this.compRemove = t - this.sum - y;
    this.sum = t;
    if (val < 0) this.negCount--;
  }

  mean(minPeriods: number): number {
    const nobs = this.nobs;
    if (nobs < minPeriods || nobs === 0) return NaN;
    if (this.sameRun >= nobs) return this.prev;
    const result = this.sum / nobs;
    if (this.negCount === 0 && result < 0) return 0;
    if (this.negCount === nobs && result > 0) return 0;
    return result;
  }
}

/** `Series.rolling(window, min_periods).mean()`. */
export function rollingMean(x: Float64Array, out: Float64Array, window: number, minPeriods: number): Float64Array {
  const roll = new RollingMean();
  for (let i = 0; i < x.length; i++) {
    if (i >= window) roll.remove(x[i - window]!);
    roll.add(x[i]!);
    out[i] = roll.mean(minPeriods);
  }
  return out;
}

/** The running Welford state behind `rolling(window).var(ddof)`, with pandas' constant-run shortcut. */
export class RollingVar {
  private nobs = 0;
  private mean = 0;
  private ssqdm = 0;
  private compAdd = 0;
  private compRemove = 0;
  private sameRun = 0;
  private prev = NaN;

  add(val: number): void {
    if (val !== val) return;
    this.sameRun = val === this.prev ? this.sameRun + 1 : 1;
    this.prev = val;
    this.nobs++;
    const prevMean = this.mean - this.compAdd;
    const y = val - this.compAdd;
    const t = y - this.mean;
    this.compAdd = t + this.mean - y;
    this.mean += t / this.nobs;
    this.ssqdm += (val - prevMean) * (val - this.mean);
  }

  remove(val: number): void {
    if (val !== val) return;
    this.nobs--;
    if (this.nobs > 0) {
      const prevMean = this.mean - this.compRemove;
      const y = val - this.compRemove;
      const t = y - this.mean;
      this.compRemove = t + this.mean - y;
      this.mean -= t / this.nobs;
      this.ssqdm -= (val - prevMean) * (val - this.mean);
    } else {
      this.mean = 0;
      this.ssqdm = 0;
    }
  }

  variance(minPeriods: number, ddof: number): number {
    const nobs = this.nobs;
    if (nobs < Math.max(minPeriods, 1) || nobs <= ddof) return NaN;
    return nobs === 1 || this.sameRun >= nobs ? 0 : this.ssqdm / (nobs - ddof);
  }
}

/** `Series.rolling(window, min_periods).var(ddof)`. */
export function rollingVar(x: Float64Array, out: Float64Array, window: number, minPeriods: number, ddof = 1): Float64Array {
  const roll = new RollingVar();
  for (let i = 0; i < x.length; i++) {
    if (i >= window) roll.remove(x[i - window]!);
    roll.add(x[i]!);
    out[i] = roll.variance(minPeriods, ddof);
  }
  return out;
}

/** pandas `zsqrt`: the square root with negative rounding noise clamped to 0 (NaN stays NaN). */
export function zsqrt(v: number): number {
  return v < 0 ? 0 : Math.sqrt(v);
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
