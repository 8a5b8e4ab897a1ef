/**
 * A long (date, tic) price table seen as a panel: rows in (date, tic) order, the dates and
 * tickers as sorted lists, and each row's position in both. FinRL works on this order
 * (`sort_values(["date", "tic"])`); indicators run per ticker, so the panel also lists every
 * ticker's rows in date order.
 */
import type { Column, Table } from '../../../engine/sdk.ts';

export interface Panel {
  /** Input row of each panel row; panel rows are in (date, tic) order. */
  readonly order: Int32Array;
  /** Sorted unique dates and tickers. */
  readonly dates: readonly string[];
  readonly tickers: readonly string[];
  /** Per panel row: index into `dates` and into `tickers`. */
  readonly dateOf: Int32Array;
  readonly tickerOf: Int32Array;
  /** Whether the panel rows are all the input rows, in the input's own order. */
  readonly inputOrder: boolean;
}

/** Builds the panel over `rows` (input row indices; all rows when omitted). Duplicate (date, tic) pairs are an error. */
export function panelOf(prices: Table, port: string, rows?: Int32Array): Panel {
  const date = stringColumn(prices, 'date', port);
  const tic = stringColumn(prices, 'tic', port);
  const n = rows === undefined ? prices.rows : rows.length;
  // ids in order of first appearance, made sorted afterwards
  const dateIds = new Int32Array(n);
  const tickerIds = new Int32Array(n);
  const dates = new Interner();
  const tickers = new Interner();
  let lastDate: string | undefined;
  let dateId = 0;
  let tickerId = -1;
  let increasing = true;
  for (let k = 0; k < n; k++) {
    const row = rows === undefined ? k : rows[k]!;
    const previousDate = dateId;
    const previousTicker = tickerId;
    // A long table repeats each date once per ticker and cycles through the tickers in order:
    // try the obvious guesses before the map lookups.
    if (date[row] !== lastDate) {
      lastDate = date[row]!;
      dateId = dates.id(lastDate);
    }
    const next = tickerId + 1 < tickers.values.length ? tickerId + 1 : 0;
    tickerId = tickers.values[next] === tic[row] ? next : tickers.id(tic[row]!);
    dateIds[k] = dateId;
    tickerIds[k] = tickerId;
    if (k > 0 && (dateId < previousDate || (dateId === previousDate && tickerId <= previousTicker))) increasing = false;
  }
  const order = rows ?? iota(n);
  // The usual input: rows already in (date, tic) order, so first appearance is sorted order too.
  if (increasing && isSorted(dates.values) && isSorted(tickers.values)) {
    return { order, dates: dates.values, tickers: tickers.values, dateOf: dateIds, tickerOf: tickerIds, inputOrder: rows === undefined };
  }
  const dateRank = dates.ranks();
  const tickerRank = tickers.ranks();
  const T = tickers.values.length;
  let sorted = true;
  for (let k = 0; k < n; k++) {
    dateIds[k] = dateRank[dateIds[k]!]!;
    tickerIds[k] = tickerRank[tickerIds[k]!]!;
    if (k > 0 && dateIds[k]! * T + tickerIds[k]! <= dateIds[k - 1]! * T + tickerIds[k - 1]!) sorted = false;
  }
  const position = sorted ? undefined : iota(n).sort((a, b) => dateIds[a]! - dateIds[b]! || tickerIds[a]! - tickerIds[b]!);
  const panelOrder = new Int32Array(n);
  const dateOf = new Int32Array(n);
  const tickerOf = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const k = position === undefined ? p : position[p]!;
    panelOrder[p] = order[k]!;
    dateOf[p] = dateIds[k]!;
    tickerOf[p] = tickerIds[k]!;
    if (p > 0 && dateOf[p] === dateOf[p - 1] && tickerOf[p] === tickerOf[p - 1]) {
      throw new Error(`input \`${port}\`: duplicate row for tic \`${tic[panelOrder[p]!]}\` on ${date[panelOrder[p]!]} (rows ${panelOrder[p - 1]! + 1} and ${panelOrder[p]! + 1})`);
    }
  }
  return { order: panelOrder, dates: dates.sorted(), tickers: tickers.sorted(), dateOf, tickerOf, inputOrder: rows === undefined && sorted };
}

function isSorted(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (compareStrings(values[i - 1]!, values[i]!) >= 0) return false;
  return true;
}

/** Distinct strings numbered in order of first appearance. */
class Interner {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  id(value: string): number {
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.index.set(value, id);
    }
    return id;
  }

  sorted(): string[] {
    return [...this.values].sort(compareStrings);
  }

  /** rank[id] = position of the value in sorted order. */
  ranks(): Int32Array {
    const byValue = this.values.map((_, id) => id).sort((a, b) => compareStrings(this.values[a]!, this.values[b]!));
    const rank = new Int32Array(this.values.length);
    byValue.forEach((id, r) => {
      rank[id] = r;
    });
    return rank;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The panel regrouped ticker by ticker, each in date order: ticker t owns the ticker-major
 * positions `start[t] .. start[t+1])`, and panel row p sits at `tickerMajor[p]`.
 */
export function byTicker(panel: Panel): { tickerMajor: Int32Array; start: Int32Array } {
  const nTickers = panel.tickers.length;
  const nDates = panel.dates.length;
  const n = panel.order.length;
  const start = new Int32Array(nTickers + 1);
  const tickerMajor = new Int32Array(n);
  if (n === nTickers * nDates) {
    // A full grid (rows are unique, so every ticker has every date): positions are arithmetic.
    for (let t = 0; t <= nTickers; t++) start[t] = t * nDates;
    for (let p = 0; p < n; p++) tickerMajor[p] = panel.tickerOf[p]! * nDates + panel.dateOf[p]!;
    return { tickerMajor, start };
  }
  for (const t of panel.tickerOf) start[t + 1]!++;
  for (let t = 0; t < nTickers; t++) start[t + 1]! += start[t]!;
  const next = start.slice(0, nTickers);
  for (let p = 0; p < n; p++) tickerMajor[p] = next[panel.tickerOf[p]!]!++;
  return { tickerMajor, start };
}

export function stringColumn(t: Table, name: string, port: string): readonly string[] {
  const column = t.columns[name];
  if (column === undefined) throw new Error(`input \`${port}\`: missing column \`${name}\` (columns: ${t.names.join(', ')})`);
  if (column instanceof Float64Array || column instanceof Int32Array) {
    throw new Error(`input \`${port}\`: column \`${name}\` must hold strings, found numbers`);
  }
  const empty = column.indexOf(null);
  if (empty >= 0) throw new Error(`input \`${port}\`: column \`${name}\` is empty at row ${empty + 1}`);
  return column as readonly string[];
}

/** A numeric column as float64 (ints widened), or an error naming the port and what needed it. */
export function numberColumn(t: Table, name: string, port: string, neededBy: string): Float64Array {
  const column: Column | undefined = t.columns[name];
  if (column === undefined) throw new Error(`input \`${port}\`: missing column \`${name}\` (needed by ${neededBy}; columns: ${t.names.join(', ')})`);
  if (column instanceof Float64Array) return column;
  if (column instanceof Int32Array) return Float64Array.from(column);
  throw new Error(`input \`${port}\`: column \`${name}\` must hold numbers, found strings`);
}

function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
