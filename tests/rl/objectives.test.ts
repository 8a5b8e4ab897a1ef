/**
 * The loss pieces against values worked out by hand (derivations in the comments),
 * following Stable-Baselines3's formulas and torch's autograd conventions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeGae } from '../../steps/lib/agent/gae.ts';
import { a2cLoss, gaussianEntropy, gaussianLogProb, ppoLoss, type Minibatch } from '../../steps/lib/agent/losses.ts';
import { adam, clipCoefficient, rmsprop } from '../../steps/lib/agent/optim.ts';
import { schedule } from '../../steps/lib/agent/schedule.ts';
import { createNormalizer } from '../../steps/lib/agent/normalizer.ts';

const f32 = (...values: number[]) => Float32Array.from(values);

function close(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6, what = 'values'): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => {
    if (Math.abs(actual[i]! - e) > tolerance) assert.unreachable(`${what}[${i}] = ${actual[i]}, expected ${e}`);
  });
}

test('GAE on a 5-step trajectory with an episode boundary', () => {
  // gamma 0.9, lambda 0.8 (gamma*lambda = 0.72); step 3 starts a new episode, so step 2 does not bootstrap.
  // t=4: delta = 0.5 + 0.9*0.6 - 0.1 = 0.94                         A = 0.94
  // t=3: delta = -1 + 0.9*0.1 - 0.2 = -1.11                         A = -1.11 + 0.72*0.94 = -0.4332
  // t=2: delta = 2 - 0.3 = 1.7 (next is a reset)                    A = 1.7
  // t=1: delta = 0 + 0.9*0.3 - 0.4 = -0.13                          A = -0.13 + 0.72*1.7 = 1.094
  // t=0: delta = 1 + 0.9*0.4 - 0.5 = 0.86                           A = 0.86 + 0.72*1.094 = 1.64768
  const input = {
    rewards: f32(1, 0, 2, -1, 0.5),
    values: f32(0.5, 0.4, 0.3, 0.2, 0.1),
    episodeStarts: Uint8Array.from([1, 0, 0, 1, 0]),
    lastValue: 0.6,
    lastDone: false,
    gamma: 0.9,
    gaeLambda: 0.8,
  };
  const { advantages, returns } = computeGae(input);
  close(advantages, [1.64768, 1.094, 1.7, -0.4332, 0.94], 1e-6, 'advantages');
  close(returns, [2.14768, 1.494, 2.0, -0.2332, 1.04], 1e-6, 'returns');

  // The last step ended an episode: no bootstrap from lastValue. t=4: A = 0.5 - 0.1 = 0.4; t=3: -1.11 + 0.72*0.4 = -0.822.
  const ended = computeGae({ ...input, lastDone: true });
  close(ended.advantages, [1.64768, 1.094, 1.7, -0.822, 0.4], 1e-6, 'advantages (last done)');
});

test('GAE with lambda 1 is the discounted return minus the value (A2C default)', () => {
  // returns: t=2: 1 + 0.5*2 = 2 (bootstrap lastValue 2); t=1: 0 + 0.5*2 = 1; t=0: 4 + 0.5*1 = 4.5
  const { returns } = computeGae({
    rewards: f32(4, 0, 1),
    values: f32(1, 1, 1),
    episodeStarts: Uint8Array.from([0, 0, 0]),
    lastValue: 2,
    lastDone: false,
    gamma: 0.5,
    gaeLambda: 1,
  });
  close(returns, [4.5, 1, 2]);
});

/**
 * One action dimension, mean 0, log-std 0 (sigma 1): log_prob(a) = -a^2/2 - ln(2 pi)/2. The old
 * log-probs are set so the ratios are 1.5, 0.5, 1.5, 1.1 with advantages 1, 1, -1, 2 (not normalised).
 */
function clippedCase(): Minibatch & { mean: Float32Array; value: Float32Array; logStd: Float32Array } {
  const actions = f32(0.5, -1, 0, 2);
  const ratios = [1.5, 0.5, 1.5, 1.1];
  const zero = f32(0);
  const mean = f32(0, 0, 0, 0);
  return {
    size: 4,
    actions,
    mean,
    logStd: zero,
    oldLogProb: Float32Array.from(ratios, (r, i) => gaussianLogProb(actions, mean, zero, i) - Math.log(r)),
    advantages: f32(1, 1, -1, 2),
    value: f32(1, 2, 3, 4),
    returns: f32(1.5, 2, 2, 4),
    oldValues: f32(1, 1, 1, 1),
  };
}

const PPO = { clipRange: 0.2, clipRangeVf: null, entCoef: 0, vfCoef: 0.5, normalizeAdvantage: false };

