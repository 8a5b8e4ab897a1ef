// The indicator loops in AssemblyScript, compiled to WebAssembly: stockstats 0.6.8's indicator
// families over pandas' window kernels (aggregations.pyx, the numba EWM), transcribed operation
// for operation from the JavaScript they replaced, so every value is the same double. Only
// + - * / sqrt abs min max and comparisons are used, which WebAssembly defines exactly as
// JavaScript does (IEEE 754 double, round to nearest); no transcendental function is needed.
//
// Why WebAssembly: a pipeline runs the indicator step once per process, and V8 would run these
// loops in its interpreter until it had optimised them, which was most of a first call's time.
// WebAssembly is compiled before it runs.
//
// Every function works on float64 series (and int32 index arrays) at byte addresses of the
// memory the host passes in; the running states live in this module's own static data, below
// `heapBase()`, where the host allocates from. Built by ../build.ts into indicators-wasm.ts,
// which is committed; tests/features/kernel.test.ts checks that rebuilding gives the same bytes.

@inline function at(series: usize, i: i32): f64 {
  return load<f64>(series + ((<usize>i) << 3));
}

@inline function put(series: usize, i: i32, value: f64): void {
  store<f64>(series + ((<usize>i) << 3), value);
}

@inline function indexAt(indices: usize, i: i32): i32 {
  return load<i32>(indices + ((<usize>i) << 2));
}

/** numpy `nan_to_num`: NaN to 0, infinities to the largest finite doubles. */
@inline function nanToNum(v: f64): f64 {
  if (v != v) return 0;
  if (v == Infinity) return f64.MAX_VALUE;
  if (v == -Infinity) return -f64.MAX_VALUE;
  return v;
}

/** stockstats `to_series(...).fillna(0)`. */
@inline function fillNa(v: f64): f64 {
  return v != v ? 0 : v;
}

/** pandas `zsqrt`: the square root with negative rounding noise clamped to 0 (NaN stays NaN). */
@inline function zsqrt(v: f64): f64 {
  return v < 0 ? 0 : sqrt<f64>(v);
}

/**
 * `Series.ewm(com=com, adjust=True, ignore_na=False, min_periods=minPeriods).mean()` as a running
 * state: `push` takes the next value and returns the mean so far.
 */
@unmanaged class EwmMean {
  oldWtFactor: f64;
  /** NaN until the first observation, which then becomes the mean with weight 1 (pandas' start). */
  weighted: f64;
  oldWt: f64;
  nobs: i32;
  minPeriods: i32;

  @inline static start(state: usize, com: f64, minPeriods: i32): EwmMean {
    const ewm = changetype<EwmMean>(state);
    ewm.oldWtFactor = 1 - 1 / (1 + com);
    ewm.minPeriods = max<i32>(minPeriods, 1);
    ewm.weighted = NaN;
    ewm.oldWt = 1;
    ewm.nobs = 0;
    return ewm;
  }

  @inline push(cur: f64): f64 {
    const isObservation = cur == cur;
    if (isObservation) this.nobs++;
    if (this.weighted == this.weighted) {
      this.oldWt *= this.oldWtFactor;
      if (isObservation) {
        // pandas skips the update on equal values to keep constant series exact
        if (this.weighted != cur) this.weighted = (this.oldWt * this.weighted + cur) / (this.oldWt + 1);
        this.oldWt += 1;
      }
    } else if (isObservation) {
      this.weighted = cur;
    }
    return this.nobs >= this.minPeriods ? this.weighted : NaN;
  }
}

/**
 * The running sum behind `rolling(window).mean()`: Kahan-compensated adds and removes, and the
 * same exactness guards as pandas (a run of equal values gives that value; an all-positive or
 * all-negative window cannot change sign). The caller removes the value leaving the window.
 */
@unmanaged class RollingMean {
  nobs: i32;
  sum: f64;
  negCount: i32;
  compAdd: f64;
  compRemove: f64;
  sameRun: i32;
  prev: f64;

  /** A fresh state at `state`: every count and sum 0, no previous value. */
  @inline static start(state: usize): RollingMean {
    memory.fill(state, 0, offsetof<RollingMean>());
    const roll = changetype<RollingMean>(state);
    roll.prev = NaN;
    return roll;
  }

