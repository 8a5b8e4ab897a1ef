/**
 * Fine-tuning as the HF Trainer does it for a peft model: shuffled minibatches each
 * epoch, dynamic padding, mean cross-entropy, clip_grad_norm_ (max_grad_norm), AdamW
 * with a linear warm-up then linear decay to 0, one optimizer step per batch. The base
 * encoder is frozen; only LoRA pairs and the classifier change.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
// tfjs-core registers no gradient functions (the agents' hand-written backward passes never needed
// them); the tfjs package's bundle registers all of them in tfjs's global registry.
import '@tensorflow/tfjs';
import type { Tf } from '../agent/backend.ts';
import { adamw, clipCoefficient } from '../agent/optim.ts';
import { padBatch } from '../encoder/tokenizer.ts';
import { Draws } from '../random.ts';
import { crossEntropy, seededDropout, TRAINING_PASS, type BertClassifier, type Dropout } from './bert.ts';
import { paramsVector } from './params-vector.ts';
import { linearWarmupDecay, warmupSteps } from './schedule.ts';

export interface TrainingOptions {
  readonly batchSize: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  readonly seed: number;
  /** false turns every dropout off (the parity tests compare against eval-mode torch). */
  readonly dropout: boolean;
  readonly signal?: AbortSignal;
}

export interface StepLog {
  readonly step: number;
  /** Fractional, as the Trainer logs it: steps done / steps per epoch. */
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
}

export interface Examples {
  /** Token ids per example ([CLS] … [SEP], already truncated). */
  readonly sequences: readonly number[][];
  /** Class indices. */
  readonly labels: Int32Array;
}

export interface TrainingHooks {
  onStep?(log: StepLog): void;
  /** After each epoch (1-based). */
  onEpoch?(epoch: number): void | Promise<void>;
}

export function totalSteps(examples: number, options: Pick<TrainingOptions, 'batchSize' | 'epochs'>): number {
  return Math.ceil(examples / options.batchSize) * options.epochs;
}

/** Trains `model.adapter` in place. */
export async function train(tf: Tf, model: BertClassifier, padId: number, data: Examples, options: TrainingOptions, hooks: TrainingHooks = {}): Promise<void> {
  const n = data.sequences.length;
  if (n === 0) throw new Error('no training examples');
  const stepsPerEpoch = Math.ceil(n / options.batchSize);
  const total = stepsPerEpoch * options.epochs;
  const warmup = warmupSteps(total, options.warmupRatio);
  const shuffle = new Draws(options.seed, 'sentiment/shuffle');
  const masks = new Draws(options.seed, 'sentiment/dropout');
  const dropout = options.dropout ? seededDropout(tf, () => Math.floor(masks.uniform() * 0x7fffffff)) : undefined;
  const optimizerStep = adamwStep(tf, model, padId, options, dropout);

  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = permutation(shuffle, n);
    for (let s = 0; s < stepsPerEpoch; s++) {
      options.signal?.throwIfAborted();
      const rows = order.slice(s * options.batchSize, (s + 1) * options.batchSize);
      const learningRate = options.learningRate * linearWarmupDecay(step, warmup, total);
      const { loss } = optimizerStep(
        rows.map((i) => data.sequences[i]!),
        Int32Array.from(rows, (i) => data.labels[i]!),
        learningRate,
      );
      step++;
      hooks.onStep?.({ step, epoch: step / stepsPerEpoch, loss, learningRate });
      // Yield so an abort or a progress line can get through between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await hooks.onEpoch?.(epoch);
  }
}

/**
 * One optimizer step on one batch: loss and gradients of the trainable variables,
 * clip_grad_norm_, AdamW at `learningRate`. Returns the loss and the unclipped gradients.
 */
export function adamwStep(
  tf: Tf,
  model: BertClassifier,
  padId: number,
  options: Pick<TrainingOptions, 'weightDecay' | 'maxGradNorm'>,
  dropout: Dropout | undefined,
): (sequences: readonly number[][], labels: Int32Array, learningRate: number) => { loss: number; grads: Float32Array } {
  const params = paramsVector(tf, model.adapter.variables);
  const optimizer = adamw(params.values.length, params.decay, options.weightDecay);
  const trainable = model.adapter.variables.map((v) => v.variable) as TfCore.Variable[];
  return (sequences, labels, learningRate) => {
    const batch = padBatch(sequences, padId);
    let loss = 0;
    let grads: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const embedded = model.embed(batch);
      const result = tf.variableGrads(() => crossEntropy(tf, model.logits(embedded, batch, TRAINING_PASS(dropout)), labels), trainable);
      loss = result.value.dataSync()[0]!;
      grads = params.flatten(result.grads);
    });
    optimizer.step(params.values, grads, learningRate, clipCoefficient(grads, options.maxGradNorm));
    params.assign();
    return { loss, grads };
  };
}

function permutation(draws: Draws, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(draws.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
