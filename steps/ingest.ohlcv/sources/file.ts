/**
 * Prices from a local CSV or Parquet file in long format (one row per date and
 * ticker), with a column mapping. A file without a ticker column holds one ticker:
 * name it in `tickers`. The whole file is checked (dates, duplicates, dates
 * increasing per ticker) before `tickers` and the range filter it.
 */
import { numberColumn, stringColumn } from '../../../engine/sdk.ts';
import { dateCell, openDataFile, resolveColumns } from '../../lib/ingest/files.ts';
import { inRange } from '../../lib/ingest/dates.ts';
import { PRICE_FIELDS, type PriceRow } from '../prices.ts';
import type { SourceRequest } from './source.ts';

const OUTPUTS = ['date', 'tic', ...PRICE_FIELDS] as const;

export default async function file({ ctx, params, tickers, range }: SourceRequest): Promise<PriceRow[]> {
  const format = params.source === 'parquet' ? 'parquet' : 'csv';
  const path = params.path!;
  const file = await openDataFile(ctx, path, format);
  const found = resolveColumns(file.header, params.columns ?? {}, OUTPUTS);
  const singleTicker = found.tic === undefined && tickers.length === 1 ? tickers[0] : undefined;
  const missing = OUTPUTS.filter((o) => found[o] === undefined && !(o === 'tic' && singleTicker !== undefined));
  if (missing.length > 0) {
    const list = missing.map((m) => `\`${m}\``).join(', ');
    const hint = missing.includes('tic') ? ' (a file of one ticker needs exactly one entry in `tickers`)' : '';
    throw new Error(`${path}: no column for ${list}; columns are ${file.header.join(', ')}. Map them with \`columns: { <file column>: <output> }\`${hint}`);
  }
  const sources = Object.fromEntries(OUTPUTS.flatMap((o) => (found[o] === undefined ? [] : [[o, found[o]]])));
  const types = { date: 'string', tic: 'string', open: 'number', high: 'number', low: 'number', close: 'number', volume: 'number' } as const;
  const { table, where } = file.read(sources, types);

  const dateText = stringColumn(table, 'date');
  const ticText = singleTicker === undefined ? stringColumn(table, 'tic') : undefined;
  const values = Object.fromEntries(PRICE_FIELDS.map((f) => [f, numberColumn(table, f)])) as Record<(typeof PRICE_FIELDS)[number], Float64Array>;
  const all: PriceRow[] = [];
  for (let i = 0; i < table.rows; i++) {
    const tic = singleTicker ?? ticText![i];
    if (!tic) throw new Error(`${where(i)}: column \`${sources.tic}\`: expected a ticker, found an empty cell`);
    const date = dateCell(dateText[i]!, sources.date!, () => where(i));
    all.push({ date, tic, open: values.open[i]!, high: values.high[i]!, low: values.low[i]!, close: values.close[i]!, volume: values.volume[i]! });
  }
  checkOrder(all, where);

  const wanted = tickers.length > 0 ? new Set(tickers) : undefined;
  const rows: PriceRow[] = [];
  let dropped = 0;
  let firstDropped = -1;
  all.forEach((row, i) => {
    if ((wanted && !wanted.has(row.tic)) || (range && !inRange(row.date, range))) return;
    if (PRICE_FIELDS.some((f) => Number.isNaN(row[f]))) {
      if (dropped++ === 0) firstDropped = i;
      return;
    }
    rows.push(row);
  });
  if (dropped > 0) ctx.log.warn(`${path}: dropped ${dropped} row${dropped === 1 ? '' : 's'} with missing values (first at ${where(firstDropped)}), as FinRL's dropna does`);
  return rows;
}

/** No (date, tic) twice, and each ticker's dates strictly increasing in file order. */
function checkOrder(rows: readonly PriceRow[], where: (row: number) => string): void {
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const key = `${row.date}\u0000${row.tic}`;
    const first = seen.get(key);
    if (first !== undefined) throw new Error(`${where(i)}: duplicate row for (${row.date}, ${row.tic}); first seen at ${where(first)}`);
    seen.set(key, i);
  });
  const last = new Map<string, number>();
  rows.forEach((row, i) => {
    const previous = last.get(row.tic);
    if (previous !== undefined && rows[previous]!.date > row.date) {
      throw new Error(`${where(i)}: dates go backwards for ${row.tic}: ${row.date} comes after ${rows[previous]!.date} (${where(previous)})`);
    }
    last.set(row.tic, i);
  });
}
