/**
 * The test oracle for the indicator kernel (steps/lib/indicators/kernel): its functions in plain
 * JavaScript, over the same memory and addresses, so steps/lib/indicators/stockstats.ts can run
 * on either. The families below are the JavaScript the kernel was transcribed from (checked
 * against the stockstats goldens before it moved here); tests/features/kernel.test.ts requires
 * the kernel to give the same doubles on random panels.
 */
import type { KernelExports } from '../../../steps/lib/indicators/kernel/kernel.ts';
import { comFromAlpha, comFromSpan } from '../../../steps/lib/indicators/stockstats.ts';
import { EwmMean, ewmMean, rollingExtreme, RollingMean, rollingMean, RollingVar, rollingVar, zsqrt } from './pandas-window.ts';

const KDJ_OLD = 2.0 / 3.0;
const KDJ_NEW = 1.0 / 3.0;
const BOLL_WINDOW = 20;
const BOLL_STD_TIMES = 2;
const MACD = { short: 12, long: 26 } as const;

/** The kernel's functions in JavaScript over `memory` (byte addresses, as the WebAssembly takes them). */
export function referenceKernel(memory: WebAssembly.Memory): KernelExports {
  // views made per call: growing the memory replaces its buffer
  const series = (at: number, n: number) => new Float64Array(memory.buffer, at, n);
  const ints = (at: number, n: number) => new Int32Array(memory.buffer, at, n);
  return {
    heapBase: () => 0,
    scatter(src, order, index, n, dst) {
      const [from, to, rows, positions] = [new Float64Array(memory.buffer, src), new Float64Array(memory.buffer, dst), ints(order, n), ints(index, n)];
      for (let p = 0; p < n; p++) to[positions[p]!] = from[rows[p]!]!;
    },
    gather(src, index, n, dst) {
      const [from, to, positions] = [new Float64Array(memory.buffer, src), series(dst, n), ints(index, n)];
      for (let p = 0; p < n; p++) to[p] = from[positions[p]!]!;
    },
    copy: (src, dst, n) => series(dst, n).set(series(src, n)),
    ewmMean: (x, out, n, com, minPeriods) => ewmMean(series(x, n), series(out, n), com, minPeriods),
    rollingMean: (x, out, n, window, minPeriods) => rollingMean(series(x, n), series(out, n), window, minPeriods),
    rollingVar: (x, out, n, window, minPeriods, ddof) => rollingVar(series(x, n), series(out, n), window, minPeriods, ddof),
    rollingStd: (x, out, n, window) => rollingStd(series(x, n), series(out, n), window),
    rollingExtreme: (x, out, n, window, sign, deque, cap) => rollingExtreme(series(x, n), series(out, n), window, sign, ints(deque, cap)),
    ratioFilled: (amount, volume, out, n) => ratioFilled(series(amount, n), series(volume, n), series(out, n)),
    meanOfThreeFilled: (close, high, low, out, n) => meanOfThreeFilled(series(close, n), series(high, n), series(low, n), series(out, n)),
    directionalSystem: (close, high, low, n, window, tr, atr, pdi, ndi, dx) =>
      directionalSystem(series(close, n), series(high, n), series(low, n), window, {
        tr: series(tr, n),
        atr: series(atr, n),
        pdi: series(pdi, n),
        ndi: series(ndi, n),
        dx: series(dx, n),
      }),
    rawStochastic: (close, lowMin, highMax, out, n) => rawStochastic(series(close, n), series(lowMin, n), series(highMax, n), series(out, n)),
    kdSmooth: (source, out, n) => kdSmooth(series(source, n), series(out, n)),
    kdjLine: (k, d, out, n) => kdjLine(series(k, n), series(d, n), series(out, n)),
    williams: (close, lowMin, highMax, out, n) => williams(series(close, n), series(lowMin, n), series(highMax, n), series(out, n)),
    relativeStrength: (close, n, window, out) => relativeStrength(series(close, n), window, series(out, n)),
    commodityChannel: (tp, n, window, out) => commodityChannel(series(tp, n), window, series(out, n)),
    macdLine: (close, out, n) => macdLine(series(close, n), series(out, n)),
    difference: (a, b, out, n) => difference(series(a, n), series(b, n), series(out, n)),
    bollingerBands: (close, n, mid, ub, lb) => bollingerBands(series(close, n), series(mid, n), series(ub, n), series(lb, n)),
  };
}

/** The directional movement system for one window: each array holds one value per row. */
interface Directional {
  readonly tr: Float64Array;
  readonly atr: Float64Array;
  readonly pdi: Float64Array;
  readonly ndi: Float64Array;
  readonly dx: Float64Array;
}

/** stockstats' typical price with `amount`: amount / volume, NaN as 0. */
function ratioFilled(amount: Float64Array, volume: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = fillNa(amount[i]! / volume[i]!);
}

/** stockstats' typical price: (close + high + low) / 3, NaN as 0. */
function meanOfThreeFilled(close: Float64Array, high: Float64Array, low: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = fillNa((close[i]! + high[i]! + low[i]!) / 3.0);
}

