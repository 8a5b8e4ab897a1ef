/**
 * Generalised advantage estimation exactly as SB3's RolloutBuffer.compute_returns_and_advantage
 * (one environment): `episodeStarts[t]` marks a step whose observation came from a
 * reset, so the step before it does not bootstrap; `lastDone` plays that role for
 * the step after the rollout. Returns are advantages + values (TD(lambda) targets).
 */
export interface GaeInput {
  readonly rewards: Float32Array;
  readonly values: Float32Array;
  readonly episodeStarts: Uint8Array;
  /** V(observation after the last step). */
  readonly lastValue: number;
  /** Whether the last step ended an episode. */
  readonly lastDone: boolean;
  readonly gamma: number;
  readonly gaeLambda: number;
}

export function computeGae(input: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const n = input.rewards.length;
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  let lastGaeLam = 0;
  for (let t = n - 1; t >= 0; t--) {
    const last = t === n - 1;
    const nextNonTerminal = last ? (input.lastDone ? 0 : 1) : 1 - input.episodeStarts[t + 1]!;
    const nextValue = last ? input.lastValue : input.values[t + 1]!;
    const delta = input.rewards[t]! + input.gamma * nextValue * nextNonTerminal - input.values[t]!;
    lastGaeLam = delta + input.gamma * input.gaeLambda * nextNonTerminal * lastGaeLam;
    advantages[t] = lastGaeLam;
    returns[t] = lastGaeLam + input.values[t]!;
  }
  return { advantages, returns };
}
