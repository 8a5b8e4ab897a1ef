/**
 * `sentiment.evaluate`: a sentiment.lora model on a labelled table, with scikit-learn's
 * metrics (weighted and macro F1, accuracy, per-class precision/recall/F1/support,
 * confusion matrix with rows = true and columns = predicted). See README.md.
 */
import { definePlugin } from '../../engine/sdk.ts';
import { modelDir } from '../lib/sentiment/saved-model.ts';
import type { SentimentEvaluateParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<SentimentEvaluateParams>({
  name: 'sentiment.evaluate',
  cpu: true,
  version: '1',
  description: 'Evaluate a sentiment.lora model on labelled texts: weighted/macro F1, accuracy, per-class metrics, confusion matrix.',
  paramsSchema: schema,
  inputs: {
    model: { optional: true, description: 'a sentiment.lora model directory; or set the `model` param to a registered one' },
    encoder: { description: 'the encoder the model was trained on' },
    test: { description: 'labelled rows: a text column and `label_column`' },
  },
  outputs: {
    metrics: { description: 'json: weighted_f1, macro_f1, accuracy, per_class {precision, recall, f1, support}, confusion_matrix, labels, count' },
    predictions: { description: 'the test rows plus one probability column per label and `predicted` (`label` renamed `true_label`)' },
    stats: { description: 'json: the same metrics as a flat object of numbers (weighted_f1, macro_f1, accuracy, count, f1_<label>, …) for registry.register and registry.promote' },
  },
  async run(ctx, params, inputs) {
    const [{ openSavedModel }, { scoreTable, withPredictions }, { argmaxRows, classificationMetrics, flatStats }, { labelIndices }] = await Promise.all([
      import('../lib/sentiment/saved-model.ts'),
      import('../lib/sentiment/scoring.ts'),
      import('../lib/sentiment/metrics.ts'),
      import('../lib/sentiment/examples.ts'),
    ]);
    const opened = await openSavedModel(ctx, params.device!, modelDir(params.model, inputs.model), inputs.encoder!);
    try {
      const test = await inputs.test!.table();
      const { labels } = opened.meta;
      const truth = labelIndices(test, params.label_column!, labels, 'test');
      const probabilities = await scoreTable(opened, test, 'test', { textColumn: params.text_column, batchSize: params.batch_size!, threads: params.threads!, signal: ctx.signal });
      const predicted = argmaxRows(probabilities, labels.length);
      const metrics = classificationMetrics(labels, truth, predicted);
      for (const name of ['weighted_f1', 'macro_f1', 'accuracy'] as const) ctx.track.metric(name, metrics[name]);
      ctx.log.info(`${test.rows} texts: weighted F1 ${metrics.weighted_f1.toFixed(4)}, macro F1 ${metrics.macro_f1.toFixed(4)}, accuracy ${metrics.accuracy.toFixed(4)}`);
      return {
        metrics: { kind: 'json', value: metrics },
        stats: { kind: 'json', value: flatStats(metrics) },
        predictions: { kind: 'table', table: withPredictions(test, labels, probabilities, predicted, 'test') },
      };
    } finally {
      opened.dispose();
    }
  },
});
