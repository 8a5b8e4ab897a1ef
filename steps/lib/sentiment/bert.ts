/**
 * BertForSequenceClassification's forward pass with peft's LoRA, in tfjs, with
 * transformers' semantics: embeddings (word + absolute position + token type 0) →
 * LayerNorm → N encoder layers (self-attention with an additive mask of float32's
 * minimum on padding, erf GELU, post-LayerNorm with the config's eps) → pooler (tanh
 * dense on [CLS]) → dropout → classifier. Tokens are kept as a [rows × length,
 * hidden] matrix so every dense layer is one 2-D matmul.
 *
 * In training mode every dropout of the PyTorch model is applied (embeddings,
 * attention probabilities, both residual branches, LoRA's input, the classifier's
 * input) with masks from a seeded stream, so a seed reproduces a run exactly.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Tf } from '../agent/backend.ts';
import type { Batch } from '../encoder/tokenizer.ts';
import type { Dense, EncoderWeights, LayerNorm } from './encoder-weights.ts';
import type { Adapter } from './lora.ts';

type T2 = TfCore.Tensor2D;

/** Draws dropout masks; absent at inference. */
export interface Dropout {
  /** x with each element zeroed with probability `rate` and the rest scaled by 1 / (1 - rate). */
  apply<T extends TfCore.Tensor>(x: T, rate: number): T;
}

const FLOAT32_MIN = -3.4028234663852886e38;

/** How a forward pass runs. */
export interface Pass {
  /** Training mode: every dropout applied with masks from here. */
  readonly dropout?: Dropout;
  /** Gradients will flow: matmuls take the custom-gradient path. */
  readonly differentiable: boolean;
  /** Inference: LoRA folded into the base weights (`mergeAdapter`), by module path. */
  readonly merged?: ReadonlyMap<string, T2>;
}

export const TRAINING_PASS = (dropout: Dropout | undefined): Pass => ({ dropout, differentiable: true });

/**
 * Each mask is drawn in one JS loop from its own xoroshiro128+ stream and becomes one
 * tensor: tfjs's randomUniform (seedrandom's alea, per element) followed by a compare, a
 * cast and a scale cost ~10% of a training step and kept four tensors per mask alive.
 */
export function seededDropout(tf: Tf, nextSeed: () => number): Dropout {
  return {
    apply(x, rate) {
      if (rate <= 0) return x;
      const stream = xoroshiro128plus(nextSeed());
      // A draw u = next / 2^32 is kept when u >= rate.
      const threshold = rate * 2 ** 32;
      const scale = 1 / (1 - rate);
      const mask = new Float32Array(x.size);
      for (let i = 0; i < mask.length; i++) if (stream.next() >>> 0 >= threshold) mask[i] = scale;
      return tf.mul(x, tf.tensor(mask, x.shape, 'float32')) as typeof x;
    },
  };
}

function layerNorm(tf: Tf, x: T2, norm: LayerNorm, eps: number): T2 {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), norm.gamma), norm.beta) as T2;
}

/*
 * wasm's matmul is fast (XNNPACK) only untransposed: with transposeA or transposeB it
 * takes a slow path, ~10x slower. tfjs's own matmul gradient uses both flags, so
 * products that gradients flow through go through these, whose backward passes
 * transpose explicitly (a cheap kernel) and multiply untransposed.
 */

/** x · W for a frozen W ([in, out]); `weightT` is W transposed, kept to spare the backward pass a transpose. */
function frozenMatMul(tf: Tf, x: T2, weight: T2, weightT: T2): T2 {
  const op = tf.customGrad((input) => ({
    value: tf.matMul(input as T2, weight),
    gradFunc: (dy) => tf.matMul(dy as T2, weightT),
  }));
  return op(x) as T2;
}