  @inline add(val: f64): void {
    if (val != val) return;
    this.nobs++;
    const y = val - this.compAdd;
    const t = this.sum + y;
    this.compAdd = t - this.sum - y;
    this.sum = t;
    if (val < 0) this.negCount++;
    this.sameRun = val == this.prev ? this.sameRun + 1 : 1;
    this.prev = val;
  }

  @inline remove(val: f64): void {
    if (val != val) return;
    this.nobs--;
    const y = -val - this.compRemove;
    const t = this.sum + y;
    this.compRemove = t - this.sum - y;
    this.sum = t;
    if (val < 0) this.negCount--;
  }

  @inline mean(minPeriods: i32): f64 {
    const nobs = this.nobs;
    if (nobs < minPeriods || nobs == 0) return NaN;
    if (this.sameRun >= nobs) return this.prev;
    const result = this.sum / <f64>nobs;
    if (this.negCount == 0 && result < 0) return 0;
    if (this.negCount == nobs && result > 0) return 0;
    return result;
  }
}

/** The running Welford state behind `rolling(window).var(ddof)`, with pandas' constant-run shortcut. */
@unmanaged class RollingVar {
  nobs: i32;
  mean: f64;
  ssqdm: f64;
  compAdd: f64;
  compRemove: f64;
  sameRun: i32;
  prev: f64;

  /** A fresh state at `state`: every count and sum 0, no previous value. */
  @inline static start(state: usize): RollingVar {
    memory.fill(state, 0, offsetof<RollingVar>());
    const roll = changetype<RollingVar>(state);
    roll.prev = NaN;
    return roll;
  }

  @inline add(val: f64): void {
    if (val != val) return;
    this.sameRun = val == this.prev ? this.sameRun + 1 : 1;
    this.prev = val;
    this.nobs++;
    const prevMean = this.mean - this.compAdd;
    const y = val - this.compAdd;
    const t = y - this.mean;
    this.compAdd = t + this.mean - y;
    this.mean += t / <f64>this.nobs;
    this.ssqdm += (val - prevMean) * (val - this.mean);
  }

  @inline remove(val: f64): void {
    if (val != val) return;
    this.nobs--;
    if (this.nobs > 0) {
      const prevMean = this.mean - this.compRemove;
      const y = val - this.compRemove;
      const t = y - this.mean;
      this.compRemove = t + this.mean - y;
      this.mean -= t / <f64>this.nobs;
      this.ssqdm -= (val - prevMean) * (val - this.mean);
    } else {
      this.mean = 0;
      this.ssqdm = 0;
    }
  }

  @inline variance(minPeriods: i32, ddof: i32): f64 {
    const nobs = this.nobs;
    if (nobs < max<i32>(minPeriods, 1) || nobs <= ddof) return NaN;
    return nobs == 1 || this.sameRun >= nobs ? 0 : this.ssqdm / <f64>(nobs - ddof);
  }
}

// Room for the running states of one call (at most three of a kind at once), in static data.
const STATE_BYTES: i32 = 64;
const STATE_A: usize = memory.data(STATE_BYTES, 16);
const STATE_B: usize = memory.data(STATE_BYTES, 16);
const STATE_C: usize = memory.data(STATE_BYTES, 16);

/** Where the host's allocations may start: everything below is this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** `dst[index[p]] = src[order[p]]` for p < n: a column in panel order copied into ticker-major order. */
export function scatter(src: usize, order: usize, index: usize, n: i32, dst: usize): void {
  for (let p = 0; p < n; p++) put(dst, indexAt(index, p), at(src, indexAt(order, p)));
}

/** `dst[p] = src[index[p]]` for p < n: a ticker-major result back in panel order. */
export function gather(src: usize, index: usize, n: i32, dst: usize): void {
  for (let p = 0; p < n; p++) put(dst, p, at(src, indexAt(index, p)));
}

export function copy(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, (<usize>n) << 3);
}

/** `ewm(com=com, min_periods=minPeriods).mean()` of a whole series. */
export function ewmMean(x: usize, out: usize, n: i32, com: f64, minPeriods: i32): void {
  const ewm = EwmMean.start(STATE_A, com, minPeriods);
  for (let i = 0; i < n; i++) put(out, i, ewm.push(at(x, i)));
}

