/** features.sentiment_merge on a hand-made headline table. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table } from '../../engine/table/table.ts';
import plugin from '../../steps/features.sentiment_merge/plugin.ts';
import { mergeSentiment } from '../../steps/features.sentiment_merge/aggregate.ts';
import { runTable } from '../ingest/harness.ts';
import { rejects } from '../backtest/step-context.ts';
import { tableInput } from '../table/helpers.ts';

const features = table({
  date: ['2024-01-02', '2024-01-02', '2024-01-03', '2024-01-03'],
  tic: ['AAA', 'BBB', 'AAA', 'BBB'],
  close: new Float64Array([10, 20, 11, 21]),
});

// AAA on 01-02: two headlines (one positive, one negative by argmax), one of them timestamped.
// BBB on 01-02: three headlines, label majority neutral. AAA on 01-03: none. BBB on 01-03: a tie.
// A headline for a ticker or day the features lack is ignored.
const headlines = table({
  date: ['2024-01-02', '2024-01-02T21:30:00Z', '2024-01-02', '2024-01-02', '2024-01-02', '2024-01-03', '2024-01-03', '2024-01-05'],
  tic: ['AAA', 'AAA', 'BBB', 'BBB', 'BBB', 'BBB', 'BBB', 'AAA'],
  positive: new Float64Array([0.7, 0.1, 0.2, 0.1, 0.6, 0.8, 0.1, 0.9]),
  negative: new Float64Array([0.2, 0.6, 0.1, 0.3, 0.1, 0.1, 0.8, 0.05]),
  neutral: new Float64Array([0.1, 0.3, 0.7, 0.6, 0.3, 0.1, 0.1, 0.05]),
});

const column = (t: ReturnType<typeof mergeSentiment>, name: string) => [...(t.columns[name] as Float64Array)];
const close = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-12);

test('mean_probs: mean probabilities per ticker and day, news_count, zeros without news', () => {
  const t = mergeSentiment(features, headlines, 'mean_probs');
  assert.equal(t.names, ['date', 'tic', 'close', 'sentiment_positive', 'sentiment_negative', 'sentiment_neutral', 'news_count']);
  assert.ok(close(column(t, 'sentiment_positive'), [0.4, 0.3, 0, 0.45]), String(column(t, 'sentiment_positive')));
  assert.ok(close(column(t, 'sentiment_negative'), [0.4, 0.5 / 3, 0, 0.45]), String(column(t, 'sentiment_negative')));
  assert.ok(close(column(t, 'sentiment_neutral'), [0.2, 1.6 / 3, 0, 0.1]), String(column(t, 'sentiment_neutral')));
  assert.equal(column(t, 'news_count'), [2, 3, 0, 2]);
  assert.equal(t.columns.close, features.columns.close);
});

test('count_sentiment: headlines per argmax label', () => {
  const t = mergeSentiment(features, headlines, 'count_sentiment');
  assert.equal(t.names.slice(3), ['sentiment_positive_count', 'sentiment_negative_count', 'sentiment_neutral_count', 'news_count']);
  assert.equal(column(t, 'sentiment_positive_count'), [1, 1, 0, 1]);
  assert.equal(column(t, 'sentiment_negative_count'), [1, 0, 0, 1]);
  assert.equal(column(t, 'sentiment_neutral_count'), [0, 2, 0, 0]);
});

test('majority_vote_label: +1 / -1 / 0 for the most frequent label; ties and no news are 0', () => {
  const t = mergeSentiment(features, headlines, 'majority_vote_label');
  assert.equal(t.names.slice(3), ['sentiment_label', 'news_count']);
  assert.equal(column(t, 'sentiment_label'), [0, 0, 0, 0]);
  const labelled = table({
    date: ['2024-01-02', '2024-01-02', '2024-01-02', '2024-01-03', '2024-01-03'],
    tic: ['AAA', 'AAA', 'BBB', 'BBB', 'BBB'],
    label: ['Positive', 'positive', 'negative', 'negative', ' NEGATIVE '],
  });
  const v = mergeSentiment(features, labelled, 'majority_vote_label');
  assert.equal(column(v, 'sentiment_label'), [1, -1, 0, -1]);
  assert.equal(column(v, 'news_count'), [2, 1, 0, 2]);
});

test('a label column wins over probabilities for counts, except where it is empty', () => {
  const both = table({ ...headlines.columns, label: ['neutral', null, 'neutral', 'neutral', 'neutral', 'positive', 'positive', 'neutral'] });
  const t = mergeSentiment(features, both, 'count_sentiment');
  // AAA's second headline has no label: its probabilities say negative
  assert.equal(column(t, 'sentiment_neutral_count'), [1, 3, 0, 0]);
  assert.equal(column(t, 'sentiment_negative_count'), [1, 0, 0, 0]);
  assert.equal(column(t, 'sentiment_positive_count'), [0, 0, 0, 2]);
});

test('mean_probs over labels alone treats each label as a one-hot probability (synthetic news)', () => {
  const labelsOnly = table({ date: ['2024-01-02', '2024-01-02', '2024-01-02'], tic: ['AAA', 'AAA', 'AAA'], label: ['positive', 'negative', 'positive'] });
  const t = mergeSentiment(features, labelsOnly, 'mean_probs');
  assert.equal(column(t, 'sentiment_positive').slice(0, 1), [2 / 3]);
  assert.equal(column(t, 'sentiment_negative').slice(0, 1), [1 / 3]);
  assert.equal(column(t, 'sentiment_neutral').slice(0, 1), [0]);
  assert.equal(column(t, 'news_count').slice(0, 1), [3]);
});

test('bad sentiment input: one message naming the column or row', () => {
  const badLabel = table({ date: ['2024-01-02', '2024-01-02'], tic: ['AAA', 'AAA'], label: ['positive', 'bullish'] });
  assert.throws(() => mergeSentiment(features, badLabel, 'count_sentiment'), /^input `sentiment`: row 2: `label` is `bullish`; expected positive, negative or neutral$/);
  const unlabelled = table({ date: ['2024-01-02', '2024-01-02'], tic: ['AAA', 'AAA'], label: ['positive', null] });
  assert.throws(() => mergeSentiment(features, unlabelled, 'count_sentiment'), /^input `sentiment`: row 2: `label` is empty; expected positive, negative or neutral$/);
  const partial = table({ date: ['2024-01-02'], tic: ['AAA'], positive: new Float64Array([1]), negative: new Float64Array([0]) });
  assert.throws(() => mergeSentiment(features, partial, 'mean_probs'), /^input `sentiment`: has positive, negative but not neutral; probabilities come as the three columns positive, negative, neutral$/);
  const badDate = table({ ...headlines.columns, date: ['01/02/2024', ...(headlines.columns.date as string[]).slice(1)] });
  assert.throws(() => mergeSentiment(features, badDate, 'mean_probs'), /^input `sentiment`: row 1: date `01\/02\/2024` is not YYYY-MM-DD or an ISO timestamp$/);
  const nanProb = table({ ...headlines.columns, neutral: new Float64Array([0.1, NaN, 0.7, 0.6, 0.3, 0.1, 0.1, 0.05]) });
  assert.throws(() => mergeSentiment(features, nanProb, 'mean_probs'), /^input `sentiment`: column `neutral` is empty at row 2$/);
});

test('run(): mean_probs by default, tables through Parquet', async () => {
  const out = await runTable(plugin, {}, { port: 'features', inputs: { features: tableInput(features), sentiment: tableInput(headlines) } });
  assert.equal(out.names.slice(3), ['sentiment_positive', 'sentiment_negative', 'sentiment_neutral', 'news_count']);
  const clash = table({ ...features.columns, news_count: new Float64Array(4) });
  await rejects(
    () => runTable(plugin, { aggregate: 'count_sentiment' }, { port: 'features', inputs: { features: tableInput(clash), sentiment: tableInput(headlines) } }),
    'input `features` already has a column `news_count`, which this step adds',
  );
});

test.run();
