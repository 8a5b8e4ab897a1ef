/**
 * Headline sentiment rolled up per (day, ticker) and joined onto a feature table: every feature
 * row gets its day's aggregate, and days without news get zeros.
 */
import { orderedTable, type Table } from '../../engine/sdk.ts';
import { stringColumn } from '../lib/indicators/panel.ts';
import type { SentimentMergeParams } from './params.ts';

export type Aggregate = NonNullable<SentimentMergeParams['aggregate']>;

/** Label order used for probabilities, counts and argmax ties (FinBERT's: positive, negative, neutral). */
const LABELS = ['positive', 'negative', 'neutral'] as const;
/** majority_vote_label's encoding of the winning label. */
const LABEL_SCORE = [1, -1, 0] as const;

export const OUTPUT_COLUMNS: Record<Aggregate, readonly string[]> = {
  mean_probs: ['sentiment_positive', 'sentiment_negative', 'sentiment_neutral', 'news_count'],
  count_sentiment: ['sentiment_positive_count', 'sentiment_negative_count', 'sentiment_neutral_count', 'news_count'],
  majority_vote_label: ['sentiment_label', 'news_count'],
};

interface DayTotals {
  count: number;
  /** Indexed like LABELS. */
  probSums: number[];
  labelCounts: number[];
}

export function mergeSentiment(features: Table, sentiment: Table, aggregate: Aggregate): Table {
  const added = OUTPUT_COLUMNS[aggregate];
  const clash = added.find((name) => features.names.includes(name));
  if (clash !== undefined) throw new Error(`input \`features\` already has a column \`${clash}\`, which this step adds`);
  const totals = dailyTotals(sentiment, aggregate);
  const dates = stringColumn(features, 'date', 'features');
  const tics = stringColumn(features, 'tic', 'features');
  const out = added.map(() => new Float64Array(features.rows));
  for (let i = 0; i < features.rows; i++) {
    const day = totals.get(key(dayOf(dates[i]!, 'features', i), tics[i]!));
    if (day === undefined) continue; // no news: zeros
    const values = aggregateValues(day, aggregate);
    values.forEach((v, j) => {
      out[j]![i] = v;
    });
  }
  const columns = { ...features.columns };
  added.forEach((name, j) => {
    columns[name] = out[j]!;
  });
  return orderedTable([...features.names, ...added], columns);
}

function aggregateValues(day: DayTotals, aggregate: Aggregate): number[] {
  switch (aggregate) {
    case 'mean_probs':
      return [...day.probSums.map((s) => s / day.count), day.count];
    case 'count_sentiment':
      return [...day.labelCounts, day.count];
    case 'majority_vote_label':
      return [majorityScore(day.labelCounts), day.count];
  }
}

/** The most frequent label's score; a tie for first place is neutral (0). */
function majorityScore(counts: readonly number[]): number {
  const top = Math.max(...counts);
  const winners = LABELS.map((_, j) => j).filter((j) => counts[j] === top);
  return winners.length === 1 ? LABEL_SCORE[winners[0]!]! : 0;
}

function dailyTotals(sentiment: Table, aggregate: Aggregate): Map<string, DayTotals> {
  const dates = stringColumn(sentiment, 'date', 'sentiment');
  const tics = stringColumn(sentiment, 'tic', 'sentiment');
  const probs = probabilityColumns(sentiment);
  const labels = labelColumn(sentiment);
  if (probs === undefined && labels === undefined) {
    throw new Error(`input \`sentiment\`: needs a \`label\` column or columns positive, negative, neutral (columns: ${sentiment.names.join(', ')})`);
  }
  const totals = new Map<string, DayTotals>();
  for (let i = 0; i < sentiment.rows; i++) {
    const k = key(dayOf(dates[i]!, 'sentiment', i), tics[i]!);
    let day = totals.get(k);
    if (day === undefined) {
      day = { count: 0, probSums: [0, 0, 0], labelCounts: [0, 0, 0] };
      totals.set(k, day);
    }
    day.count++;
    const p = probs?.map((column, j) => {
      const v = column[i]!;
      if (Number.isNaN(v)) throw new Error(`input \`sentiment\`: column \`${LABELS[j]}\` is empty at row ${i + 1}`);
      return v;
    });
    if (p !== undefined) for (let j = 0; j < 3; j++) day.probSums[j]! += p[j]!;
    // an empty label (unknown) falls back to the probabilities when there are some
    const label = labels?.[i];
    const useLabel = labels !== undefined && (p === undefined || (label !== null && label !== undefined && label !== ''));
    const chosen = useLabel ? labelIndex(label, i) : argmax(p!);
    day.labelCounts[chosen]! += 1;
    // Labels without probabilities (e.g. synthetic news) count as one-hot probabilities.
    if (p === undefined) day.probSums[chosen]! += 1;
  }
  return totals;
}

function probabilityColumns(sentiment: Table): Float64Array[] | undefined {
  const present = LABELS.filter((name) => sentiment.columns[name] !== undefined);
  if (present.length === 0) return undefined;
  if (present.length < LABELS.length) {
    throw new Error(`input \`sentiment\`: has ${present.join(', ')} but not ${LABELS.filter((l) => !present.includes(l)).join(', ')}; probabilities come as the three columns positive, negative, neutral`);
  }
  return LABELS.map((name) => {
    const column = sentiment.columns[name]!;
    if (column instanceof Float64Array) return column;
    if (column instanceof Int32Array) return Float64Array.from(column);
    throw new Error(`input \`sentiment\`: column \`${name}\` must hold numbers (probabilities), found strings`);
  });
}

function labelColumn(sentiment: Table): readonly (string | null)[] | undefined {
  const column = sentiment.columns.label;
  if (column === undefined) return undefined;
  if (column instanceof Float64Array || column instanceof Int32Array) {
    throw new Error('input `sentiment`: column `label` must hold positive, negative or neutral, found numbers');
  }
  return column;
}

function labelIndex(label: string | null | undefined, row: number): number {
  const j = LABELS.indexOf((label ?? '').trim().toLowerCase() as (typeof LABELS)[number]);
  if (j < 0) {
    const found = label === null || label === undefined || label === '' ? 'empty' : `\`${label}\``;
    throw new Error(`input \`sentiment\`: row ${row + 1}: \`label\` is ${found}; expected positive, negative or neutral`);
  }
  return j;
}

/** The first largest probability, in positive, negative, neutral order. */
function argmax(p: readonly number[]): number {
  let best = 0;
  for (let j = 1; j < p.length; j++) if (p[j]! > p[best]!) best = j;
  return best;
}

/** The calendar day of a YYYY-MM-DD date or an ISO timestamp. */
function dayOf(date: string, port: string, row: number): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(date)) throw new Error(`input \`${port}\`: row ${row + 1}: date \`${date}\` is not YYYY-MM-DD or an ISO timestamp`);
  return date.slice(0, 10);
}

function key(day: string, tic: string): string {
  return `${day}\u0000${tic}`;
}
