/** Class probabilities (softmax of the logits) in batches, each padded to its longest sequence; no gradients, LoRA merged into the weights. */
import type { Tf } from '../agent/backend.ts';
import { padBatch } from '../encoder/tokenizer.ts';
import type { BertClassifier } from './bert.ts';

/** Row-major [sequences, labels]. */
export async function predictProbabilities(tf: Tf, model: BertClassifier, padId: number, sequences: readonly number[][], batchSize: number, signal?: AbortSignal): Promise<Float32Array> {
  const labels = model.adapter.classifier.bias.shape[0];
  const out = new Float32Array(sequences.length * labels);
  // Sorting by length first means batches of similar lengths and less padding; results go back in input order.
  const order = Array.from(sequences.keys()).sort((a, b) => sequences[a]!.length - sequences[b]!.length || a - b);
  const merged = model.mergeAdapter();
  try {
    for (let start = 0; start < order.length; start += batchSize) {
      signal?.throwIfAborted();
      const rows = order.slice(start, start + batchSize);
      const batch = padBatch(rows.map((i) => sequences[i]!), padId);
      const probabilities = tf.tidy(() => tf.softmax(model.logits(model.embed(batch), batch, { differentiable: false, merged }), -1));
      const values = (await probabilities.data()) as Float32Array;
      probabilities.dispose();
      rows.forEach((row, i) => out.set(values.subarray(i * labels, (i + 1) * labels), row * labels));
    }
  } finally {
    tf.dispose([...merged.values()]);
  }
  return out;
}
