/**
 * The test oracle for the indicator kernel (steps/lib/indicators/kernel): stockstats 0.6.8's
 * indicators on one ticker's series in plain JavaScript, the implementation the kernel was
 * transcribed from (checked against the same stockstats goldens before it moved here).
 * tests/features/kernel.test.ts requires the kernel to give the same doubles on random series.
 */
import type { IndicatorSpec, PriceColumn } from '../../../steps/lib/indicators/catalog.ts';
import { comFromAlpha, comFromSpan } from '../../../steps/lib/indicators/stockstats.ts';
import { EwmMean, ewmMean, rollingExtreme, RollingMean, rollingMean, RollingVar, rollingVar, zsqrt } from './pandas-window.ts';

export interface TickerPrices {
  readonly close: Float64Array;
  readonly open?: Float64Array;
  readonly high?: Float64Array;
  readonly low?: Float64Array;
  readonly volume?: Float64Array;
  /** When present stockstats takes `amount / volume` as the typical price. */
  readonly amount?: Float64Array;
}

const KDJ_OLD = 2.0 / 3.0;
const KDJ_NEW = 1.0 / 3.0;
const BOLL_WINDOW = 20;
const BOLL_STD_TIMES = 2;
const MACD = { short: 12, long: 26, signal: 9 } as const;
const ADX_EMA = 6;
const DX_SMMA = 14;

/**
 * Scratch memory reused from one ticker to the next, so a whole table allocates a handful of
 * buffers (as long as its longest ticker) instead of a few per ticker.
 */
export interface Workspace {
  readonly buffers: Float64Array[];
  deque: Int32Array;
}

export function createWorkspace(): Workspace {
  return { buffers: [], deque: new Int32Array(0) };
}

/** The directional movement system for one window: each array holds one value per row. */
interface Directional {
  readonly tr: Float64Array;
  readonly atr: Float64Array;
  readonly pdi: Float64Array;
  readonly ndi: Float64Array;
  readonly dx: Float64Array;
}

/**
 * Computes every spec for one ticker, writing spec i into outs[i] (same length as the series).
 * Each indicator family is one loop over the series that feeds its running averages row by row
 * (MACD's two EMAs, Bollinger's mean and variance, RSI's two smoothed moves, the whole DX chain),
 * so a call runs a few hot loops rather than a pass per intermediate. The loops are module-level
 * functions, not closures made per ticker: V8 then compiles each once for all tickers.
 */
