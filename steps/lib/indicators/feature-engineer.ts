/**
 * FinRL's `FeatureEngineer.preprocess_data`, in its order: clean (keep tickers with a close on
 * every date), stockstats indicators per ticker, the VIX close merged on date (left merge),
 * the turbulence index merged on date, then `ffill().bfill()` over the (date, tic)-sorted table.
 */
import { type Column, orderedTable, type Table } from '../../../engine/sdk.ts';
import { columnsRead, type PRICE_COLUMNS, type IndicatorSpec } from './catalog.ts';
import { forwardBackwardFilled } from './fill.ts';
import { byTicker, numberColumn, panelOf, stringColumn, type Panel } from './panel.ts';
import { computeTicker, createWorkspace, type TickerPrices } from './stockstats.ts';
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
 * Each indicator for each ticker on its own date-ordered series. The price columns are copied
 * ticker-major (each ticker's rows contiguous, in date order), every indicator is written
 * ticker-major, and each result is gathered back to panel order at the end: both copies walk
 * the panel order sequentially, which keeps them in cache (scattering a ticker's values across
 * the panel one row per date does not).
 */
function indicatorColumns(prices: Table, panel: Panel, specs: readonly IndicatorSpec[]): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  if (specs.length === 0) return out;
  const n = panel.order.length;
  const { tickerMajor: tickerMajorIndex, start } = byTicker(panel);
  const series: Partial<Record<SeriesName, Float64Array>> = {};
  for (const [name, users] of seriesNeeded(prices, specs)) {
    const source = numberColumn(prices, name, 'prices', users);
    const tickerMajor = new Float64Array(n);
    for (let p = 0; p < n; p++) tickerMajor[tickerMajorIndex[p]!] = source[panel.order[p]!]!;
    series[name] = tickerMajor;
  }
  const results = new Float64Array(specs.length * n);
  const ws = createWorkspace();
  for (let t = 0; t < panel.tickers.length; t++) {
    const a = start[t]!;
    const b = start[t + 1]!;
    const view = (c: SeriesName) => series[c]?.subarray(a, b);
    const tickerPrices: TickerPrices = {
      close: view('close')!,
      open: view('open'),
      high: view('high'),
      low: view('low'),
      volume: view('volume'),
      amount: view('amount'),
    };
    computeTicker(specs, tickerPrices, specs.map((_, j) => results.subarray(j * n + a, j * n + b)), ws);
  }
  specs.forEach((spec, j) => {
    const column = new Float64Array(n);
    const offset = j * n;
    for (let p = 0; p < n; p++) column[p] = results[offset + tickerMajorIndex[p]!]!;
    out.set(spec.name, column);
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
