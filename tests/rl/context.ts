/** Test helper: runs an rl.* plugin like the engine does (schema defaults applied) with a recording StepContext. */
import type { Plugin, Table } from '../../engine/sdk.ts';
import { runPlugin as runWithHarness, testStepContext, type StoreContext } from '../../engine/sdk-testing.ts';
import { tableInput } from '../backtest/step-context.ts';

export interface Recorded {
  metrics: { name: string; value: number; step: number | undefined }[];
  tags: Map<string, string>;
  progress: { fraction: number; message: string | undefined }[];
  logs: string[];
}

export function recordingContext(signal = new AbortController().signal): StoreContext & { recorded: Recorded } {
  const ctx = testStepContext({ stepId: 'train', signal });
  const recorded: Recorded = { metrics: ctx.recorded.metrics, tags: ctx.recorded.tags, progress: ctx.recorded.progress, logs: [] };
  const log = (message: string) => void recorded.logs.push(message);
  return { ...ctx, log: { info: log, warn: log, debug: () => {} }, recorded };
}

/** Validates `params` against the plugin's schema (filling defaults, as the engine does), then runs it on `data`. */
export async function runPlugin<P>(plugin: Plugin<P>, params: Record<string, unknown>, data: Table, ctx = recordingContext()) {
  const { outputs } = await runWithHarness(plugin, params, { data: tableInput(data) }, ctx);
  return { outputs, ctx };
}