/** `Series.rolling(window, min_periods).mean()`. */
export function rollingMean(x: usize, out: usize, n: i32, window: i32, minPeriods: i32): void {
  const roll = RollingMean.start(STATE_A);
  for (let i = 0; i < n; i++) {
    if (i >= window) roll.remove(at(x, i - window));
    roll.add(at(x, i));
    put(out, i, roll.mean(minPeriods));
  }
}

/** `Series.rolling(window, min_periods).var(ddof)`. */
export function rollingVar(x: usize, out: usize, n: i32, window: i32, minPeriods: i32, ddof: i32): void {
  const roll = RollingVar.start(STATE_A);
  for (let i = 0; i < n; i++) {
    if (i >= window) roll.remove(at(x, i - window));
    roll.add(at(x, i));
    put(out, i, roll.variance(minPeriods, ddof));
  }
}

/** `close_N_mstd`: the rolling standard deviation (ddof 1, partial windows), through pandas' zsqrt. */
export function rollingStd(x: usize, out: usize, n: i32, window: i32): void {
  const roll = RollingVar.start(STATE_A);
  for (let i = 0; i < n; i++) {
    if (i >= window) roll.remove(at(x, i - window));
    roll.add(at(x, i));
    put(out, i, zsqrt(roll.variance(1, 1)));
  }
}

/**
 * `Series.rolling(window, min_periods=1).max()` (or `.min()` with `sign = -1`), NaN skipped.
 * A monotonic deque of indices in `deque` (room for `cap >= min(window, n)` int32) makes it one pass.
 */
export function rollingExtreme(x: usize, out: usize, n: i32, window: i32, sign: f64, deque: usize, cap: i32): void {
  let head = 0; // ring-buffer positions of the deque's front and back (exclusive)
  let size = 0;
  for (let i = 0; i < n; i++) {
    while (size > 0 && indexAt(deque, head) <= i - window) {
      head = (head + 1) % cap;
      size--;
    }
    const v = at(x, i);
    if (v == v) {
      while (size > 0) {
        const back = (head + size - 1) % cap;
        const w = at(x, indexAt(deque, back));
        if (sign * w <= sign * v) size--;
        else break;
      }
      store<i32>(deque + ((<usize>((head + size) % cap)) << 2), i);
      size++;
    }
    put(out, i, size > 0 ? at(x, indexAt(deque, head)) : NaN);
  }
}

/** stockstats' typical price with `amount`: amount / volume, NaN as 0. */
export function ratioFilled(amount: usize, volume: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, fillNa(at(amount, i) / at(volume, i)));
}

/** stockstats' typical price: (close + high + low) / 3, NaN as 0. */
export function meanOfThreeFilled(close: usize, high: usize, low: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, fillNa((at(close, i) + at(high, i) + at(low, i)) / 3.0));
}

/** pandas' centre of mass for `ewm(alpha=1/window)`, stockstats' SMMA. */
@inline function smmaCom(window: i32): f64 {
  const alpha = 1.0 / <f64>window;
  return (1 - alpha) / alpha;
}

/**
 * True range, ATR (its SMMA), +DI and -DI (+DM and -DM, SMMA-smoothed unless the window is 1,
 * over the ATR) and DX, in one pass.
 */
export function directionalSystem(close: usize, high: usize, low: usize, n: i32, window: i32, tr: usize, atr: usize, pdi: usize, ndi: usize, dx: usize): void {
  const com = smmaCom(window);
  const smoothed = window != 1;
  const atrEwm = EwmMean.start(STATE_A, com, 0);
  const pdmEwm = EwmMean.start(STATE_B, com, 0);
  const ndmEwm = EwmMean.start(STATE_C, com, 0);
  for (let i = 0; i < n; i++) {
    const prevClose = at(close, i == 0 ? 0 : i - 1);
    const h = at(high, i);
    const l = at(low, i);
    const range = nanToNum(max<f64>(h - l, max<f64>(abs<f64>(h - prevClose), abs<f64>(l - prevClose))));
    put(tr, i, range);
    let pdm: f64 = 0;
    let ndm: f64 = 0;
    if (i > 0) {
      const up = h - at(high, i - 1);
      const down = -(l - at(low, i - 1));
      pdm = up > 0 && up > down ? up : 0;
      ndm = down > 0 && down > up ? down : 0;
    }
    if (smoothed) {
      pdm = pdmEwm.push(pdm);
      ndm = ndmEwm.push(ndm);
    }
    const average = atrEwm.push(range);
    put(atr, i, average);
    const p = (pdm / average) * 100;
    const m = (ndm / average) * 100;
    put(pdi, i, p);
    put(ndi, i, m);
    const divisor = p + m;
    put(dx, i, (divisor != 0 ? abs<f64>(p - m) / divisor : 0) * 100);
  }
}