export function computeTicker(specs: readonly IndicatorSpec[], prices: TickerPrices, outs: readonly Float64Array[], ws: Workspace = createWorkspace()): void {
  const n = prices.close.length;
  const memo = new Map<string, Float64Array>();
  let used = 0;
  const buffer = (): Float64Array => {
    if (used === ws.buffers.length || ws.buffers[used]!.length < n) ws.buffers[used] = new Float64Array(n);
    return ws.buffers[used++]!.subarray(0, n);
  };
  const cached = (key: string, fill: (out: Float64Array) => void): Float64Array => {
    let v = memo.get(key);
    if (v === undefined) {
      v = buffer();
      fill(v);
      memo.set(key, v);
    }
    return v;
  };
  const column = (c: PriceColumn): Float64Array => {
    const v = prices[c];
    if (v === undefined) throw new Error(`stockstats needs the \`${c}\` column`);
    return v;
  };
  const ema = (key: string, x: Float64Array, span: number) =>
    cached(`ema:${key}:${span}`, (out) => ewmMean(x, out, comFromSpan(span), 1));
  const smma = (key: string, x: Float64Array, window: number) =>
    cached(`smma:${key}:${window}`, (out) => ewmMean(x, out, comFromAlpha(1.0 / window), 0));
  const sma = (key: string, x: Float64Array, window: number) =>
    cached(`sma:${key}:${window}`, (out) => rollingMean(x, out, window, 1));
  const mvar = (key: string, x: Float64Array, window: number) =>
    cached(`mvar:${key}:${window}`, (out) => rollingVar(x, out, window, 1));
  const mstd = (key: string, x: Float64Array, window: number) => cached(`mstd:${key}:${window}`, (out) => rollingStd(x, out, window));
  const extreme = (key: string, x: Float64Array, window: number, sign: 1 | -1) =>
    cached(`${sign > 0 ? 'max' : 'min'}:${key}:${window}`, (out) => {
      const capacity = Math.min(window, Math.max(n, 1));
      if (ws.deque.length < capacity) ws.deque = new Int32Array(capacity);
      rollingExtreme(x, out, window, sign, ws.deque);
    });

  const typicalPrice = () =>
    cached('tp', (out) => {
      if (prices.amount !== undefined) ratioFilled(prices.amount, column('volume'), out);
      else meanOfThreeFilled(prices.close, column('high'), column('low'), out);
    });

  const directionals = new Map<number, Directional>();
  const directional = (window: number): Directional => {
    let d = directionals.get(window);
    if (d === undefined) {
      d = { tr: buffer(), atr: buffer(), pdi: buffer(), ndi: buffer(), dx: buffer() };
      directionalSystem(prices.close, column('high'), column('low'), window, d);
      directionals.set(window, d);
    }
    return d;
  };

  const rsv = (window: number) =>
    cached(`rsv:${window}`, (out) =>
      rawStochastic(prices.close, extreme('low', column('low'), window, -1), extreme('high', column('high'), window, 1), out),
    );
  const kdjk = (window: number) => cached(`kdjk:${window}`, (out) => kdSmooth(rsv(window), out));
  const kdjd = (window: number) => cached(`kdjd:${window}`, (out) => kdSmooth(kdjk(window), out));

  const macd = () => cached('macd', (out) => macdLine(column('close'), out));
  const macds = () => ema('macd', macd(), MACD.signal);

  /** The middle band (20-row mean) and the bands two standard deviations either side, in one pass. */
  const bollinger = (): { mid: Float64Array; ub: Float64Array; lb: Float64Array } => {
    const mid = memo.get('boll');
    if (mid !== undefined) return { mid, ub: memo.get('boll_ub')!, lb: memo.get('boll_lb')! };
    const bands = { mid: buffer(), ub: buffer(), lb: buffer() };
    bollingerBands(column('close'), bands.mid, bands.ub, bands.lb);
    memo.set('boll', bands.mid).set('boll_ub', bands.ub).set('boll_lb', bands.lb);
    return bands;
  };

  const adx = () => ema('dx', directional(DX_SMMA).dx, ADX_EMA);

  const compute = (spec: IndicatorSpec): Float64Array => {
    switch (spec.kind) {
      case 'macd': return macd();
      case 'macds': return macds();
      case 'macdh': return cached('macdh', (out) => difference(macd(), macds(), out));
      case 'boll': return bollinger().mid;
      case 'boll_ub': return bollinger().ub;
      case 'boll_lb': return bollinger().lb;
      case 'adx': return adx();
      case 'adxr': return ema('adx', adx(), ADX_EMA);
      case 'tr': return directional(DX_SMMA).tr;
      case 'rsi': return cached(`rsi:${spec.window}`, (out) => relativeStrength(prices.close, spec.window, out));
      case 'cci': return cached(`cci:${spec.window}`, (out) => commodityChannel(typicalPrice(), spec.window, out));
      case 'dx': return directional(spec.window).dx;
      case 'atr': return directional(spec.window).atr;
      case 'wr': return cached(`wr:${spec.window}`, (out) =>
        williams(prices.close, extreme('low', column('low'), spec.window, -1), extreme('high', column('high'), spec.window, 1), out),
      );
      case 'rsv': return rsv(spec.window);
      case 'kdjk': return kdjk(spec.window);
      case 'kdjd': return kdjd(spec.window);
      case 'kdjj': return cached(`kdjj:${spec.window}`, (out) => kdjLine(kdjk(spec.window), kdjd(spec.window), out));
      case 'pdi': return directional(spec.window).pdi;
      case 'ndi': return directional(spec.window).ndi;
      case 'sma': return sma(spec.column, column(spec.column), spec.window);
      case 'ema': return ema(spec.column, column(spec.column), spec.window);
      case 'smma': return smma(spec.column, column(spec.column), spec.window);
      case 'mstd': return mstd(spec.column, column(spec.column), spec.window);
      case 'mvar': return mvar(spec.column, column(spec.column), spec.window);
    }
  };

  for (let i = 0; i < specs.length; i++) outs[i]!.set(compute(specs[i]!));
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
