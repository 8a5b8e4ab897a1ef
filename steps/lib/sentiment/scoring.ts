/** Scoring a table with an opened model: probabilities per row in the model's label order. */
import type { Table } from '../../../engine/sdk.ts';
import { texts } from './examples.ts';
import { predictProbabilities } from './predict.ts';
import type { OpenedModel } from './saved-model.ts';

export async function scoreTable(opened: OpenedModel, t: Table, textColumn: string | undefined, batchSize: number, input: string, signal?: AbortSignal): Promise<Float32Array> {
  const column = textColumn ?? opened.meta.text_column;
  const sequences = texts(t, column, input).map((text) => opened.tokenizer.encode(text, opened.meta.max_length));
  return predictProbabilities(opened.tf, opened.model, opened.tokenizer.padId, sequences, batchSize, signal);
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