test('PPO clipped surrogate, clip fraction, approx KL and their gradients', () => {
  const batch = clippedCase();
  const { terms, grads } = ppoLoss(batch, batch, PPO);
  // min(r*A, clip(r)*A): min(1.5, 1.2) = 1.2; min(0.5, 0.8) = 0.5; min(-1.5, -1.2) = -1.5; min(2.2, 2.2) = 2.2
  // policy loss = -(1.2 + 0.5 - 1.5 + 2.2) / 4 = -0.6
  assert.ok(Math.abs(terms.policyLoss - -0.6) < 1e-6, `policy loss ${terms.policyLoss}`);
  // |r - 1| > 0.2 for 1.5, 0.5, 1.5: 3 of 4
  assert.is(terms.clipFraction, 0.75);
  // mean(r - 1 - ln r) = (0.5 - ln 1.5 + -0.5 - ln 0.5 + 0.5 - ln 1.5 + 0.1 - ln 1.1) / 4
  const kl = (0.5 - Math.log(1.5) + (-0.5 - Math.log(0.5)) + (0.5 - Math.log(1.5)) + (0.1 - Math.log(1.1))) / 4;
  assert.ok(Math.abs(terms.approxKl - kl) < 1e-6, `approx kl ${terms.approxKl} vs ${kl}`);
  // Value loss mean((R - V)^2) = (0.25 + 0 + 1 + 0) / 4; entropy of N(0, 1): 0.5 + ln(2 pi)/2.
  assert.ok(Math.abs(terms.valueLoss - 0.3125) < 1e-6);
  assert.ok(Math.abs(terms.entropyLoss - -(0.5 + 0.5 * Math.log(2 * Math.PI))) < 1e-12);
  assert.ok(Math.abs(terms.loss - (-0.6 + 0.5 * 0.3125)) < 1e-6);

  // d loss / d log_prob_i = -(1/4) * g_i * r_i, where g_i is A_i when the unclipped term is the minimum
  // (or ties with it inside the clip range) and 0 when the clipped term wins: g = (0, 1, -1, 2).
  // d log_prob / d mean = (a - mean) / sigma^2  ->  d mean = (0, -0.125*-1, 0.375*0, -0.55*2)
  close(grads.mean, [0, 0.125, 0, -1.1], 1e-6, 'd mean');
  // d log_prob / d log_std = z^2 - 1  ->  0 + (-0.125)(1 - 1) + 0.375(0 - 1) + (-0.55)(4 - 1) = -2.025
  close(grads.logStd, [-2.025], 1e-6, 'd log_std');
  // d (0.5 * value loss) / d V = 0.5 * 2 (V - R) / 4
  close(grads.value, [-0.125, 0, 0.25, 0], 1e-7, 'd value');
});

test('PPO value clipping around the old values (clip_range_vf)', () => {
  const batch = clippedCase();
  const { terms, grads } = ppoLoss(batch, batch, { ...PPO, clipRangeVf: 0.5 });
  // prediction = old + clamp(V - old, -0.5, 0.5) = (1, 1.5, 1.5, 1.5); loss = (0.25 + 0.25 + 0.25 + 6.25) / 4
  assert.ok(Math.abs(terms.valueLoss - 1.75) < 1e-6, `value loss ${terms.valueLoss}`);
  // Only the first sample is inside the clip range: 0.5 * 2 * (1 - 1.5) / 4; clamped ones get no gradient.
  close(grads.value, [-0.125, 0, 0, 0], 1e-7, 'd value');
});

test('PPO entropy bonus and advantage normalisation', () => {
  const batch = clippedCase();
  // ent_coef adds ent_coef * -entropy: its gradient is -ent_coef per log-std.
  const withBonus = ppoLoss(batch, batch, { ...PPO, entCoef: 0.01 });
  close(withBonus.grads.logStd, [-2.025 - 0.01], 1e-6, 'd log_std');
  // Normalised advantages (1, 1, -1, 2): mean 0.75, unbiased std sqrt(4.75 / 3).
  const normalized = ppoLoss(batch, batch, { ...PPO, normalizeAdvantage: true });
  const std = Math.sqrt(((0.25 ** 2) * 2 + 1.75 ** 2 + 1.25 ** 2) / 3);
  const adv = [1, 1, -1, 2].map((a) => (a - 0.75) / (std + 1e-8));
  const expected = -(Math.min(1.5 * adv[0]!, 1.2 * adv[0]!) + Math.min(0.5 * adv[1]!, 0.8 * adv[1]!) + Math.min(1.5 * adv[2]!, 1.2 * adv[2]!) + 1.1 * adv[3]!) / 4;
  assert.ok(Math.abs(normalized.terms.policyLoss - expected) < 1e-6, `${normalized.terms.policyLoss} vs ${expected}`);
});

