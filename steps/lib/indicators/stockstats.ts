/**
 * stockstats 0.6.8 indicators on one ticker's series (date order), formula for formula,
 * including its guards: `np.where(divisor != 0, ..., 0)`, `fillna(0)` in `to_series`,
 * `nan_to_num` on the true range, partial windows (`min_periods=1`). The loops run in the
 * indicator kernel (kernel/assembly/index.ts, WebAssembly); this module decides which run, in
 * which order, on which buffers. Intermediates shared by several requested names (an EMA, the
 * directional system, the Bollinger bands) are computed once per ticker.
 */
import type { IndicatorSpec, PriceColumn } from './catalog.ts';
import type { IndicatorKernel } from './kernel/kernel.ts';

/** One ticker's series: byte addresses of float64 buffers in the kernel's memory, all of the same length. */
export interface TickerPrices {
  readonly close?: number | undefined;
  readonly open?: number | undefined;
  readonly high?: number | undefined;
  readonly low?: number | undefined;
  readonly volume?: number | undefined;
  /** When present stockstats takes `amount / volume` as the typical price. */
  readonly amount?: number | undefined;
}

const MACD_SIGNAL = 9;
const ADX_EMA = 6;
const DX_SMMA = 14;

/** pandas' centre of mass for `ewm(span=N)`. */
export function comFromSpan(span: number): number {
  return (span - 1) / 2;
}

/** pandas' centre of mass for `ewm(alpha=a)`. */
export function comFromAlpha(alpha: number): number {
  return (1 - alpha) / alpha;
}

/** The directional movement system for one window: each a buffer with one value per row. */
interface Directional {
  readonly tr: number;
  readonly atr: number;
  readonly pdi: number;
  readonly ndi: number;
  readonly dx: number;
}

/**
 * Computes every spec for one ticker's `n` rows, writing spec i into the buffer at outs[i].
 * Scratch buffers come from the kernel's arena and go back to it before returning.
 */
