/**
 * `features.sentiment_merge`: daily per-ticker aggregates of headline sentiment (probabilities
 * and/or labels from the sentiment model) joined onto the feature table.
 */
import { definePlugin } from '../../engine/sdk.ts';
import { mergeSentiment } from './aggregate.ts';
import type { SentimentMergeParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<SentimentMergeParams>({
  name: 'features.sentiment_merge',
  version: '1',
  description: 'Joins daily per-ticker sentiment aggregates (mean probabilities, label counts or majority label) onto a feature table.',
  paramsSchema: schema,
  inputs: {
    features: { description: 'a table with date (YYYY-MM-DD) and tic, e.g. from features.indicators' },
    sentiment: { description: 'one row per headline: date (day or ISO timestamp), tic, and positive, negative, neutral probabilities and/or label' },
  },
  outputs: {
    features: { description: 'the input features plus the aggregate columns; days without news get zeros' },
  },
  async run(ctx, params, inputs) {
    const aggregate = params.aggregate ?? 'mean_probs';
    const features = await inputs.features!.table();
    const sentiment = await inputs.sentiment!.table();
    const table = mergeSentiment(features, sentiment, aggregate);
    ctx.log.info(`${sentiment.rows} headlines merged onto ${table.rows} rows (${aggregate})`);
    return { features: { kind: 'table', table } };
  },
});