/** `close_N_mstd`: the rolling standard deviation (ddof 1, partial windows), through pandas' zsqrt. */
function rollingStd(x: Float64Array, out: Float64Array, window: number): void {
  const roll = new RollingVar();
  for (let i = 0; i < x.length; i++) {
    if (i >= window) roll.remove(x[i - window]!);
    roll.add(x[i]!);
    out[i] = zsqrt(roll.variance(1, 1));
  }
}

/**
 * True range, ATR (its SMMA), +DI and -DI (+DM and -DM, SMMA-smoothed unless the window is 1,
 * over the ATR) and DX, in one pass.
 */
function directionalSystem(close: Float64Array, high: Float64Array, low: Float64Array, window: number, d: Directional): void {
  const { tr, atr, pdi, ndi, dx } = d;
  const com = comFromAlpha(1.0 / window);
  const smoothed = window !== 1;
  const atrEwm = new EwmMean(com, 0);
  const pdmEwm = new EwmMean(com, 0);
  const ndmEwm = new EwmMean(com, 0);
  for (let i = 0; i < close.length; i++) {
    const prevClose = close[i === 0 ? 0 : i - 1]!;
    const h = high[i]!;
    const l = low[i]!;
    const range = nanToNum(Math.max(h - l, Math.max(Math.abs(h - prevClose), Math.abs(l - prevClose))));
    tr[i] = range;
    let pdm = 0;
    let ndm = 0;
    if (i > 0) {
      const up = h - high[i - 1]!;
      const down = -(l - low[i - 1]!);
      pdm = up > 0 && up > down ? up : 0;
      ndm = down > 0 && down > up ? down : 0;
    }
    if (smoothed) {
      pdm = pdmEwm.push(pdm);
      ndm = ndmEwm.push(ndm);
    }
    const average = atrEwm.push(range);
    atr[i] = average;
    const p = (pdm / average) * 100;
    const m = (ndm / average) * 100;
    pdi[i] = p;
    ndi[i] = m;
    const divisor = p + m;
    dx[i] = (divisor !== 0 ? Math.abs(p - m) / divisor : 0) * 100;
  }
}

/** stockstats' RSV: where the close sits in the window's low..high range, 0..100. */
function rawStochastic(close: Float64Array, lowMin: Float64Array, highMax: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const range = highMax[i]! - lowMin[i]!;
    const ratio = range !== 0 ? nanToNum((close[i]! - lowMin[i]!) / range) : 0;
    out[i] = fillNa(ratio * 100);
  }
}

/** stockstats' `_calc_kd`: K (or D) starts at 50 and moves a third of the way to each value. */
function kdSmooth(source: Float64Array, out: Float64Array): void {
  let k = 50.0;
  for (let i = 0; i < out.length; i++) {
    k = KDJ_OLD * k + KDJ_NEW * source[i]!;
    out[i] = k;
  }
}

function kdjLine(k: Float64Array, d: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 3 * k[i]! - 2 * d[i]!;
}

/** Williams %R: where the close sits below the window's high, 0..-100. */
function williams(close: Float64Array, lowMin: Float64Array, highMax: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const range = highMax[i]! - lowMin[i]!;
    out[i] = (range !== 0 ? (highMax[i]! - close[i]!) / range : 0.0) * -100;
  }
}

/** Up and down moves, each SMMA-smoothed, as the share of up in 0..100 (50 on the first row). */
function relativeStrength(close: Float64Array, window: number, out: Float64Array): void {
  const n = close.length;
  if (n === 0) return;
  const com = comFromAlpha(1.0 / window);
  const up = new EwmMean(com, 0);
  const down = new EwmMean(com, 0);
  // the first row has no move: both averages start at 0
  up.push(0);
  down.push(0);
  out[0] = 50.0;
  for (let i = 1; i < n; i++) {
    const diff = close[i]! - close[i - 1]!;
    const u = up.push(diff > 0 ? diff : 0);
    const d = down.push(diff < 0 ? -diff : 0);
    const total = u + d;
    out[i] = fillNa(total !== 0 ? 100 * (u / total) : 50.0);
  }
}

/** CCI: the typical price's distance from its rolling mean, in units of 0.015 mean absolute deviations. */
function commodityChannel(tp: Float64Array, window: number, out: Float64Array): void {
  const n = tp.length;
  const mean = new RollingMean();
  const fullWindows = window <= n;
  for (let i = 0; i < n; i++) {
    if (i >= window) mean.remove(tp[i - window]!);
    mean.add(tp[i]!);
    const mad = !fullWindows ? NaN : i < window - 1 ? 0 : meanAbsDeviation(tp, i - window + 1, window);
    const divisor = 0.015 * mad;
    out[i] = divisor !== 0 ? (tp[i]! - mean.mean(1)) / divisor : 0.0;
  }
}

/** MACD: EMA 12 minus EMA 26 of the close, both fed in the same pass. */
function macdLine(close: Float64Array, out: Float64Array): void {
  const fast = new EwmMean(comFromSpan(MACD.short), 1);
  const slow = new EwmMean(comFromSpan(MACD.long), 1);
  for (let i = 0; i < close.length; i++) out[i] = fast.push(close[i]!) - slow.push(close[i]!);
}

