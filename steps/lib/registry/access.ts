/** The model registry a `registry.*` step works with, with the reason it is missing. */
import type { StepContext, StepModelRegistry } from '../../../engine/sdk.ts';

export function modelRegistryOf(ctx: StepContext): StepModelRegistry {
  if (!ctx.registry) throw new Error("the model registry needs tracking (a version's source is its run's artifacts): run without `--no-track` or TRADEPIPE_TRACKING=off");
  return ctx.registry;
}
