/**
 * Synthetic headlines from prices: for every ticker and day, `per_day` headlines
 * whose tone follows that ticker's close-to-close move (or the move `horizon` days
 * later), measured in the ticker's own daily standard deviations. With probability
 * `label_noise` a headline's tone departs from the move (chosen uniformly among the
 * other two tones); the label is always the headline's own tone, so the text→label
 * mapping is exact while the news→price link is noisy, as with real news.
 *
 * Each ticker has its own seeded stream (../lib/random.ts) consumed in date
 * order over the whole price history, so filters don't change the headlines kept.
 */
import { numberColumn, stringColumn, type Table } from '../../engine/sdk.ts';
import { Draws } from '../lib/random.ts';
import { PHRASES, fill } from './headlines.ts';
import { LABELS, type Label, type NewsRow } from './news.ts';

export interface SyntheticNewsOptions {
  seed: number;
  threshold: number;
  horizon: number;
  labelNoise: number;
  perDay: number;
}

interface Series {
  dates: string[];
  closes: number[];
}

function seriesByTicker(prices: Table): Map<string, Series> {
  const date = stringColumn(prices, 'date');
  const tic = stringColumn(prices, 'tic');
  const close = numberColumn(prices, 'close');
  const order = Array.from({ length: prices.rows }, (_, i) => i).sort((a, b) => (date[a]! < date[b]! ? -1 : date[a]! > date[b]! ? 1 : 0));
  const out = new Map<string, Series>();
  for (const i of order) {
    const name = tic[i]!;
    let series = out.get(name);
    if (!series) out.set(name, (series = { dates: [], closes: [] }));
    series.dates.push(date[i]!);
    series.closes.push(close[i]!);
  }
  return out;
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

export function toneOf(move: number, sd: number, threshold: number): Label {
  const z = move / sd;
  return z > threshold ? 'positive' : z < -threshold ? 'negative' : 'neutral';
}

/** `tickers` undefined: every ticker of the prices except ^ indexes. */
export function syntheticNews(prices: Table, tickers: ReadonlySet<string> | undefined, options: SyntheticNewsOptions): NewsRow[] {
  const rows: NewsRow[] = [];
  for (const [tic, { dates, closes }] of seriesByTicker(prices)) {
    if (tickers ? !tickers.has(tic) : tic.startsWith('^')) continue;
    const moves = closes.slice(1).map((c, i) => c / closes[i]! - 1);
    if (moves.length < 2) continue;
    const sd = standardDeviation(moves);
    const draws = new Draws(options.seed, `news/${tic}`);
    dates.forEach((date, t) => {
      // moves[k] is the move into day k + 1.
      const move = moves[t + options.horizon - 1];
      if (move === undefined) return;
      const tone = toneOf(move, sd, options.threshold);
      for (let k = 0; k < options.perDay; k++) {
        const departs = draws.uniform() < options.labelNoise;
        const others = LABELS.filter((l) => l !== tone);
        const other = draws.element(others);
        const label = departs ? other : tone;
        const phrases = PHRASES[label];
        const why = draws.element(phrases.catalysts);
        rows.push({
          date,
          tic,
          headline: fill(draws.element(phrases.headlines), tic, why),
          summary: fill(draws.element(phrases.summaries), tic, why),
          source: 'synthetic',
          url: `synthetic://news/${tic}/${date}/${k}`,
          label,
          time: k,
        });
      }
    });
  }
  return rows;
}
