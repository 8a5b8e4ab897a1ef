/**
 * NewsAPI (GET /v2/everything), one search per ticker (`queries` maps a ticker to
 * its search text; default the ticker), paged by `page` until `totalResults` is
 * reached. The key goes in the X-Api-Key header.
 */
import { getJson, HttpError, providerFetch, requestFailure } from '../../lib/http/retry.ts';
import { requireSecrets } from '../../lib/http/secrets.ts';
import { dateInZone, formatDay, inRange, parseDay } from '../../lib/ingest/dates.ts';
import type { NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

const NEWSAPI_ORIGIN = 'https://newsapi.org';
const PAGE_SIZE = 100;

interface NewsApiAnswer {
  status: 'ok' | 'error';
  totalResults?: number;
  articles?: {
    source?: { id: string | null; name: string | null };
    title: string | null;
    description: string | null;
    url: string | null;
    publishedAt: string;
  }[];
  code?: string;
  message?: string;
}

export default async function newsapi({ ctx, params, tickers, range }: SourceRequest): Promise<NewsRow[]> {
  if (!range) throw new Error('source newsapi needs start and end');
  const { NEWSAPI_API_KEY: key } = requireSecrets(ctx, 'newsapi', ['NEWSAPI_API_KEY']);
  const rows: NewsRow[] = [];
  for (const tic of tickers) {
    const q = params.queries?.[tic] ?? tic;
    for (let page = 1, seen = 0; ; page++) {
      const what = `newsapi request for ${tic} (page ${page})`;
      const query = new URLSearchParams({
        q,
        from: range.start,
        to: formatDay(parseDay(range.end)! - 1),
        language: params.language,
        sortBy: 'publishedAt',
        pageSize: String(PAGE_SIZE),
        page: String(page),
      });
      let answer: NewsApiAnswer;
      try {
        answer = (await getJson(providerFetch(ctx, params, NEWSAPI_ORIGIN, what), `${NEWSAPI_ORIGIN}/v2/everything?${query}`, { 'X-Api-Key': key })) as NewsApiAnswer;
      } catch (error) {
        // Developer plans stop at 100 results: keep what was fetched.
        if (error instanceof HttpError && (error.body as NewsApiAnswer | undefined)?.code === 'maximumResultsReached') {
          ctx.log.warn(`newsapi: ${tic} has more results than this plan may fetch; kept the first ${seen}`);
          break;
        }
        throw requestFailure(what, error);
      }
      if (answer.status !== 'ok') throw requestFailure(what, `${answer.code}: ${answer.message}`);
      const articles = answer.articles ?? [];
      for (const a of articles) {
        const time = Date.parse(a.publishedAt);
        const date = dateInZone(time, 'America/New_York');
        if (!a.title || !inRange(date, range)) continue;
        rows.push({ date, tic, headline: a.title, summary: a.description || null, source: a.source?.name || null, url: a.url || null, label: null, time });
      }
      seen += articles.length;
      if (articles.length === 0 || seen >= (answer.totalResults ?? 0)) break;
    }
  }
  return rows;
}
