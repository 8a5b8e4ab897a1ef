/** Scoring a table with an opened model: probabilities per row in the model's label order. */
import type { Table } from '../../../engine/sdk.ts';
import { texts } from './examples.ts';
import { startHelpers } from './predict-helper.ts';
import { predictProbabilities } from './predict.ts';
import type { OpenedModel } from './saved-model.ts';

export interface ScoringOptions {
  textColumn: string | undefined;
  batchSize: number;
  /** Threads scoring batches (this one plus helpers); helpers run on wasm only. */
  threads: number;
  signal?: AbortSignal;
}

export async function scoreTable(opened: OpenedModel, t: Table, input: string, options: ScoringOptions): Promise<Float32Array> {
  const column = options.textColumn ?? opened.meta.text_column;
  const sequences = texts(t, column, input).map((text) => opened.tokenizer.encode(text, opened.meta.max_length));
  const threads = opened.backend === 'wasm' ? options.threads : 1;
  const helpers = await startHelpers(threads, Math.ceil(sequences.length / options.batchSize), { encoderDir: opened.encoderDir, modelDir: opened.modelDir });
  try {
    return await predictProbabilities(opened.tf, opened.model, opened.tokenizer.padId, sequences, options.batchSize, options.signal, helpers.scorers);
  } finally {
    await helpers.close();
  }
}

/** The input rows, then one probability column per label and `predicted`; a `label` column becomes `true_label`. */
export function withPredictions(t: Table, labels: readonly string[], probabilities: Float32Array, predicted: Int32Array, input: string): Table {
  const k = labels.length;
  const names = t.names.map((name) => (name === 'label' ? 'true_label' : name));
  const added = [...labels, 'predicted'];
  const clash = added.find((name) => names.includes(name));
  if (clash !== undefined) throw new Error(`input \`${input}\` already has a column \`${clash}\`, which this step adds`);
  const columns: Record<string, Table['columns'][string]> = {};
  t.names.forEach((name, i) => {
    columns[names[i]!] = t.columns[name]!;
  });
  labels.forEach((label, j) => {
    columns[label] = Float64Array.from({ length: t.rows }, (_, i) => probabilities[i * k + j]!);
  });
  columns.predicted = Array.from(predicted, (j) => labels[j]!);
  return { names: [...names, ...added], columns, rows: t.rows };
}
