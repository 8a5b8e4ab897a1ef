/**
 * `ingest.news`: headlines per ticker and day from Alpaca, Finnhub or NewsAPI, a
 * local CSV/JSON Lines file, or synthetic headlines whose tone follows the prices
 * on the optional `prices` input (the default, fully offline, with known labels).
 */
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import { checkRange, inRange, rangeIssues, reachesToday, resolveEnd } from '../lib/ingest/dates.ts';
import { newsTable } from './news.ts';
import type { NewsParams } from './params.ts';
import type { NewsSource, ResolvedParams } from './sources/source.ts';
import schema from './params.schema.json' with { type: 'json' };

const SOURCES: Record<ResolvedParams['source'], () => Promise<{ default: NewsSource }>> = {
  synthetic: () => import('./sources/synthetic.ts'),
  alpaca: () => import('./sources/alpaca.ts'),
  finnhub: () => import('./sources/finnhub.ts'),
  newsapi: () => import('./sources/newsapi.ts'),
  csv: () => import('./sources/file.ts'),
  jsonl: () => import('./sources/file.ts'),
  fpb: () => import('./sources/fpb.ts'),
};

const isFile = (source: NewsParams['source']) => source === 'csv' || source === 'jsonl' || source === 'fpb';
const isProvider = (source: NewsParams['source']) => source === 'alpaca' || source === 'finnhub' || source === 'newsapi';

function check(params: NewsParams): ParamIssue[] {
  const source = params.source ?? 'synthetic';
  const issues: ParamIssue[] = [];
  const required = isFile(source) ? (['path'] as const) : isProvider(source) ? (['tickers', 'start', 'end'] as const) : [];
  for (const key of required) {
    if (params[key] === undefined) issues.push({ path: [key], message: `is required for source ${source}` });
  }
  if ((!isFile(source) || source === 'fpb') && params.columns !== undefined) issues.push({ path: ['columns'], message: 'only applies to sources csv and jsonl' });
  if (source === 'fpb') {
    for (const key of ['tickers', 'start', 'end'] as const) {
      if (params[key] !== undefined) issues.push({ path: [key], message: 'does not apply to source fpb (its sentences have no date or ticker)' });
    }
  }
  if (source !== 'newsapi' && params.queries !== undefined) issues.push({ path: ['queries'], message: 'only applies to source newsapi' });
  issues.push(...rangeIssues(params));
  return issues;
}

export default definePlugin<NewsParams>({
  name: 'ingest.news',
  version: '1',
  description: 'News headlines per ticker and day from alpaca, finnhub, newsapi, a CSV/JSONL file, or synthetic headlines following the prices.',
  paramsSchema: schema,
  inputs: {
    prices: { optional: true, description: 'FinRL long prices (date, tic, close): what synthetic headlines follow' },
  },
  outputs: {
    news: { description: 'date (YYYY-MM-DD, New York), tic, headline, summary, source, url, label (positive/negative/neutral or null); sorted by date, tic, time' },
  },
  files: (params) => (isFile(params.source) && params.path !== undefined ? { deps: [params.path] } : {}),
  alwaysRun: (params) => !params.pin && isProvider(params.source) && params.end !== undefined && reachesToday(params.end),
  check,
  async run(ctx, params, inputs) {
    const p = params as ResolvedParams;
    const range = p.start !== undefined && p.end !== undefined ? { start: p.start, end: resolveEnd(p.end) } : undefined;
    if (range) checkRange(range);
    const tickers = p.tickers ?? [];
    const { default: fetchNews } = await SOURCES[p.source]();
    const fetched = await fetchNews({ ctx, params: p, tickers, range, prices: inputs.prices });
    const wanted = tickers.length > 0 ? new Set(tickers) : undefined;
    const rows = fetched.filter((r) => (!wanted || (r.tic !== null && wanted.has(r.tic))) && (!range || (r.date !== null && inRange(r.date, range))));
    if (isProvider(p.source)) {
      const covered = new Set(rows.map((r) => r.tic));
      if (covered.size === 0) throw new Error(`no news from ${p.source} for ${tickers.join(', ')} between ${range!.start} and ${range!.end}`);
      for (const tic of tickers) if (!covered.has(tic)) ctx.log.warn(`no news from ${p.source} for ${tic} between ${range!.start} and ${range!.end} (unknown symbol?)`);
    }
    if (p.source === 'fpb') ctx.log.info(`${rows.length} labelled sentences from ${p.path}`);
    else ctx.log.info(`${rows.length} headlines for ${new Set(rows.map((r) => r.tic)).size} tickers from ${p.source}`);
    return { news: { kind: 'table', table: newsTable(rows) } };
  },
});
