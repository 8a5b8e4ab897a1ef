/**
 * The frozen BERT weights as tfjs tensors, read from the encoder's model.safetensors.
 * Linear weights are kept both transposed ([in, out], for the forward pass) and as
 * stored ([out, in], for the backward pass), so every dense layer is a plain 2-D matmul
 * either way (wasm's transposed matmul is a slow path). Both a bare
 * `BertModel` checkpoint (MiniLM: `embeddings.…`) and a task checkpoint (FinBERT:
 * `bert.embeddings.…`) load.
 */
import { join } from 'node:path';
import type { Tf } from '../agent/backend.ts';
import { readBertConfig, type BertConfig } from '../encoder/folder.ts';
import { readSafetensors, type F32Tensor } from '../encoder/safetensors.ts';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tensor = TfCore.Tensor;

export interface Dense {
  /** The module's path in BertForSequenceClassification, e.g. `bert.encoder.layer.0.attention.self.query`. */
  readonly path: string;
  /** [in, out] */
  readonly weight: TfCore.Tensor2D;
  /** [out, in], torch's layout: the backward pass multiplies by it. */
  readonly weightT: TfCore.Tensor2D;
  readonly bias: TfCore.Tensor1D;
}

export interface LayerNorm {
  readonly gamma: TfCore.Tensor1D;
  readonly beta: TfCore.Tensor1D;
}

export interface EncoderLayer {
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly attentionOutput: Dense;
  readonly attentionNorm: LayerNorm;
  readonly intermediate: Dense;
  readonly output: Dense;
  readonly outputNorm: LayerNorm;
}

export interface EncoderWeights {
  readonly config: BertConfig;
  readonly wordEmbeddings: TfCore.Tensor2D;
  readonly positionEmbeddings: TfCore.Tensor2D;
  readonly tokenTypeEmbeddings: TfCore.Tensor2D;
  readonly embeddingNorm: LayerNorm;
  readonly layers: readonly EncoderLayer[];
  readonly pooler: Dense;
  /** Every Linear of the encoder, by module path: what LoRA's target_modules match against. */
  readonly linears: ReadonlyMap<string, Dense>;
  dispose(): void;
}

export async function loadEncoderWeights(tf: Tf, dir: string): Promise<EncoderWeights> {
  const config = await readBertConfig(dir);
  const file = join(dir, 'model.safetensors');
  const raw = await readSafetensors(file);
  const prefix = raw.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const created: TfCore.Tensor[] = [];
  const get = (name: string): F32Tensor => {
    const t = raw.get(prefix + name);
    if (t === undefined) throw new Error(`${file}: no F32 tensor ${prefix + name} (is this an F32 BERT checkpoint with a pooler?)`);
    return t;
  };
  const keep = <T extends TfCore.Tensor>(t: T): T => (created.push(t), t);
  const matrix = (name: string) => {
    const t = get(name);
    return keep(tf.tensor2d(t.data, [t.shape[0]!, t.shape[1]!]));
  };
  const vector = (name: string) => keep(tf.tensor1d(get(name).data));
  const dense = (name: string): Dense => {
    const weightT = matrix(`${name}.weight`);
    const weight = keep(tf.transpose(weightT) as TfCore.Tensor2D);
    return { path: `bert.${name}`, weight, weightT, bias: vector(`${name}.bias`) };
  };
  const norm = (name: string): LayerNorm => ({ gamma: vector(`${name}.weight`), beta: vector(`${name}.bias`) });

  const layers: EncoderLayer[] = [];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const at = `encoder.layer.${i}`;
    layers.push({
      query: dense(`${at}.attention.self.query`),
      key: dense(`${at}.attention.self.key`),
      value: dense(`${at}.attention.self.value`),
      attentionOutput: dense(`${at}.attention.output.dense`),
      attentionNorm: norm(`${at}.attention.output.LayerNorm`),
      intermediate: dense(`${at}.intermediate.dense`),
      output: dense(`${at}.output.dense`),
      outputNorm: norm(`${at}.output.LayerNorm`),
    });
  }
  const pooler = dense('pooler.dense');
  const linears = new Map<string, Dense>();
  for (const layer of layers) {
    for (const d of [layer.query, layer.key, layer.value, layer.attentionOutput, layer.intermediate, layer.output]) linears.set(d.path, d);
  }
  linears.set(pooler.path, pooler);
  return {
    config,
    wordEmbeddings: matrix('embeddings.word_embeddings.weight'),
    positionEmbeddings: matrix('embeddings.position_embeddings.weight'),
    tokenTypeEmbeddings: matrix('embeddings.token_type_embeddings.weight'),
    embeddingNorm: norm('embeddings.LayerNorm'),
    layers,
    pooler,
    linears,
    dispose: () => tf.dispose(created),
  };
}
