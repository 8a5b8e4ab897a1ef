/**
 * The PPO and A2C objectives of Stable-Baselines3 and their gradients with respect
 * to the network outputs (Gaussian mean, value) and the log-std. Computed in
 * float64 JS: a minibatch is a few thousand numbers, far below what a tfjs call
 * costs. The gradients follow torch's autograd exactly, including th.min's
 * even split of the gradient on ties and clamp's pass-through at its bounds.
 */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** A minibatch of rollout data, rows in the same order as the network outputs. */
export interface Minibatch {
  readonly size: number;
  /** The unclipped sampled actions [size, actionDim]. */
  readonly actions: Float32Array;
  readonly oldLogProb: Float32Array;
  readonly oldValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

export interface PolicyOutputs {
  /** [size, actionDim] */
  readonly mean: Float32Array;
  /** [size] */
  readonly value: Float32Array;
  /** [actionDim] */
  readonly logStd: Float32Array;
}

export interface OutputGradients {
  readonly mean: Float32Array;
  readonly value: Float32Array;
  readonly logStd: Float64Array;
}

export interface LossTerms {
  /** policy + ent_coef * entropy + vf_coef * value, as SB3's `loss`. */
  readonly loss: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  /** Minus the mean entropy, as SB3's `entropy_loss`. */
  readonly entropyLoss: number;
}

export interface PpoTerms extends LossTerms {
  /** SB3's approx_kl: mean((exp(log_ratio) - 1) - log_ratio). */
  readonly approxKl: number;
  /** Share of samples with |ratio - 1| > clip_range. */
  readonly clipFraction: number;
}

export interface PpoCoefficients {
  readonly clipRange: number;
  /** null: no value clipping. */
  readonly clipRangeVf: number | null;
  readonly entCoef: number;
  readonly vfCoef: number;
  readonly normalizeAdvantage: boolean;
}

export type A2cCoefficients = Omit<PpoCoefficients, 'clipRange' | 'clipRangeVf'>;

/**
 * The arrays a loss computes into, reused from one minibatch to the next (PPO runs 320 per
 * update, and allocating them each time fed the garbage collector); the gradients a loss returns
 * live here until its next call with the same scratch.
 */
export interface LossScratch {
  readonly size: number;
  readonly logProb: Float64Array;
  readonly advantages: Float64Array;
  readonly dLogProb: Float64Array;
  readonly std: Float64Array;
  readonly variance: Float64Array;
  readonly valueGrad: Float32Array;
  readonly meanGrad: Float32Array;
  readonly logStdGrad: Float64Array;
}

export function lossScratch(size: number, actionDim: number): LossScratch {
  return {
    size,
    logProb: new Float64Array(size),
    advantages: new Float64Array(size),
    dLogProb: new Float64Array(size),
    std: new Float64Array(actionDim),
    variance: new Float64Array(actionDim),
    valueGrad: new Float32Array(size),
    meanGrad: new Float32Array(size * actionDim),
    logStdGrad: new Float64Array(actionDim),
  };
}

/** `scratch` when it fits the minibatch (the last one of a rollout may be shorter), else fresh arrays. */
function fitting(scratch: LossScratch | undefined, size: number, actionDim: number): LossScratch {
  return scratch !== undefined && scratch.size === size && scratch.std.length === actionDim ? scratch : lossScratch(size, actionDim);
}

/** Log-density of a diagonal Gaussian at `actions[row]`. */
export function gaussianLogProb(actions: Float32Array, mean: Float32Array, logStd: Float32Array, row: number): number {
  return logDensity(actions, mean, logStd, Float64Array.from(logStd, Math.exp), row);
}

/** gaussianLogProb with exp(logStd) computed once per minibatch rather than per element. */
function logDensity(actions: Float32Array, mean: Float32Array, logStd: Float32Array, std: Float64Array, row: number): number {
  const dim = logStd.length;
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const z = (actions[row * dim + j]! - mean[row * dim + j]!) / std[j]!;
    sum += -0.5 * z * z - logStd[j]! - HALF_LOG_2PI;
  }
  return sum;
}

/** Entropy of a diagonal Gaussian: sum of 0.5 + 0.5 log(2 pi) + log sigma. */
export function gaussianEntropy(logStd: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < logStd.length; j++) sum += 0.5 + HALF_LOG_2PI + logStd[j]!;
  return sum;
}