/** stockstats' RSV: where the close sits in the window's low..high range, 0..100. */
export function rawStochastic(close: usize, lowMin: usize, highMax: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const range = at(highMax, i) - at(lowMin, i);
    const ratio = range != 0 ? nanToNum((at(close, i) - at(lowMin, i)) / range) : 0;
    put(out, i, fillNa(ratio * 100));
  }
}

const KDJ_OLD: f64 = 2.0 / 3.0;
const KDJ_NEW: f64 = 1.0 / 3.0;

/** stockstats' `_calc_kd`: K (or D) starts at 50 and moves a third of the way to each value. */
export function kdSmooth(source: usize, out: usize, n: i32): void {
  let k: f64 = 50.0;
  for (let i = 0; i < n; i++) {
    k = KDJ_OLD * k + KDJ_NEW * at(source, i);
    put(out, i, k);
  }
}

export function kdjLine(k: usize, d: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, 3 * at(k, i) - 2 * at(d, i));
}

/** Williams %R: where the close sits below the window's high, 0..-100. */
export function williams(close: usize, lowMin: usize, highMax: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const range = at(highMax, i) - at(lowMin, i);
    put(out, i, (range != 0 ? (at(highMax, i) - at(close, i)) / range : 0.0) * -100);
  }
}

/** Up and down moves, each SMMA-smoothed, as the share of up in 0..100 (50 on the first row). */
export function relativeStrength(close: usize, n: i32, window: i32, out: usize): void {
  if (n == 0) return;
  const com = smmaCom(window);
  const up = EwmMean.start(STATE_A, com, 0);
  const down = EwmMean.start(STATE_B, com, 0);
  // the first row has no move: both averages start at 0
  up.push(0);
  down.push(0);
  put(out, 0, 50.0);
  for (let i = 1; i < n; i++) {
    const diff = at(close, i) - at(close, i - 1);
    const u = up.push(diff > 0 ? diff : 0);
    const d = down.push(diff < 0 ? -diff : 0);
    const total = u + d;
    put(out, i, fillNa(total != 0 ? 100 * (u / total) : 50.0));
  }
}

/** CCI: the typical price's distance from its rolling mean, in units of 0.015 mean absolute deviations. */
export function commodityChannel(tp: usize, n: i32, window: i32, out: usize): void {
  const mean = RollingMean.start(STATE_A);
  const fullWindows = window <= n;
  for (let i = 0; i < n; i++) {
    if (i >= window) mean.remove(at(tp, i - window));
    mean.add(at(tp, i));
    const mad = !fullWindows ? NaN : i < window - 1 ? 0 : meanAbsDeviation(tp, i - window + 1, window);
    const divisor = 0.015 * mad;
    put(out, i, divisor != 0 ? (at(tp, i) - mean.mean(1)) / divisor : 0.0);
  }
}

/** MACD: EMA 12 minus EMA 26 of the close (centres of mass (span - 1) / 2), both fed in the same pass. */
export function macdLine(close: usize, out: usize, n: i32): void {
  const fast = EwmMean.start(STATE_A, (12.0 - 1) / 2, 1);
  const slow = EwmMean.start(STATE_B, (26.0 - 1) / 2, 1);
  for (let i = 0; i < n; i++) {
    const c = at(close, i);
    const f = fast.push(c);
    put(out, i, f - slow.push(c));
  }
}

export function difference(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, at(a, i) - at(b, i));
}

const BOLL_WINDOW: i32 = 20;
const BOLL_STD_TIMES: f64 = 2;

