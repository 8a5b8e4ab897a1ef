/**
 * Random valid pipelines of `pure` steps for the property tests, their YAML, random
 * edits, and a model of what the engine must do: each step instance's output, and its
 * cache identity (params plus input bytes), from which the exact set of instances a run
 * executes follows.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { INPUT_PORTS, pureValue } from './pure-step.ts';

export const PURE_PLUGIN = join(import.meta.dirname, 'pure-step.ts');

export interface GenStep {
  value: number;
  /** Set: outputs collide often (early cutoff). */
  modulo?: number;
  /** Matrix size: instances `sN@seed=1..size`. */
  matrix?: number;
  /** Earlier non-matrix steps wired to in0..in5. */
  ups: number[];
  /** An earlier matrix step fanned in through `all` (non-matrix steps only). */
  fanIn?: number;
}

export type Edit = { step: number; kind: 'value' | 'modulo' | 'matrix'; amount: number };

const rawStep = fc.record({
  value: fc.integer({ min: 0, max: 5 }),
  modulo: fc.option(fc.integer({ min: 2, max: 3 }), { nil: undefined }),
  matrix: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  ups: fc.uniqueArray(fc.nat({ max: 6 }), { maxLength: 3 }),
  fanIn: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
});

/** Makes raw draws valid: only earlier steps, matrix steps fed by plain ones, one fan-in of an earlier matrix step. */
export function normalize(raw: readonly GenStep[]): GenStep[] {
  const steps: GenStep[] = [];
  raw.forEach((r, i) => {
    const plain = [...new Set(r.ups.map((u) => u % Math.max(1, i)))].filter((u) => u < i && steps[u]!.matrix === undefined).slice(0, INPUT_PORTS.length);
    const matrices = steps.map((s, j) => (s.matrix !== undefined ? j : -1)).filter((j) => j >= 0);
    const fanIn = r.matrix === undefined && r.fanIn !== undefined && matrices.length > 0 ? matrices[r.fanIn % matrices.length] : undefined;
    steps.push({ value: r.value, modulo: r.modulo, matrix: r.matrix, ups: plain, fanIn });
  });
  return steps;
}

export const pipelineArb = fc.array(rawStep, { minLength: 1, maxLength: 7 }).map(normalize);

export const editsArb = fc.array(
  fc.record({ step: fc.nat({ max: 6 }), kind: fc.constantFrom<Edit['kind']>('value', 'value', 'modulo', 'matrix'), amount: fc.integer({ min: 0, max: 5 }) }),
  { minLength: 1, maxLength: 3 },
);

export function applyEdit(steps: readonly GenStep[], edit: Edit): GenStep[] {
  const i = edit.step % steps.length;
  return steps.map((s, j) => {
    if (j !== i) return s;
    if (edit.kind === 'value') return { ...s, value: edit.amount };
    if (edit.kind === 'modulo') return { ...s, modulo: edit.amount < 2 ? undefined : (edit.amount % 2) + 2 };
    return s.matrix === undefined ? { ...s, value: edit.amount } : { ...s, matrix: (edit.amount % 3) + 1 };
  });
}

const id = (i: number) => `s${i}`;
const instances = (i: number, s: GenStep) =>
  s.matrix === undefined ? [{ iid: id(i), seed: undefined }] : Array.from({ length: s.matrix }, (_, k) => ({ iid: `${id(i)}@seed=${k + 1}`, seed: k + 1 }));

export function pipelineYaml(steps: readonly GenStep[]): string {
  const lines = ['pipeline: prop', 'plugins:', `  pure: ${JSON.stringify(PURE_PLUGIN)}`, 'steps:'];
  steps.forEach((s, i) => {
    lines.push(`  ${id(i)}:`, '    uses: pure');
    if (s.matrix !== undefined) lines.push(`    matrix: { seed: [${Array.from({ length: s.matrix }, (_, k) => k + 1).join(', ')}] }`);
    const inputs = [...s.ups.map((u, k) => `${INPUT_PORTS[k]}: ${id(u)}.out`), ...(s.fanIn === undefined ? [] : [`all: ${id(s.fanIn)}.out`])];
    if (inputs.length > 0) lines.push(`    inputs: { ${inputs.join(', ')} }`);
    const params = [
      `name: ${id(i)}`,
      `value: ${s.value}`,
      ...(s.modulo === undefined ? [] : [`modulo: ${s.modulo}`]),
      ...(s.matrix === undefined ? [] : ['seed: "${matrix.seed}"']),
    ];
    lines.push(`    with: { ${params.join(', ')} }`);
  });
  return lines.join('\n') + '\n';
}

export interface ModelInstance {
  /** Params and input bytes: equal identities share a cache entry. */
  identity: string;
  value: number;
  upstream: string[];
}

/** What every step instance computes, and what its cache key depends on. */
export function model(steps: readonly GenStep[]): Map<string, ModelInstance> {
  const out = new Map<string, ModelInstance>();
  steps.forEach((s, i) => {
    for (const { iid, seed } of instances(i, s)) {
      const inputs: [string, string][] = s.ups.map((u, k) => [INPUT_PORTS[k]!, id(u)]);
      if (s.fanIn !== undefined) for (const up of instances(s.fanIn, steps[s.fanIn]!)) inputs.push([`all${up.iid.slice(id(s.fanIn).length)}`, up.iid]);
      const values = inputs.map(([, up]) => out.get(up)!.value);
      const params = { name: id(i), value: s.value, modulo: s.modulo, seed };
      out.set(iid, {
        identity: JSON.stringify([iid, params, inputs.map(([port], k) => [port, values[k]]).sort()]),
        value: pureValue(params, values),
        upstream: inputs.map(([, up]) => up),
      });
    }
  });
  return out;
}
