/** transformers' get_linear_schedule_with_warmup: the factor of the base learning rate for optimizer step `step` (0-based). */
export function linearWarmupDecay(step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** The HF Trainer's warm-up length for a ratio: ceil(total × ratio). */
export function warmupSteps(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio);
}