/** a · b with gradients for both (rank 2, or batched with equal leading dims). */
function matMul(tf: Tf, a: TfCore.Tensor, b: TfCore.Tensor): TfCore.Tensor {
  const swap = (t: TfCore.Tensor) => {
    const rank = t.rank;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    return tf.transpose(t, perm);
  };
  const op = tf.customGrad((x, y, save) => {
    (save as TfCore.GradSaveFunc)([x as TfCore.Tensor, y as TfCore.Tensor]);
    return {
      value: tf.matMul(x as TfCore.Tensor, y as TfCore.Tensor),
      gradFunc: (dy, saved) => [tf.matMul(dy as TfCore.Tensor, swap(saved[1]!)), tf.matMul(swap(saved[0]!), dy as TfCore.Tensor)],
    };
  });
  return op(a, b) as TfCore.Tensor;
}

/** Φ(x), the standard normal CDF, with the exact erf. */
function normalCdf(tf: Tf, x: T2): T2 {
  return tf.tidy(() => tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5)) as T2;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * BERT's `gelu`: x · Φ(x) with the exact erf. With gradients, its backward pass is torch's
 * (dy · (Φ(x) + x · φ(x))) and keeps only x and Φ(x): tfjs's own chain rule through the
 * five ops kept a dozen [tokens, intermediate] tensors per layer until the step ended.
 */
function gelu(tf: Tf, x: T2, differentiable: boolean): T2 {
  if (!differentiable) return tf.mul(x, normalCdf(tf, x)) as T2;
  const op = tf.customGrad((input, save) => {
    const cdf = normalCdf(tf, input as T2);
    (save as TfCore.GradSaveFunc)([input as T2, cdf]);
    return {
      value: tf.mul(input as T2, cdf),
      gradFunc: (dy, [saved, phi]) =>
        tf.tidy(() => {
          const density = tf.mul(tf.exp(tf.mul(tf.square(saved!), -0.5)), INV_SQRT_2PI);
          return tf.mul(dy, tf.add(phi!, tf.mul(saved!, density)));
        }),
    };
  });
  return op(x) as T2;
}

export class BertClassifier {
  constructor(
    private readonly tf: Tf,
    readonly encoder: EncoderWeights,
    readonly adapter: Adapter,
  ) {}

  /** Word + position + token-type embeddings, normalised: [rows × length, hidden]. Frozen, so outside any gradient. */
  embed(batch: Batch): T2 {
    const { tf, encoder } = this;
    const { hidden_size: hidden, layer_norm_eps: eps, max_position_embeddings: maxPositions } = encoder.config;
    if (batch.length > maxPositions) throw new Error(`sequence length ${batch.length} exceeds the encoder's max_position_embeddings ${maxPositions}`);
    return tf.tidy(() => {
      const words = tf.gather(encoder.wordEmbeddings, tf.tensor1d(batch.ids, 'int32'));
      const positions = tf.slice(encoder.positionEmbeddings, [0, 0], [batch.length, hidden]);
      const tokenType = tf.slice(encoder.tokenTypeEmbeddings, [0, 0], [1, hidden]);
      const summed = tf.add(tf.reshape(words, [batch.rows, batch.length, hidden]), tf.add(positions, tokenType));
      return layerNorm(tf, tf.reshape(summed, [batch.rows * batch.length, hidden]) as T2, encoder.embeddingNorm, eps);
    });
  }

  /**
   * peft's merge: W + A·B · alpha / r for each LoRA module, so inference runs one fused matmul
   * (with its bias) per Linear. The caller disposes the tensors.
   */
  mergeAdapter(): Map<string, T2> {
    const { tf } = this;
    const merged = new Map<string, T2>();
    for (const [path, pair] of this.adapter.lora) {
      const weight = this.encoder.linears.get(path)!.weight;
      merged.set(path, tf.tidy(() => tf.add(weight, tf.mul(tf.matMul(pair.a, pair.b), this.adapter.scaling)) as T2));
    }
    return merged;
  }

