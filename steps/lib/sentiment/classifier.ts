/** Assembling a classifier: the frozen encoder, its tokenizer, and an adapter from given values. */
import type { Tf } from '../agent/backend.ts';
import { loadTokenizer, type TextEncoder } from '../encoder/tokenizer.ts';
import { BertClassifier } from './bert.ts';
import { loadEncoderWeights } from './encoder-weights.ts';
import { createAdapter, type AdapterValues, type LoraSettings } from './lora.ts';

export interface LoadedClassifier {
  readonly model: BertClassifier;
  readonly tokenizer: TextEncoder;
  dispose(): void;
}

export async function loadClassifier(tf: Tf, encoderDir: string, settings: LoraSettings, labels: number, values: AdapterValues | ((model: Awaited<ReturnType<typeof loadEncoderWeights>>) => AdapterValues)): Promise<LoadedClassifier> {
  const [encoder, tokenizer] = await Promise.all([loadEncoderWeights(tf, encoderDir), loadTokenizer(encoderDir)]);
  const adapter = createAdapter(tf, encoder, settings, labels, typeof values === 'function' ? values(encoder) : values);
  return {
    model: new BertClassifier(tf, encoder, adapter),
    tokenizer,
    dispose() {
      adapter.dispose();
      encoder.dispose();
    },
  };
}
