/**
 * The pieces of an SB3 gradient update shared by PPO and A2C: minibatch order,
 * gathering rows of the rollout, the forward pass, backpropagation with global
 * grad-norm clipping and the optimizer step, and explained variance.
 */
import type { Draws } from '../random.ts';
import type { Gemm } from './gemm.ts';
import type { Minibatch, OutputGradients, PolicyOutputs } from './losses.ts';
import { backward, forward, meanOf, valueOf, view, type ForwardPass, type Network } from './network.ts';
import { clipCoefficient, type Optimizer } from './optim.ts';
import type { RolloutBuffer } from './rollout.ts';

export interface Learner {
  readonly net: Network;
  readonly params: Float32Array;
  /** Scratch for the gradients, same layout as params; every entry is rewritten by each backward pass. */
  readonly grads: Float32Array;
  readonly optimizer: Optimizer;
  readonly gemm: Gemm;
  /** Draws for the minibatch order. */
  readonly draws: Draws;
  readonly maxGradNorm: number;
}

/** np.random.permutation: a Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, draws: Draws): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(draws.uniform() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

export interface GatheredBatch extends Minibatch {
  readonly observations: Float32Array;
}

export function gather(buffer: RolloutBuffer, indices: Int32Array): GatheredBatch {
  const n = indices.length;
  const obsDim = buffer.observations.length / buffer.size;
  const actionDim = buffer.actions.length / buffer.size;
  const observations = new Float32Array(n * obsDim);
  const actions = new Float32Array(n * actionDim);
  const pick = (source: Float32Array) => Float32Array.from(indices, (i) => source[i]!);
  indices.forEach((row, i) => {
    observations.set(buffer.observations.subarray(row * obsDim, (row + 1) * obsDim), i * obsDim);
    actions.set(buffer.actions.subarray(row * actionDim, (row + 1) * actionDim), i * actionDim);
  });
  return {
    size: n,
    observations,
    actions,
    oldLogProb: pick(buffer.logProbs),
    oldValues: pick(buffer.values),
    advantages: pick(buffer.advantages),
    returns: pick(buffer.returns),
  };
}

export function evaluate(learner: Learner, batch: GatheredBatch): { pass: ForwardPass; outputs: PolicyOutputs } {
  const pass = forward(learner.net, learner.params, batch.observations, batch.size, learner.gemm);
  return { pass, outputs: { mean: meanOf(pass), value: valueOf(pass), logStd: view(learner.params, learner.net.logStd) } };
}

/** loss.backward(); clip_grad_norm_(max_grad_norm); optimizer.step(). */
export function descend(learner: Learner, pass: ForwardPass, grads: OutputGradients, learningRate: number): void {
  const { net, params, grads: g } = learner;
  backward(net, params, pass, grads.mean, grads.value, g, learner.gemm);
  view(g, net.logStd).set(grads.logStd);
  learner.optimizer.step(params, g, learningRate, clipCoefficient(g, learner.maxGradNorm));
}

/** SB3's explained_variance: 1 - Var(returns - values) / Var(returns); NaN when the returns are constant. */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const varReturns = variance(returns.length, (i) => returns[i]!);
  if (varReturns === 0) return NaN;
  return 1 - variance(returns.length, (i) => returns[i]! - values[i]!) / varReturns;
}

function variance(n: number, at: (i: number) => number): number {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += at(i);
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (at(i) - mean) ** 2;
  return squares / n;
}

export function meanStd(learner: Learner): number {
  const logStd = view(learner.params, learner.net.logStd);
  let sum = 0;
  for (const s of logStd) sum += Math.exp(s);
  return sum / logStd.length;
}
