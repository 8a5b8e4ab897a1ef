/**
 * The pieces of an SB3 gradient update shared by PPO and A2C: minibatch order,
 * gathering rows of the rollout, the trainer that runs the forward pass,
 * backpropagation with global grad-norm clipping and the optimizer step, and
 * explained variance.
 */
import type { Draws } from '../random.ts';
import type { Gemm } from './gemm.ts';
import type { Minibatch, OutputGradients, PolicyOutputs } from './losses.ts';
import { backward, forward, meanOf, valueOf, view, type ForwardPass, type Network } from './network.ts';
import { clipCoefficient, type Optimizer } from './optim.ts';
import type { RolloutBuffer } from './rollout.ts';

/** Runs the network's gradient steps: this file's JS backward pass on a Gemm, or the wasm kernel (kernel/trainer.ts). */
export interface PolicyTrainer {
  /** The flat parameters (network.ts layout), updated in place by `descend`. */
  readonly params: Float32Array;
  /** Takes the rollout's observations [size, obsDim] for the following `evaluate` calls (the kernel copies them into its memory). */
  setObservations(observations: Float32Array): void;
  /** The forward pass on the rows `rows` of the observations; the outputs stay valid until the next call. */
  evaluate(rows: Int32Array): PolicyOutputs;
  /** loss.backward() from the last `evaluate`'s output gradients; clip_grad_norm_(max_grad_norm); optimizer.step(). */
  descend(grads: OutputGradients, learningRate: number): void;
}

export interface Learner {
  readonly net: Network;
  readonly trainer: PolicyTrainer;
  /** Draws for the minibatch order. */
  readonly draws: Draws;
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

/**
 * The rows `indices` of the rollout, but for the observations, which the trainer gathers itself;
 * written into `reuse` when it has as many rows (PPO gathers 320 minibatches per update).
 */
export function gather(buffer: RolloutBuffer, indices: Int32Array, reuse?: Minibatch): Minibatch {
  const n = indices.length;
  const actionDim = buffer.actions.length / buffer.size;
  const fits = reuse !== undefined && reuse.size === n && reuse.actions.length === n * actionDim;
  const { actions, oldLogProb, oldValues, advantages, returns } = fits
    ? reuse
    : { actions: new Float32Array(n * actionDim), oldLogProb: new Float32Array(n), oldValues: new Float32Array(n), advantages: new Float32Array(n), returns: new Float32Array(n) };
  // Plain loops: this runs for every minibatch, and mapping callbacks cost more than the copy.
  for (let i = 0; i < n; i++) {
    const row = indices[i]!;
    for (let j = 0; j < actionDim; j++) actions[i * actionDim + j] = buffer.actions[row * actionDim + j]!;
    oldLogProb[i] = buffer.logProbs[row]!;
    oldValues[i] = buffer.values[row]!;
    advantages[i] = buffer.advantages[row]!;
    returns[i] = buffer.returns[row]!;
  }
  return { size: n, actions, oldLogProb, oldValues, advantages, returns };
}

/** Copies the rows `rows` of a [*, width] matrix into `into` [rows.length, width], in order. */
export function gatherRows(from: Float32Array, width: number, rows: Int32Array, into: Float32Array): void {
  // A memcpy per row (set of a subarray) is about 4x faster than an element loop at width 301.
  for (let i = 0; i < rows.length; i++) into.set(from.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
}

/** The trainer of network.ts's forward and backward passes, with products on `gemm` and a JS optimizer. */
export function gemmTrainer(net: Network, params: Float32Array, optimizer: Optimizer, gemm: Gemm, maxGradNorm: number): PolicyTrainer {
  // Every entry is rewritten by each backward pass.
  const grads = new Float32Array(net.size);
  let pass: ForwardPass | undefined;
  let observations: Float32Array = new Float32Array(0);
  return {
    params,
    setObservations(rollout) {
      observations = rollout;
    },
    evaluate(rows) {
      const inputs = new Float32Array(rows.length * net.spec.obsDim);
      gatherRows(observations, net.spec.obsDim, rows, inputs);
      pass = forward(net, params, inputs, rows.length, gemm);
      return { mean: meanOf(pass), value: valueOf(pass), logStd: view(params, net.logStd) };
    },
    descend(outputGrads, learningRate) {
      if (pass === undefined) throw new Error('descend before evaluate');
      backward(net, params, pass, outputGrads.mean, outputGrads.value, grads, gemm);
      view(grads, net.logStd).set(outputGrads.logStd);
      optimizer.step(params, grads, learningRate, clipCoefficient(grads, maxGradNorm));
    },
  };
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
  const logStd = view(learner.trainer.params, learner.net.logStd);
  let sum = 0;
  for (const s of logStd) sum += Math.exp(s);
  return sum / logStd.length;
}
