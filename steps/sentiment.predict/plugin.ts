/**
 * `sentiment.predict`: a sentiment.lora model's class probabilities (softmax of the
 * logits) and argmax label for every row of a table, batched, no gradients. A true
 * `label` column is carried over as `true_label`, so features.sentiment_merge
 * aggregates the model's probabilities rather than the labels. See README.md.
 */
import { definePlugin } from '../../engine/sdk.ts';
import { modelDir } from '../lib/sentiment/saved-model.ts';
import type { SentimentPredictParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<SentimentPredictParams>({
  name: 'sentiment.predict',
  version: '1',
  description: "Score a table's texts with a sentiment.lora model: one probability column per label and the predicted label.",
  paramsSchema: schema,
  inputs: {
    model: { optional: true, description: 'a sentiment.lora model directory; or set the `model` param to a registered one' },
    encoder: { description: 'the encoder the model was trained on' },
    news: { description: 'rows with a text column (headline by default)' },
  },
  outputs: { sentiment: { description: 'the input rows plus one probability column per label and `predicted`; `label` renamed `true_label`' } },
  async run(ctx, params, inputs) {
    const [{ openSavedModel }, { scoreTable, withPredictions }, { argmaxRows }] = await Promise.all([
      import('../lib/sentiment/saved-model.ts'),
      import('../lib/sentiment/scoring.ts'),
      import('../lib/sentiment/metrics.ts'),
    ]);
    const opened = await openSavedModel(ctx, params.device!, modelDir(params.model, inputs.model), inputs.encoder!);
    try {
      const news = await inputs.news!.table();
      const started = performance.now();
      const probabilities = await scoreTable(opened, news, 'news', { textColumn: params.text_column, batchSize: params.batch_size!, threads: params.threads!, signal: ctx.signal });
      const seconds = (performance.now() - started) / 1000;
      ctx.log.info(`${news.rows} texts scored: ${(news.rows / seconds).toFixed(1)} per second`);
      const { labels } = opened.meta;
      return { sentiment: { kind: 'table', table: withPredictions(news, labels, probabilities, argmaxRows(probabilities, labels.length), 'news') } };
    } finally {
      opened.dispose();
    }
  },
});