function difference(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
}

/** Bollinger: the 20-row mean and the bands two standard deviations either side, in one pass. */
function bollingerBands(close: Float64Array, mid: Float64Array, ub: Float64Array, lb: Float64Array): void {
  const mean = new RollingMean();
  const variance = new RollingVar();
  for (let i = 0; i < close.length; i++) {
    if (i >= BOLL_WINDOW) {
      mean.remove(close[i - BOLL_WINDOW]!);
      variance.remove(close[i - BOLL_WINDOW]!);
    }
    mean.add(close[i]!);
    variance.add(close[i]!);
    const ma = mean.mean(1);
    const width = BOLL_STD_TIMES * zsqrt(variance.variance(1, 1));
    mid[i] = ma;
    ub[i] = ma + width;
    lb[i] = ma - width;
  }
}

/**
 * stockstats `_mad` over the full window x[start .. start+window): the mean absolute deviation,
 * both sums numpy's pairwise sums, so each value matches numpy to the bit. (stockstats leaves 0
 * before the first full window, and NaN everywhere when the series is shorter than the window.)
 */
function meanAbsDeviation(x: Float64Array, start: number, window: number): number {
  const mean = pairwiseSum(x, start, window) / window;
  return pairwiseAbsDevSum(x, start, window, mean) / window;
}

/** numpy's `pairwise_sum` of x[start .. start+length): blocks of at most 128 terms, halved at a multiple of 8 above. */
function pairwiseSum(x: Float64Array, start: number, length: number): number {
  if (length <= 128) return blockSum(x, start, length);
  const half = pairwiseHalf(length);
  return pairwiseSum(x, start, half) + pairwiseSum(x, start + half, length - half);
}

/** pairwiseSum of |x - centre|. */
function pairwiseAbsDevSum(x: Float64Array, start: number, length: number, centre: number): number {
  if (length <= 128) return blockSumAbsDev(x, start, length, centre);
  const half = pairwiseHalf(length);
  return pairwiseAbsDevSum(x, start, half, centre) + pairwiseAbsDevSum(x, start + half, length - half, centre);
}

function pairwiseHalf(length: number): number {
  const half = Math.floor(length / 2);
  return half - (half % 8);
}

/** numpy's unrolled block: eight interleaved partial sums, combined pairwise, then the tail. */
function blockSum(x: Float64Array, start: number, length: number): number {
  const end = start + length;
  if (length < 8) {
    let s = 0;
    for (let i = start; i < end; i++) s += x[i]!;
    return s;
  }
  let r0 = x[start]!, r1 = x[start + 1]!, r2 = x[start + 2]!, r3 = x[start + 3]!;
  let r4 = x[start + 4]!, r5 = x[start + 5]!, r6 = x[start + 6]!, r7 = x[start + 7]!;
  const blocksEnd = end - (length % 8);
  let i = start + 8;
  for (; i < blocksEnd; i += 8) {
    r0 += x[i]!; r1 += x[i + 1]!; r2 += x[i + 2]!; r3 += x[i + 3]!;
    r4 += x[i + 4]!; r5 += x[i + 5]!; r6 += x[i + 6]!; r7 += x[i + 7]!;
  }
  let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < end; i++) s += x[i]!;
  return s;
}

/** blockSum of |x - centre|. */
function blockSumAbsDev(x: Float64Array, start: number, length: number, c: number): number {
  const end = start + length;
  if (length < 8) {
    let s = 0;
    for (let i = start; i < end; i++) s += Math.abs(x[i]! - c);
    return s;
  }
  let r0 = Math.abs(x[start]! - c), r1 = Math.abs(x[start + 1]! - c), r2 = Math.abs(x[start + 2]! - c), r3 = Math.abs(x[start + 3]! - c);
  let r4 = Math.abs(x[start + 4]! - c), r5 = Math.abs(x[start + 5]! - c), r6 = Math.abs(x[start + 6]! - c), r7 = Math.abs(x[start + 7]! - c);
  const blocksEnd = end - (length % 8);
  let i = start + 8;
  for (; i < blocksEnd; i += 8) {
    r0 += Math.abs(x[i]! - c); r1 += Math.abs(x[i + 1]! - c); r2 += Math.abs(x[i + 2]! - c); r3 += Math.abs(x[i + 3]! - c);
    r4 += Math.abs(x[i + 4]! - c); r5 += Math.abs(x[i + 5]! - c); r6 += Math.abs(x[i + 6]! - c); r7 += Math.abs(x[i + 7]! - c);
  }
  let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < end; i++) s += Math.abs(x[i]! - c);
  return s;
}

/** numpy `nan_to_num`: NaN to 0, infinities to the largest finite doubles. */
function nanToNum(v: number): number {
  if (v !== v) return 0;
  if (v === Infinity) return Number.MAX_VALUE;
  if (v === -Infinity) return -Number.MAX_VALUE;
  return v;
}

/** stockstats `to_series(...).fillna(0)`. */
function fillNa(v: number): number {
  return v !== v ? 0 : v;
}