test('A2C loss is -mean(advantage * log_prob) with its gradient', () => {
  const batch = clippedCase();
  const { terms, grads } = a2cLoss(batch, batch, { entCoef: 0, vfCoef: 0.5, normalizeAdvantage: false });
  const logProbs = [0.5, -1, 0, 2].map((a) => -0.5 * a * a - 0.5 * Math.log(2 * Math.PI));
  const expected = -(logProbs[0]! + logProbs[1]! - logProbs[2]! + 2 * logProbs[3]!) / 4;
  assert.ok(Math.abs(terms.policyLoss - expected) < 1e-6);
  // d/d mean_i = -(A_i / 4) * a_i = (-0.125, 0.25, 0, -1)
  close(grads.mean, [-0.125, 0.25, 0, -1], 1e-7, 'd mean');
});

test('entropy of a diagonal Gaussian', () => {
  // sum over dims of 0.5 + ln(2 pi)/2 + log sigma: 3 * 1.4189385332 + (0 + ln 2 - 1)
  const entropy = gaussianEntropy(f32(0, Math.log(2), -1));
  assert.ok(Math.abs(entropy - (3 * 1.4189385332046727 + Math.log(2) - 1)) < 1e-6, `${entropy}`);
  assert.ok(Math.abs(entropy - 3.9499625) < 1e-6);
});

test('Adam and RMSprop step as torch: eps outside the square root', () => {
  // Adam step 1: m = 0.1 g, v = 0.001 g^2; step = lr / (1 - 0.9) * m / (sqrt(v) / sqrt(1 - 0.999) + eps)
  //            = 0.1 * 0.01 / (0.1 + 1e-5) for g = 0.1 (sign flips for g = -0.2: 0.1 * -0.02 / (0.2 + 1e-5)).
  const params = f32(1, 1);
  adam(2).step(params, f32(0.1, -0.2), 0.01, 1);
  close(params, [1 - 0.001 / 0.10001, 1 + 0.002 / 0.20001], 1e-7, 'adam');
  // RMSprop step 1: s = 0.01 g^2; step = lr * g / (sqrt(s) + eps) = 0.01 * 0.1 / (0.01 + 1e-5).
  const p2 = f32(1);
  rmsprop(1).step(p2, f32(0.1), 0.01, 1);
  close(p2, [1 - 0.001 / 0.01001], 1e-7, 'rmsprop');
  // tfjs's RMSprop would divide by sqrt(0.01 * 0.01 + 1e-5) = 0.01049 instead: a visibly different step.
  assert.ok(Math.abs(1 - 0.001 / Math.sqrt(0.0001 + 1e-5) - p2[0]!) > 1e-3);
});

test('gradient clipping coefficient is max_norm / (norm + 1e-6), at most 1', () => {
  assert.ok(Math.abs(clipCoefficient(f32(3, 4), 0.5) - 0.5 / (5 + 1e-6)) < 1e-12);
  assert.is(clipCoefficient(f32(0.1, 0.1), 0.5), 1);
});

test('schedules: constants and lin_<x>', () => {
  assert.is(schedule(3e-4)(0.25), 3e-4);
  assert.is(schedule('lin_2.5e-4')(0.5), 1.25e-4);
  assert.is(schedule('lin_0.2')(1), 0.2);
  assert.throws(() => schedule('cos_1'), /`cos_1` is not a schedule: expected a positive number or `lin_<positive number>`/);
});

test('observation normaliser follows VecNormalize: running stats, then clip((x - mean) / sqrt(var + 1e-8), -10, 10)', () => {
  const norm = createNormalizer(2);
  norm.update(Float64Array.from([2, 10]));
  norm.update(Float64Array.from([4, 10]));
  // RunningMeanStd from mean 0, var 1, count 1e-4, with batches of one:
  // after x1: mean = x1 * 1/(1+1e-4); var = (1 * 1e-4 + x1^2 * 1e-4 / (1 + 1e-4)) / (1 + 1e-4)
  const c0 = 1e-4;
  const m1 = 2 / (c0 + 1);
  const v1 = (c0 + (4 * c0) / (c0 + 1)) / (c0 + 1);
  const c1 = c0 + 1;
  const d = 4 - m1;
  const m2 = m1 + d / (c1 + 1);
  const v2 = (v1 * c1 + (d * d * c1) / (c1 + 1)) / (c1 + 1);
  const state = norm.state();
  close(state.mean.slice(0, 1), [m2], 1e-12, 'mean');
  close(state.var.slice(0, 1), [v2], 1e-12, 'var');
  assert.is(state.count, c1 + 1);
  const out = new Float32Array(2);
  norm.normalize(Float64Array.from([1e9, 10]), out);
  assert.is(out[0], 10, 'clipped at 10');
  close(out.slice(1), [(10 - state.mean[1]!) / Math.sqrt(state.var[1]! + 1e-8)], 1e-5, 'second');
});

test.run();
