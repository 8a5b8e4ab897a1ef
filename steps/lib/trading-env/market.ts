/**
 * The per-day matrices the environment reads, built once from a FinRL long-format
 * feature table (one row per date and ticker, sorted by date then tic). Building them
 * up front is what lets `step` run without touching the table or allocating.
 */
import type { Column, Table } from '../../../engine/sdk.ts';

export interface Market {
  /** Trading dates in order (the table's `date` values). */
  readonly dates: readonly string[];
  /** Tickers in the order they appear within each date (sorted, as FinRL's data is). */
  readonly tickers: readonly string[];
  readonly indicators: readonly string[];
  /** close[day * D + i]. */
  readonly close: Float64Array;
  /** features[day * K * D + k * D + i]: indicator-major, exactly as the state lays them out. */
  readonly features: Float64Array;
  /** turbulence[day]: the risk column of the day's first ticker (FinRL reads `.values[0]`); null when not requested. */
  readonly turbulence: Float64Array | null;
}

export interface MarketOptions {
  /** Feature columns copied into the state, in this order. */
  indicators: readonly string[];
  /** Risk column to read, or null when no turbulence threshold is used. */
  riskColumn: string | null;
}

export function marketFromTable(data: Table, options: MarketOptions): Market {
  const date = stringColumn(data, 'date');
  const tic = stringColumn(data, 'tic');
  if (data.rows === 0) throw new Error('feature table is empty: expected rows of `date, tic, close, <indicators>`');

  for (let row = 0; row < data.rows; row++) {
    if (date[row] == null || tic[row] == null) throw new Error(`feature table row ${row + 1} has no ${date[row] == null ? 'date' : 'tic'}`);
  }
  let tickerCount = 0;
  while (tickerCount < data.rows && date[tickerCount] === date[0]) tickerCount++;
  const tickers = tic.slice(0, tickerCount) as string[];
  for (let i = 1; i < tickerCount; i++) {
    if (!(tickers[i - 1]! < tickers[i]!)) {
      throw new Error(`feature table must be sorted by date then tic: on ${date[0]} \`${tickers[i]}\` follows \`${tickers[i - 1]}\``);
    }
  }
  if (data.rows % tickerCount !== 0) {
    throw new Error(`feature table has ${data.rows} rows, not a multiple of the ${tickerCount} tickers of ${date[0]}: every date needs a row for every ticker`);
  }
  const days = data.rows / tickerCount;
  const dates: string[] = [];
  for (let d = 0; d < days; d++) {
    const first = d * tickerCount;
    const day = date[first]!;
    if (d > 0 && !(dates[d - 1]! < day)) {
      throw new Error(`feature table must be sorted by date then tic: row ${first + 1} has date ${day} after ${dates[d - 1]}`);
    }
    for (let i = 0; i < tickerCount; i++) {
      const row = first + i;
      if (date[row] !== day || tic[row] !== tickers[i]) {
        throw new Error(
          `feature table row ${row + 1} is (${date[row]}, ${tic[row]}), expected (${day}, ${tickers[i]}): every date needs the same tickers in the same order`,
        );
      }
    }
    dates.push(day);
  }

  const close = numericColumn(data, 'close');
  for (let row = 0; row < data.rows; row++) {
    const price = close[row]!;
    // Buys divide cash by the price; FinRL assumes positive prices and so do we, loudly.
    if (!(price > 0) || !Number.isFinite(price)) {
      throw new Error(`feature table row ${row + 1} (${date[row]}, ${tic[row]}): close must be a positive number, got ${price}`);
    }
  }

  const K = options.indicators.length;
  const features = new Float64Array(data.rows * K);
  options.indicators.forEach((name, k) => {
    const values = numericColumn(data, name);
    for (let d = 0; d < days; d++) {
      for (let i = 0; i < tickerCount; i++) features[d * K * tickerCount + k * tickerCount + i] = values[d * tickerCount + i]!;
    }
  });

  let turbulence: Float64Array | null = null;
  if (options.riskColumn !== null) {
    const risk = numericColumn(data, options.riskColumn);
    turbulence = new Float64Array(days);
    for (let d = 0; d < days; d++) turbulence[d] = risk[d * tickerCount]!;
  }

  return { dates, tickers, indicators: [...options.indicators], close: Float64Array.from(close), features, turbulence };
}

function stringColumn(data: Table, name: string): readonly (string | null)[] {
  const column = requireColumn(data, name);
  if (!Array.isArray(column)) throw new Error(`feature table column \`${name}\` must hold strings, found numbers`);
  return column;
}

function numericColumn(data: Table, name: string): Float64Array | Int32Array {
  const column = requireColumn(data, name);
  if (Array.isArray(column)) throw new Error(`feature table column \`${name}\` must hold numbers, found strings`);
  return column as Float64Array | Int32Array;
}

function requireColumn(data: Table, name: string): Column {
  const column = data.columns[name];
  if (column === undefined) {
    throw new Error(`feature table has no column \`${name}\` (columns: ${data.names.join(', ')})`);
  }
  return column;
}

/** The dates [from, to) of a market (views, no copy): a test period cut from a longer history. */
export function sliceMarket(market: Market, from: number, to: number): Market {
  const D = market.tickers.length;
  const K = market.indicators.length;
  return {
    dates: market.dates.slice(from, to),
    tickers: market.tickers,
    indicators: market.indicators,
    close: market.close.subarray(from * D, to * D),
    features: market.features.subarray(from * K * D, to * K * D),
    turbulence: market.turbulence ? market.turbulence.subarray(from, to) : null,
  };
}
