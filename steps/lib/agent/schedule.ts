/**
 * Hyperparameters that may decay over training, in rl-baselines3-zoo's notation:
 * a number is constant, `lin_<x>` is x * progress_remaining (x at the start, 0 at
 * the end), progress_remaining = 1 - timesteps / total_timesteps as SB3 computes it.
 */
import type { Schedule } from './learn.ts';

export function schedule(value: number | string): Schedule {
  if (typeof value === 'number') return () => value;
  const match = /^lin_(.+)$/.exec(value);
  const start = match === null ? NaN : Number(match[1]);
  if (!Number.isFinite(start) || start <= 0) throw new Error(`\`${value}\` is not a schedule: expected a positive number or \`lin_<positive number>\``);
  return (progressRemaining) => start * progressRemaining;
}
