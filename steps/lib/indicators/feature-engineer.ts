/**
 * FinRL's `FeatureEngineer.preprocess_data`, in its order: clean (keep tickers with a close on
 * every date), stockstats indicators per ticker, the VIX close merged on date (left merge),
 * the turbulence index merged on date, then `ffill().bfill()` over the (date, tic)-sorted table.
 */
import { type Column, orderedTable, type Table } from '../../../engine/sdk.ts';
import { columnsRead, type PRICE_COLUMNS, type IndicatorSpec } from './catalog.ts';
import { forwardBackwardFilled } from './fill.ts';
import { byTicker, numberColumn, panelOf, stringColumn, type Panel } from './panel.ts';
import { type IndicatorKernel, withIndicatorKernel } from './kernel/kernel.ts';
import { computeTicker, type TickerPrices } from './stockstats.ts';
import { finrlTurbulence } from './turbulence.ts';

export interface FeatureOptions {
  readonly indicators: readonly IndicatorSpec[];
  /** Drop tickers without a close on every date (FinRL always does). */
  readonly clean: boolean;
  /** An OHLCV table holding `vixTic`; its close becomes column `vix`. */
  readonly vix?: Table | undefined;
  readonly vixTic: string;
  readonly turbulence: boolean;
  readonly turbulenceLookback: number;
  /** FinRL's closing `ffill().bfill()`. */
  readonly fillMissing: boolean;
}

export interface Features {
  readonly table: Table;
  /** Tickers removed by `clean`, sorted. */
  readonly droppedTickers: readonly string[];
}

export function engineerFeatures(prices: Table, options: FeatureOptions): Features {
  const added = [...options.indicators.map((s) => s.name), ...(options.vix ? ['vix'] : []), ...(options.turbulence ? ['turbulence'] : [])];
  const clash = added.find((name) => prices.names.includes(name));
  if (clash !== undefined) throw new Error(`input \`prices\` already has a column \`${clash}\`, which this step adds`);

  if (prices.rows === 0) throw new Error('input `prices` has no rows');
  const close = numberColumn(prices, 'close', 'prices', 'every feature');
  let panel = panelOf(prices, 'prices');
  let droppedTickers: string[] = [];
  if (options.clean) {
    const complete = completeTickers(panel, close);
    droppedTickers = panel.tickers.filter((_, t) => !complete[t]);
    if (droppedTickers.length === panel.tickers.length) {
      throw new Error(`clean: every ticker misses a close on at least one of the ${panel.dates.length} dates; nothing is left`);
    }
    if (droppedTickers.length > 0) panel = panelOf(prices, 'prices', panel.order.filter((_, p) => complete[panel.tickerOf[p]!]));
  }

  const columns: Record<string, Column> = Object.create(null);
  const identity = panel.inputOrder;
  for (const name of prices.names) columns[name] = gather(prices.columns[name]!, panel.order, identity);
  for (const [name, values] of indicatorColumns(prices, panel, options.indicators)) columns[name] = values;
  if (options.vix) columns.vix = vixColumn(options.vix, options.vixTic, panel);
  if (options.turbulence) columns.turbulence = turbulenceColumn(close, panel, options.turbulenceLookback);
  // Columns made here (all of them once the rows were reordered) are filled in place.
  if (options.fillMissing) for (const name of Object.keys(columns)) columns[name] = forwardBackwardFilled(columns[name]!, !identity || added.includes(name));
  return { table: orderedTable([...prices.names, ...added], columns), droppedTickers };
}

/** FinRL clean_data: a ticker stays when the close pivot has no NaN in its column. */
function completeTickers(panel: Panel, close: Float64Array): boolean[] {
  const fullGrid = panel.order.length === panel.dates.length * panel.tickers.length;
  // The usual input, a full grid without a missing close, is recognised by a native scan.
  if (fullGrid && panel.order.length === close.length && !close.includes(NaN)) return panel.tickers.map(() => true);
  const closes = new Int32Array(panel.tickers.length);
  for (let p = 0; p < panel.order.length; p++) {
    const c = close[panel.order[p]!]!;
    if (c === c) closes[panel.tickerOf[p]!]!++;
  }
  return Array.from(closes, (count) => count === panel.dates.length);
}

/**
 * Each indicator for each ticker on its own date-ordered series, in the indicator kernel's memory.
 * The price columns are copied in ticker-major (each ticker's rows contiguous, in date order),
 * every indicator is written ticker-major, and each result is gathered back to panel order and
 * copied out at the end: both passes walk the panel order sequentially, which keeps them in cache
 * (scattering a ticker's values across the panel one row per date does not).
 */
function indicatorColumns(prices: Table, panel: Panel, specs: readonly IndicatorSpec[]): Map<string, Float64Array> {
  return specs.length === 0 ? new Map() : withIndicatorKernel((kernel) => indicatorColumnsWith(kernel, prices, panel, specs));
}