export function ppoLoss(out: PolicyOutputs, batch: Minibatch, c: PpoCoefficients, reuse?: LossScratch): { terms: PpoTerms; grads: OutputGradients } {
  const n = batch.size;
  const scratch = fitting(reuse, n, out.logStd.length);
  const logProb = logProbs(out, batch, scratch);
  const advantages = advantagesOf(batch, c.normalizeAdvantage, scratch.advantages);
  const dLogProb = scratch.dLogProb;
  const low = 1 - c.clipRange;
  const high = 1 + c.clipRange;
  let surrogate = 0;
  let kl = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const logRatio = logProb[i]! - batch.oldLogProb[i]!;
    const ratio = Math.exp(logRatio);
    const adv = advantages[i]!;
    const unclippedTerm = adv * ratio;
    const clippedTerm = adv * Math.min(Math.max(ratio, low), high);
    surrogate += Math.min(unclippedTerm, clippedTerm);
    // th.min sends the gradient to the smaller term, half to each on a tie;
    // th.clamp passes it through only inside [low, high].
    const toUnclipped = unclippedTerm < clippedTerm ? 1 : unclippedTerm === clippedTerm ? 0.5 : 0;
    const inside = ratio >= low && ratio <= high ? 1 : 0;
    const dRatio = -(adv * toUnclipped + adv * inside * (1 - toUnclipped)) / n;
    dLogProb[i] = dRatio * ratio;
    kl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > c.clipRange) clipped++;
  }
  const value = valueTerm(out.value, batch, c.clipRangeVf, c.vfCoef, scratch.valueGrad);
  const policyLoss = -surrogate / n;
  const entropyLoss = -gaussianEntropy(out.logStd);
  return {
    terms: {
      loss: policyLoss + c.entCoef * entropyLoss + c.vfCoef * value.loss,
      policyLoss,
      valueLoss: value.loss,
      entropyLoss,
      approxKl: kl / n,
      clipFraction: clipped / n,
    },
    grads: { ...gaussianGradients(out, batch, dLogProb, c.entCoef, scratch), value: value.grad },
  };
}

export function a2cLoss(out: PolicyOutputs, batch: Minibatch, c: A2cCoefficients, reuse?: LossScratch): { terms: LossTerms; grads: OutputGradients } {
  const n = batch.size;
  const scratch = fitting(reuse, n, out.logStd.length);
  const logProb = logProbs(out, batch, scratch);
  const advantages = advantagesOf(batch, c.normalizeAdvantage, scratch.advantages);
  const dLogProb = scratch.dLogProb;
  let surrogate = 0;
  for (let i = 0; i < n; i++) {
    surrogate += advantages[i]! * logProb[i]!;
    dLogProb[i] = -advantages[i]! / n;
  }
  const value = valueTerm(out.value, batch, null, c.vfCoef, scratch.valueGrad);
  const policyLoss = -surrogate / n;
  const entropyLoss = -gaussianEntropy(out.logStd);
  return {
    terms: { loss: policyLoss + c.entCoef * entropyLoss + c.vfCoef * value.loss, policyLoss, valueLoss: value.loss, entropyLoss },
    grads: { ...gaussianGradients(out, batch, dLogProb, c.entCoef, scratch), value: value.grad },
  };
}

function logProbs(out: PolicyOutputs, batch: Minibatch, scratch: LossScratch): Float64Array {
  const { logProb, std } = scratch;
  for (let j = 0; j < std.length; j++) std[j] = Math.exp(out.logStd[j]!);
  for (let i = 0; i < batch.size; i++) logProb[i] = logDensity(batch.actions, out.mean, out.logStd, std, i);
  return logProb;
}

/** SB3 normalises per minibatch with torch's unbiased std, and only minibatches of more than one sample. */
function advantagesOf(batch: Minibatch, normalize: boolean, adv: Float64Array): Float64Array {
  const n = batch.size;
  adv.set(batch.advantages);
  if (!normalize || n < 2) return adv;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += adv[i]!;
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (adv[i]! - mean) ** 2;
  const std = Math.sqrt(squares / (n - 1));
  for (let i = 0; i < n; i++) adv[i] = (adv[i]! - mean) / (std + 1e-8);
  return adv;
}

/** F.mse_loss(returns, prediction), the prediction optionally clipped around the old values; gradient includes vf_coef. */
function valueTerm(values: Float32Array, batch: Minibatch, clipRangeVf: number | null, vfCoef: number, grad: Float32Array): { loss: number; grad: Float32Array } {
  const n = batch.size;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let prediction = values[i]!;
    let pass = 1;
    if (clipRangeVf !== null) {
      const delta = values[i]! - batch.oldValues[i]!;
      prediction = batch.oldValues[i]! + Math.min(Math.max(delta, -clipRangeVf), clipRangeVf);
      pass = delta >= -clipRangeVf && delta <= clipRangeVf ? 1 : 0;
    }
    const error = prediction - batch.returns[i]!;
    loss += error * error;
    grad[i] = (vfCoef * 2 * error * pass) / n;
  }
  return { loss: loss / n, grad };
}

/** Chain rule from d(loss)/d(log_prob) to the mean and log-std; the entropy bonus adds -ent_coef to each log-std. */
function gaussianGradients(
  out: PolicyOutputs,
  batch: Minibatch,
  dLogProb: Float64Array,
  entCoef: number,
  scratch: LossScratch,
): { mean: Float32Array; logStd: Float64Array } {
  const dim = out.logStd.length;
  const { meanGrad: mean, variance } = scratch;
  const logStd = scratch.logStdGrad.fill(-entCoef);
  for (let j = 0; j < dim; j++) variance[j] = Math.exp(2 * out.logStd[j]!);
  for (let i = 0; i < batch.size; i++) {
    const g = dLogProb[i]!;
    for (let j = 0; j < dim; j++) {
      const diff = batch.actions[i * dim + j]! - out.mean[i * dim + j]!;
      mean[i * dim + j] = (g * diff) / variance[j]!;
      logStd[j]! += g * ((diff * diff) / variance[j]! - 1);
    }
  }
  return { mean, logStd };
}