export function computeTicker(kernel: IndicatorKernel, specs: readonly IndicatorSpec[], prices: TickerPrices, n: number, outs: readonly number[]): void {
  const k = kernel.run;
  const scratch = kernel.mark();
  const memo = new Map<string, number>();
  const cached = (key: string, fill: (out: number) => void): number => {
    let v = memo.get(key);
    if (v === undefined) {
      v = kernel.floats(n);
      fill(v);
      memo.set(key, v);
    }
    return v;
  };
  const column = (c: PriceColumn): number => {
    const v = prices[c];
    if (v === undefined) throw new Error(`stockstats needs the \`${c}\` column`);
    return v;
  };
  const ema = (key: string, x: number, span: number) => cached(`ema:${key}:${span}`, (out) => k.ewmMean(x, out, n, comFromSpan(span), 1));
  const smma = (key: string, x: number, window: number) => cached(`smma:${key}:${window}`, (out) => k.ewmMean(x, out, n, comFromAlpha(1.0 / window), 0));
  const sma = (key: string, x: number, window: number) => cached(`sma:${key}:${window}`, (out) => k.rollingMean(x, out, n, window, 1));
  const mvar = (key: string, x: number, window: number) => cached(`mvar:${key}:${window}`, (out) => k.rollingVar(x, out, n, window, 1, 1));
  const mstd = (key: string, x: number, window: number) => cached(`mstd:${key}:${window}`, (out) => k.rollingStd(x, out, n, window));
  const extreme = (key: string, x: number, window: number, sign: 1 | -1) =>
    cached(`${sign > 0 ? 'max' : 'min'}:${key}:${window}`, (out) => {
      const capacity = Math.min(window, Math.max(n, 1));
      k.rollingExtreme(x, out, n, window, sign, kernel.ints(capacity), capacity);
    });

  const typicalPrice = () =>
    cached('tp', (out) => {
      if (prices.amount !== undefined) k.ratioFilled(prices.amount, column('volume'), out, n);
      else k.meanOfThreeFilled(column('close'), column('high'), column('low'), out, n);
    });

  const directionals = new Map<number, Directional>();
  const directional = (window: number): Directional => {
    let d = directionals.get(window);
    if (d === undefined) {
      d = { tr: kernel.floats(n), atr: kernel.floats(n), pdi: kernel.floats(n), ndi: kernel.floats(n), dx: kernel.floats(n) };
      k.directionalSystem(column('close'), column('high'), column('low'), n, window, d.tr, d.atr, d.pdi, d.ndi, d.dx);
      directionals.set(window, d);
    }
    return d;
  };

  const lowMin = (window: number) => extreme('low', column('low'), window, -1);
  const highMax = (window: number) => extreme('high', column('high'), window, 1);
  const rsv = (window: number) => cached(`rsv:${window}`, (out) => k.rawStochastic(column('close'), lowMin(window), highMax(window), out, n));
  const kdjk = (window: number) => cached(`kdjk:${window}`, (out) => k.kdSmooth(rsv(window), out, n));
  const kdjd = (window: number) => cached(`kdjd:${window}`, (out) => k.kdSmooth(kdjk(window), out, n));

  const macd = () => cached('macd', (out) => k.macdLine(column('close'), out, n));
  const macds = () => ema('macd', macd(), MACD_SIGNAL);

  /** The middle band (20-row mean) and the bands two standard deviations either side, in one pass. */
  const bollinger = (): { mid: number; ub: number; lb: number } => {
    const mid = memo.get('boll');
    if (mid !== undefined) return { mid, ub: memo.get('boll_ub')!, lb: memo.get('boll_lb')! };
    const bands = { mid: kernel.floats(n), ub: kernel.floats(n), lb: kernel.floats(n) };
    k.bollingerBands(column('close'), n, bands.mid, bands.ub, bands.lb);
    memo.set('boll', bands.mid).set('boll_ub', bands.ub).set('boll_lb', bands.lb);
    return bands;
  };

  const adx = () => ema('dx', directional(DX_SMMA).dx, ADX_EMA);

  const compute = (spec: IndicatorSpec): number => {
    switch (spec.kind) {
      case 'macd': return macd();
      case 'macds': return macds();
      case 'macdh': return cached('macdh', (out) => k.difference(macd(), macds(), out, n));
      case 'boll': return bollinger().mid;
      case 'boll_ub': return bollinger().ub;
      case 'boll_lb': return bollinger().lb;
      case 'adx': return adx();
      case 'adxr': return ema('adx', adx(), ADX_EMA);
      case 'tr': return directional(DX_SMMA).tr;
      case 'rsi': return cached(`rsi:${spec.window}`, (out) => k.relativeStrength(column('close'), n, spec.window, out));
      case 'cci': return cached(`cci:${spec.window}`, (out) => k.commodityChannel(typicalPrice(), n, spec.window, out));
      case 'dx': return directional(spec.window).dx;
      case 'atr': return directional(spec.window).atr;
      case 'wr': return cached(`wr:${spec.window}`, (out) => k.williams(column('close'), lowMin(spec.window), highMax(spec.window), out, n));
      case 'rsv': return rsv(spec.window);
      case 'kdjk': return kdjk(spec.window);
      case 'kdjd': return kdjd(spec.window);
      case 'kdjj': return cached(`kdjj:${spec.window}`, (out) => k.kdjLine(kdjk(spec.window), kdjd(spec.window), out, n));
      case 'pdi': return directional(spec.window).pdi;
      case 'ndi': return directional(spec.window).ndi;
      case 'sma': return sma(spec.column, column(spec.column), spec.window);
      case 'ema': return ema(spec.column, column(spec.column), spec.window);
      case 'smma': return smma(spec.column, column(spec.column), spec.window);
      case 'mstd': return mstd(spec.column, column(spec.column), spec.window);
      case 'mvar': return mvar(spec.column, column(spec.column), spec.window);
    }
  };

  for (let i = 0; i < specs.length; i++) k.copy(compute(specs[i]!), outs[i]!, n);
  kernel.release(scratch);
}