/** indicatorColumns on the given kernel, whose arena it may fill from the bottom. */
export function indicatorColumnsWith(kernel: IndicatorKernel, prices: Table, panel: Panel, specs: readonly IndicatorSpec[]): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const n = panel.order.length;
  const { tickerMajor, start } = byTicker(panel);
  const needed = seriesNeeded(prices, specs);
  const order = kernel.ints(n);
  const index = kernel.ints(n);
  // a whole input column on the way in, one result in panel order on the way out
  const staging = kernel.floats(prices.rows);
  const series: Partial<Record<SeriesName, number>> = {};
  for (const name of needed.keys()) series[name] = kernel.floats(n);
  const results = kernel.floats(specs.length * n);
  const ints = kernel.i32;
  ints.set(panel.order, order / 4);
  ints.set(tickerMajor, index / 4);
  for (const [name, users] of needed) {
    kernel.f64.set(numberColumn(prices, name, 'prices', users), staging / 8);
    kernel.run.scatter(staging, order, index, n, series[name]!);
  }
  for (let t = 0; t < panel.tickers.length; t++) {
    const a = start[t]!;
    const rowsOf = (c: SeriesName) => (series[c] === undefined ? undefined : series[c] + a * 8);
    const tickerPrices: TickerPrices = {
      close: rowsOf('close'),
      open: rowsOf('open'),
      high: rowsOf('high'),
      low: rowsOf('low'),
      volume: rowsOf('volume'),
      amount: rowsOf('amount'),
    };
    computeTicker(kernel, specs, tickerPrices, start[t + 1]! - a, specs.map((_, j) => results + (j * n + a) * 8));
  }
  specs.forEach((spec, j) => {
    kernel.run.gather(results + j * n * 8, index, n, staging);
    out.set(spec.name, kernel.f64.slice(staging / 8, staging / 8 + n));
  });
  return out;
}

type SeriesName = (typeof PRICE_COLUMNS)[number] | 'amount';

/** The price columns the specs read, each with the names that need it (for error messages). */
function seriesNeeded(prices: Table, specs: readonly IndicatorSpec[]): Map<SeriesName, string> {
  const users = new Map<SeriesName, string[]>();
  const need = (name: SeriesName, spec: IndicatorSpec) => users.set(name, [...(users.get(name) ?? []), `\`${spec.name}\``]);
  for (const spec of specs) {
    for (const name of columnsRead(spec)) need(name, spec);
    // stockstats' typical price is amount / volume when the frame has an `amount` column
    if (spec.kind === 'cci' && prices.columns.amount !== undefined) {
      need('amount', spec);
      need('volume', spec);
    }
  }
  return new Map([...users].map(([name, list]) => [name, list.join(', ')]));
}

/** FinRL add_vix: the VIX close merged on date (left merge: dates without a quote get NaN). */
function vixColumn(vix: Table, vixTic: string, panel: Panel): Float64Array {
  const dates = stringColumn(vix, 'date', 'vix');
  const tics = stringColumn(vix, 'tic', 'vix');
  const close = numberColumn(vix, 'close', 'vix', 'column `vix`');
  const byDate = new Map<string, number>();
  for (let i = 0; i < vix.rows; i++) {
    if (tics[i] !== vixTic) continue;
    if (byDate.has(dates[i]!)) throw new Error(`input \`vix\`: two rows for \`${vixTic}\` on ${dates[i]}`);
    byDate.set(dates[i]!, close[i]!);
  }
  if (byDate.size === 0) {
    const found = [...new Set(tics)].slice(0, 5).join(', ');
    throw new Error(`input \`vix\`: no rows for tic \`${vixTic}\` (found: ${found || 'no rows'})`);
  }
  return perRow(panel, Float64Array.from(panel.dates, (d) => byDate.get(d) ?? NaN));
}

/** FinRL add_turbulence: the index of each date, on every row of that date. */
function turbulenceColumn(close: Float64Array, panel: Panel, lookback: number): Float64Array {
  const nDates = panel.dates.length;
  const nTickers = panel.tickers.length;
  const pivot = new Float64Array(nDates * nTickers).fill(NaN);
  for (let p = 0; p < panel.order.length; p++) pivot[panel.dateOf[p]! * nTickers + panel.tickerOf[p]!] = close[panel.order[p]!]!;
  return perRow(panel, finrlTurbulence(pivot, nDates, nTickers, lookback));
}

/** A per-date value on every row of that date. */
function perRow(panel: Panel, byDate: Float64Array): Float64Array {
  const out = new Float64Array(panel.dateOf.length);
  for (let p = 0; p < out.length; p++) out[p] = byDate[panel.dateOf[p]!]!;
  return out;
}

/** The column's values in panel order; the column itself when the order is the input's. */
function gather(column: Column, order: Int32Array, identity: boolean): Column {
  if (identity) return column;
  const n = order.length;
  const out = column instanceof Float64Array ? new Float64Array(n) : column instanceof Int32Array ? new Int32Array(n) : new Array<string | null>(n);
  for (let p = 0; p < n; p++) out[p] = column[order[p]!]!;
  return out;
}