/** Bollinger: the 20-row mean and the bands two standard deviations either side, in one pass. */
export function bollingerBands(close: usize, n: i32, mid: usize, ub: usize, lb: usize): void {
  const mean = RollingMean.start(STATE_A);
  const variance = RollingVar.start(STATE_B);
  for (let i = 0; i < n; i++) {
    if (i >= BOLL_WINDOW) {
      mean.remove(at(close, i - BOLL_WINDOW));
      variance.remove(at(close, i - BOLL_WINDOW));
    }
    mean.add(at(close, i));
    variance.add(at(close, i));
    const ma = mean.mean(1);
    const width = BOLL_STD_TIMES * zsqrt(variance.variance(1, 1));
    put(mid, i, ma);
    put(ub, i, ma + width);
    put(lb, i, ma - width);
  }
}

/**
 * stockstats `_mad` over the full window x[start .. start+window): the mean absolute deviation,
 * both sums numpy's pairwise sums, so each value matches numpy to the bit.
 */
function meanAbsDeviation(x: usize, start: i32, window: i32): f64 {
  const mean = pairwiseSum(x, start, window) / <f64>window;
  return pairwiseAbsDevSum(x, start, window, mean) / <f64>window;
}

/** numpy's `pairwise_sum` of x[start .. start+length): blocks of at most 128 terms, halved at a multiple of 8 above. */
function pairwiseSum(x: usize, start: i32, length: i32): f64 {
  if (length <= 128) return blockSum(x, start, length);
  const half = pairwiseHalf(length);
  return pairwiseSum(x, start, half) + pairwiseSum(x, start + half, length - half);
}

/** pairwiseSum of |x - centre|. */
function pairwiseAbsDevSum(x: usize, start: i32, length: i32, centre: f64): f64 {
  if (length <= 128) return blockSumAbsDev(x, start, length, centre);
  const half = pairwiseHalf(length);
  return pairwiseAbsDevSum(x, start, half, centre) + pairwiseAbsDevSum(x, start + half, length - half, centre);
}

@inline function pairwiseHalf(length: i32): i32 {
  const half = length >> 1;
  return half - (half % 8);
}

/** numpy's unrolled block: eight interleaved partial sums, combined pairwise, then the tail. */
function blockSum(x: usize, start: i32, length: i32): f64 {
  const end = start + length;
  if (length < 8) {
    let s: f64 = 0;
    for (let i = start; i < end; i++) s += at(x, i);
    return s;
  }
  let r0 = at(x, start), r1 = at(x, start + 1), r2 = at(x, start + 2), r3 = at(x, start + 3);
  let r4 = at(x, start + 4), r5 = at(x, start + 5), r6 = at(x, start + 6), r7 = at(x, start + 7);
  const blocksEnd = end - (length % 8);
  let i = start + 8;
  for (; i < blocksEnd; i += 8) {
    r0 += at(x, i); r1 += at(x, i + 1); r2 += at(x, i + 2); r3 += at(x, i + 3);
    r4 += at(x, i + 4); r5 += at(x, i + 5); r6 += at(x, i + 6); r7 += at(x, i + 7);
  }
  let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < end; i++) s += at(x, i);
  return s;
}

/** blockSum of |x - c|. */
function blockSumAbsDev(x: usize, start: i32, length: i32, c: f64): f64 {
  const end = start + length;
  if (length < 8) {
    let s: f64 = 0;
    for (let i = start; i < end; i++) s += abs<f64>(at(x, i) - c);
    return s;
  }
  let r0 = abs<f64>(at(x, start) - c), r1 = abs<f64>(at(x, start + 1) - c), r2 = abs<f64>(at(x, start + 2) - c), r3 = abs<f64>(at(x, start + 3) - c);
  let r4 = abs<f64>(at(x, start + 4) - c), r5 = abs<f64>(at(x, start + 5) - c), r6 = abs<f64>(at(x, start + 6) - c), r7 = abs<f64>(at(x, start + 7) - c);
  const blocksEnd = end - (length % 8);
  let i = start + 8;
  for (; i < blocksEnd; i += 8) {
    r0 += abs<f64>(at(x, i) - c); r1 += abs<f64>(at(x, i + 1) - c); r2 += abs<f64>(at(x, i + 2) - c); r3 += abs<f64>(at(x, i + 3) - c);
    r4 += abs<f64>(at(x, i + 4) - c); r5 += abs<f64>(at(x, i + 5) - c); r6 += abs<f64>(at(x, i + 6) - c); r7 += abs<f64>(at(x, i + 7) - c);
  }
  let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < end; i++) s += abs<f64>(at(x, i) - c);
  return s;
}