  /** Logits [rows, labels] from embedded tokens; by default an inference pass (no dropout, no gradients). */
  logits(embedded: T2, batch: Batch, pass: Pass = { differentiable: false }): T2 {
    const { tf, encoder } = this;
    const dropout = pass.dropout;
    const product = (a: TfCore.Tensor, b: TfCore.Tensor) => (pass.differentiable ? matMul(tf, a, b) : tf.matMul(a, b));
    const config = encoder.config;
    const drop = <T extends TfCore.Tensor>(x: T, rate: number): T => (dropout ? dropout.apply(x, rate) : x);
    const { rows, length } = batch;
    const heads = config.num_attention_heads;
    const headSize = config.hidden_size / heads;
    const eps = config.layer_norm_eps;
    const additiveMask = tf.reshape(tf.mul(tf.sub(1, tf.tensor1d(batch.mask)), FLOAT32_MIN), [rows, 1, 1, length]);
    const toHeads = (x: T2) => tf.transpose(tf.reshape(x, [rows, length, heads, headSize]), [0, 2, 1, 3]);

    let hidden = drop(embedded, config.hidden_dropout_prob);
    for (const layer of encoder.layers) {
      const q = toHeads(this.linear(hidden, layer.query, pass));
      const v = toHeads(this.linear(hidden, layer.value, pass));
      const keysT = tf.transpose(tf.reshape(this.linear(hidden, layer.key, pass), [rows, length, heads, headSize]), [0, 2, 3, 1]);
      const scores = tf.add(tf.div(product(q, keysT), Math.sqrt(headSize)), additiveMask);
      const probabilities = drop(tf.softmax(scores, -1), config.attention_probs_dropout_prob);
      const context = tf.reshape(tf.transpose(product(probabilities, v), [0, 2, 1, 3]), [rows * length, config.hidden_size]) as T2;
      const attention = layerNorm(tf, tf.add(drop(this.linear(context, layer.attentionOutput, pass), config.hidden_dropout_prob), hidden), layer.attentionNorm, eps);
      const intermediate = gelu(tf, this.linear(attention, layer.intermediate, pass), pass.differentiable);
      hidden = layerNorm(tf, tf.add(drop(this.linear(intermediate, layer.output, pass), config.hidden_dropout_prob), attention), layer.outputNorm, eps);
    }
    const cls = tf.reshape(tf.slice(tf.reshape(hidden, [rows, length, config.hidden_size]), [0, 0, 0], [rows, 1, config.hidden_size]), [rows, config.hidden_size]) as T2;
    const pooled = tf.tanh(this.linear(cls, encoder.pooler, pass));
    const classifierDropout = config.classifier_dropout ?? config.hidden_dropout_prob;
    const { weight, bias } = this.adapter.classifier;
    return tf.add(product(drop(pooled, classifierDropout), weight), bias) as T2;
  }

  /** W x + b, plus (B A dropout(x)) · alpha / r where LoRA wraps this module (or W already merged with it). */
  private linear(x: T2, dense: Dense, pass: Pass): T2 {
    const { tf } = this;
    const pair = this.adapter.lora.get(dense.path);
    if (!pass.differentiable) {
      const merged = pass.merged?.get(dense.path);
      const out = tf.fused.matMul({ a: x, b: merged ?? dense.weight, bias: dense.bias }) as T2;
      if (pair === undefined || merged !== undefined) return out;
      return tf.add(out, tf.mul(tf.matMul(tf.matMul(x, pair.a), pair.b), this.adapter.scaling)) as T2;
    }
    const base = tf.add(frozenMatMul(tf, x, dense.weight, dense.weightT), dense.bias) as T2;
    if (pair === undefined) return base;
    const input = pass.dropout ? pass.dropout.apply(x, this.adapter.settings.dropout) : x;
    return tf.add(base, tf.mul(matMul(tf, matMul(tf, input, pair.a), pair.b), this.adapter.scaling)) as T2;
  }
}

/** Mean cross-entropy of logits against integer labels (torch's CrossEntropyLoss). */
export function crossEntropy(tf: Tf, logits: T2, labels: Int32Array): TfCore.Scalar {
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1)));
}
