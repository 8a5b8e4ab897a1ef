/**
 * Test plugin for the property tests: an exec-like step computed in memory, so hundreds
 * of random pipelines run in-process in seconds. out = value + seed + sum(inputs), taken
 * mod `modulo` when set (different inputs then often give the same bytes: early cutoff).
 * Every execution is logged to `executions` (start and end), for the ordering checks.
 */
import { definePlugin, type InputArtifact } from '../../../engine/sdk.ts';

export interface PureParams {
  name: string;
  value: number;
  modulo?: number;
  seed?: number;
}

export const INPUT_PORTS = ['in0', 'in1', 'in2', 'in3', 'in4', 'in5'] as const;

export interface Execution {
  id: string;
  phase: 'start' | 'end';
}

/** Executions of every run in this process, in order; tests clear it. */
export const executions: Execution[] = [];

export function pureValue(params: PureParams, inputs: readonly number[]): number {
  const total = params.value + (params.seed ?? 0) + inputs.reduce((a, b) => a + b, 0);
  return params.modulo === undefined ? total : total % params.modulo;
}

export default definePlugin<PureParams>({
  name: 'pure',
  version: '1',
  description: 'out = value + seed + sum(inputs), mod `modulo` when set; in memory.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'value'],
    properties: {
      name: { type: 'string' },
      value: { type: 'integer' },
      modulo: { type: 'integer', minimum: 1 },
      seed: { type: 'integer' },
    },
  },
  inputs: {
    ...Object.fromEntries(INPUT_PORTS.map((p) => [p, { optional: true }])),
    all: { optional: true, many: true },
  },
  outputs: { out: {} },
  async run(ctx, params, inputs: Record<string, InputArtifact>) {
    executions.push({ id: ctx.stepId, phase: 'start' });
    const values: number[] = [];
    for (const port of Object.keys(inputs).sort()) values.push(await inputs[port]!.json<number>());
    // Yield a varying number of times so concurrent steps interleave differently.
    for (let i = 0; i < (params.value + (params.seed ?? 0)) % 4; i++) await new Promise((r) => setImmediate(r));
    executions.push({ id: ctx.stepId, phase: 'end' });
    return { out: { kind: 'json', value: pureValue(params, values) } };
  },
});
