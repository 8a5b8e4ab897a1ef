/**
 * One PPO update (SB3's PPO.train): n_epochs passes over the rollout in shuffled
 * minibatches, clipped surrogate + optional value clipping + entropy bonus, and an
 * early stop when approx_kl exceeds 1.5 * target_kl (the offending minibatch is not
 * applied, as in SB3).
 */
import type { Algorithm, OnPolicyHyperparameters, Schedule } from './learn.ts';
import { type LossScratch, lossScratch, type Minibatch, ppoLoss } from './losses.ts';
import { ADAM_SB3 } from './optim.ts';
import type { RolloutBuffer } from './rollout.ts';
import { explainedVariance, gather, meanStd, permutation, type Learner } from './update.ts';

export interface PpoHyperparameters extends OnPolicyHyperparameters {
  readonly batchSize: number;
  readonly nEpochs: number;
  readonly clipRange: Schedule;
  readonly clipRangeVf: Schedule | null;
  readonly targetKl: number | null;
}

/** PPO with SB3's optimizer (Adam, eps 1e-5) and logged values (SB3 logger keys). */
export function ppoAlgorithm(h: PpoHyperparameters): Algorithm {
  let nUpdates = 0;
  return {
    name: 'ppo',
    hyperparameters: h,
    optimizer: ADAM_SB3,
    update(learner, buffer, progressRemaining) {
      const learningRate = h.learningRate(progressRemaining);
      const clipRange = h.clipRange(progressRemaining);
      const clipRangeVf = h.clipRangeVf === null ? null : h.clipRangeVf(progressRemaining);
      const s = ppoUpdate(learner, buffer, { ...h, learningRate, clipRange, clipRangeVf });
      nUpdates += s.epochs;
      return {
        'train/policy_gradient_loss': s.policyLoss,
        'train/value_loss': s.valueLoss,
        'train/entropy_loss': s.entropyLoss,
        'train/approx_kl': s.approxKl,
        'train/clip_fraction': s.clipFraction,
        'train/loss': s.loss,
        'train/explained_variance': s.explainedVariance,
        'train/learning_rate': learningRate,
        'train/clip_range': clipRange,
        ...(clipRangeVf === null ? {} : { 'train/clip_range_vf': clipRangeVf }),
        'train/std': s.std,
        'train/n_updates': nUpdates,
      };
    },
  };
}

export interface PpoSettings {
  readonly batchSize: number;
  readonly nEpochs: number;
  readonly learningRate: number;
  readonly clipRange: number;
  readonly clipRangeVf: number | null;
  readonly entCoef: number;
  readonly vfCoef: number;
  readonly targetKl: number | null;
  readonly normalizeAdvantage: boolean;
}

export interface PpoStats {
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropyLoss: number;
  /** Mean over the last epoch's minibatches, as SB3 logs it. */
  readonly approxKl: number;
  readonly clipFraction: number;
  /** The last minibatch's total loss. */
  readonly loss: number;
  readonly explainedVariance: number;
  readonly std: number;
  /** Epochs run (fewer than n_epochs after a KL early stop). */
  readonly epochs: number;
}

export function ppoUpdate(learner: Learner, buffer: RolloutBuffer, s: PpoSettings): PpoStats {
  const sums = { policy: 0, value: 0, entropy: 0, clip: 0, count: 0 };
  let kl = { sum: 0, count: 0 };
  let loss = NaN;
  let epochs = 0;
  let stop = false;
  learner.trainer.setObservations(buffer.observations);
  let batch: Minibatch | undefined;
  let scratch: LossScratch | undefined;
  for (let epoch = 0; epoch < s.nEpochs && !stop; epoch++) {
    kl = { sum: 0, count: 0 };
    const order = permutation(buffer.size, learner.draws);
    for (let start = 0; start < buffer.size; start += s.batchSize) {
      const rows = order.subarray(start, start + s.batchSize);
      batch = gather(buffer, rows, batch);
      scratch ??= lossScratch(batch.size, batch.actions.length / batch.size);
      const { terms, grads } = ppoLoss(learner.trainer.evaluate(rows), batch, s, scratch);
      sums.policy += terms.policyLoss;
      sums.value += terms.valueLoss;
      sums.entropy += terms.entropyLoss;
      sums.clip += terms.clipFraction;
      sums.count++;
      kl.sum += terms.approxKl;
      kl.count++;
      loss = terms.loss;
      if (s.targetKl !== null && terms.approxKl > 1.5 * s.targetKl) {
        stop = true;
        break;
      }
      learner.trainer.descend(grads, s.learningRate);
    }
    epochs++;
  }
  return {
    policyLoss: sums.policy / sums.count,
    valueLoss: sums.value / sums.count,
    entropyLoss: sums.entropy / sums.count,
    approxKl: kl.sum / kl.count,
    clipFraction: sums.clip / sums.count,
    loss,
    explainedVariance: explainedVariance(buffer.values, buffer.returns),
    std: meanStd(learner),
    epochs,
  };
}
