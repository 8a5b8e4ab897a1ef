/** Test helper: runs an rl.* plugin like the engine does (schema defaults applied) with a recording StepContext. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin, StepContext } from '../../engine/plugin.ts';
import { validateAt } from '../../engine/schema/validate.ts';
import type { Table } from '../../engine/table/table.ts';
import { Positions } from '../../engine/yaml-source.ts';
import { tableInput } from '../backtest/step-context.ts';

export interface Recorded {
  metrics: { name: string; value: number; step: number | undefined }[];
  tags: Map<string, string>;
  progress: { fraction: number; message: string | undefined }[];
  logs: string[];
}

export function recordingContext(signal = new AbortController().signal): StepContext & { recorded: Recorded } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-test-'));
  const recorded: Recorded = { metrics: [], tags: new Map(), progress: [], logs: [] };
  const log = (message: string) => void recorded.logs.push(message);
  return {
    stepId: 'train',
    projectRoot: dir,
    scratchDir: dir,
    signal,
    log: { info: log, warn: log, debug: () => {} },
    track: {
      params: () => {},
      metric: (name, value, step) => void recorded.metrics.push({ name, value, step }),
      tag: (name, value) => void recorded.tags.set(name, value),
      artifact: () => {},
    },
    env: {},
    secret: () => undefined,
    progress: (fraction, message) => void recorded.progress.push({ fraction, message }),
    recorded,
  };
}

/** Validates `params` against the plugin's schema (filling defaults, as the engine does), then runs it on `data`. */
export async function runPlugin<P>(plugin: Plugin<P>, params: Record<string, unknown>, data: Table, ctx = recordingContext()) {
  const withDefaults = structuredClone(params);
  const problems = validateAt(plugin.paramsSchema, withDefaults, [], new Positions(), { noun: 'param', context: ` for plugin \`${plugin.name}\`` });
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
  const outputs = await plugin.run(ctx, withDefaults as P, { data: tableInput(data) });
  return { outputs, ctx };
}
