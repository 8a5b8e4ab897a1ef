/**
 * Class probabilities (softmax of the logits) in batches, each padded to its longest
 * sequence; no gradients, LoRA merged into the weights. Sequences are sorted by length
 * first (batches of similar lengths pad little); results go back in input order. A
 * batch's result does not depend on which thread scores it, so batches may be shared
 * with helper threads (predict-helper.ts) pulling from the same queue.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tf } from '../agent/backend.ts';
import { padBatch } from '../encoder/tokenizer.ts';
import type { BertClassifier } from './bert.ts';

/** Scores one batch elsewhere (another thread); row-major [sequences, labels]. */
export interface BatchScorer {
  score(sequences: readonly number[][]): Promise<Float32Array>;
}

/** Row indices per batch, shortest sequences first. */
export function batchesByLength(sequences: readonly number[][], batchSize: number): number[][] {
  const order = Array.from(sequences.keys()).sort((a, b) => sequences[a]!.length - sequences[b]!.length || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/** One batch's probabilities, row-major. `merged` comes from `model.mergeAdapter()`. */
export async function scoreBatch(tf: Tf, model: BertClassifier, merged: ReadonlyMap<string, TfCore.Tensor2D>, padId: number, sequences: readonly number[][]): Promise<Float32Array> {
  const batch = padBatch(sequences, padId);
  const probabilities = tf.tidy(() => tf.softmax(model.logits(model.embed(batch), batch, { differentiable: false, merged }), -1));
  try {
    return (await probabilities.data()) as Float32Array;
  } finally {
    probabilities.dispose();
  }
}

/** Row-major [sequences, labels]. */
export async function predictProbabilities(
  tf: Tf,
  model: BertClassifier,
  padId: number,
  sequences: readonly number[][],
  batchSize: number,
  signal?: AbortSignal,
  helpers: readonly BatchScorer[] = [],
): Promise<Float32Array> {
  const labels = model.adapter.classifier.bias.shape[0];
  const out = new Float32Array(sequences.length * labels);
  const batches = batchesByLength(sequences, batchSize);
  let next = 0;
  const store = (rows: readonly number[], values: Float32Array) => rows.forEach((row, i) => out.set(values.subarray(i * labels, (i + 1) * labels), row * labels));
  // Every scorer takes the next unscored batch until none is left: faster threads take more.
  const helped = helpers.map(async (helper) => {
    while (next < batches.length) {
      signal?.throwIfAborted();
      const rows = batches[next++]!;
      store(rows, await helper.score(rows.map((i) => sequences[i]!)));
    }
  });
  const merged = model.mergeAdapter();
  try {
    while (next < batches.length) {
      signal?.throwIfAborted();
      const rows = batches[next++]!;
      store(rows, await scoreBatch(tf, model, merged, padId, rows.map((i) => sequences[i]!)));
      // Let helpers' answers in between this thread's batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    tf.dispose([...merged.values()]);
  }
  await Promise.all(helped);
  return out;
}
