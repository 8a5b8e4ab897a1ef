/**
 * `ingest.ohlcv`: daily bars in FinRL's long format from Yahoo, Alpaca, a local
 * CSV/Parquet file, or the seeded synthetic market (the default, fully offline).
 * Sources are imported only when a step runs, so validating a pipeline stays fast.
 */
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import { checkRange, rangeIssues, reachesToday, resolveEnd } from '../lib/ingest/dates.ts';
import type { OhlcvParams } from './params.ts';
import { pricesTable, requireEveryTicker } from './prices.ts';
import type { PriceSource, ResolvedParams } from './sources/source.ts';
import schema from './params.schema.json' with { type: 'json' };

const SOURCES: Record<ResolvedParams['source'], () => Promise<{ default: PriceSource }>> = {
  synthetic: () => import('./sources/synthetic.ts'),
  yahoo: () => import('./sources/yahoo.ts'),
  alpaca: () => import('./sources/alpaca.ts'),
  csv: () => import('./sources/file.ts'),
  parquet: () => import('./sources/file.ts'),
};

const isFile = (source: OhlcvParams['source']) => source === 'csv' || source === 'parquet';

function check(params: OhlcvParams): ParamIssue[] {
  const source = params.source ?? 'synthetic';
  const issues: ParamIssue[] = [];
  const required = isFile(source) ? (['path'] as const) : (['tickers', 'start', 'end'] as const);
  for (const key of required) {
    if (params[key] === undefined) issues.push({ path: [key], message: `is required for source ${source}` });
  }
  if (!isFile(source) && params.columns !== undefined) issues.push({ path: ['columns'], message: 'only applies to sources csv and parquet' });
  if ((source === 'synthetic' || isFile(source)) && (params.interval ?? '1d') !== '1d') {
    issues.push({ path: ['interval'], message: `source ${source} has daily bars only (1d)` });
  }
  if (source === 'alpaca') {
    params.tickers?.forEach((tic, i) => {
      if (tic.startsWith('^')) issues.push({ path: ['tickers', i], message: `alpaca has no index data (${tic}); use source yahoo or synthetic` });
    });
  }
  issues.push(...rangeIssues(params));
  const targets = Object.entries(params.columns ?? {});
  targets.forEach(([from, to], i) => {
    const earlier = targets.slice(0, i).find(([, other]) => other === to);
    if (earlier) issues.push({ path: ['columns', from], message: `maps to \`${to}\` like \`${earlier[0]}\` does` });
  });
  return issues;
}

export default definePlugin<OhlcvParams>({
  name: 'ingest.ohlcv',
  version: '1',
  description: 'Daily OHLCV bars (FinRL long format) from yahoo, alpaca, a CSV/Parquet file or the seeded synthetic market.',
  paramsSchema: schema,
  inputs: {},
  outputs: {
    prices: { description: 'date (YYYY-MM-DD), tic, open, high, low, close, volume, day (0 = Monday); sorted by date then tic' },
  },
  files: (params) => (isFile(params.source) && params.path !== undefined ? { deps: [params.path] } : {}),
  alwaysRun: (params) => !params.pin && params.end !== undefined && reachesToday(params.end),
  check,
  async run(ctx, params) {
    const p = params as ResolvedParams;
    const range = p.start !== undefined && p.end !== undefined ? { start: p.start, end: resolveEnd(p.end) } : undefined;
    if (range) checkRange(range);
    const tickers = p.tickers ?? [];
    const { default: fetchPrices } = await SOURCES[p.source]();
    const rows = await fetchPrices({ ctx, params: p, tickers, range });
    requireEveryTicker(rows, tickers, p.source, range);
    ctx.log.info(`${rows.length} rows for ${new Set(rows.map((r) => r.tic)).size} tickers from ${p.source}`);
    return { prices: { kind: 'table', table: pricesTable(rows) } };
  },
});
