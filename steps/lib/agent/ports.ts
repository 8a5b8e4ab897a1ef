/** The ports rl.ppo and rl.a2c share (kept here so plugin.ts loads without the training code). */
import type { PortSpec } from '../../../engine/sdk.ts';

export const agentInputs: Record<string, PortSpec> = {
  data: { description: 'Feature table in FinRL long format (date, tic, close, indicators[, turbulence]), sorted by date then tic.' },
};

export function agentOutputs(curve: string): Record<string, PortSpec> {
  return {
    model: { description: 'Trained agent directory (policy.json + tfjs weights.bin), loaded by steps/lib/agent/load.ts.' },
    curve: { description: `One row per logged update: ${curve}.` },
  };
}
