/**
 * Pipeline composition and parameter sweeps, applied to the raw step specs before
 * plugins are resolved:
 * - `include:` merges steps, vars and plugins from fragment files;
 * - `matrix:` expands a step into one instance per combination (`train@lr=0.001,seed=1`),
 *   each cached on its own. A step that follows the same matrix wires to the matching
 *   instance; any other step referencing a matrix step receives every instance (fan-in,
 *   on an input port declared `many: true`, as `port@lr=0.001,seed=1`).
 */
import { resolve, isAbsolute } from 'node:path';
import type { Diagnostic } from './errors.ts';
import { diagnosticAt, isPlainObject, type Positions, type YamlLoader } from './yaml-source.ts';
import { validateFillingDefaults } from './schema/validate.ts';
import type { PipelineFile, Step as StepSpec } from '../schemas/pipeline.ts';

export type Combo = Record<string, string | number | boolean>;

/** Merges included fragments into `spec` in place; returns the files read. */
export function applyIncludes(spec: PipelineFile, root: string, loader: YamlLoader, schema: Record<string, unknown>, positions: Positions, errors: Diagnostic[]): string[] {
  const files: string[] = [];
  for (const rel of spec.include ?? []) {
    const abs = isAbsolute(rel) ? rel : resolve(root, rel);
    const before = loader.errors.length;
    const loaded = loader.load(abs);
    if (loader.errors.length > before) {
      errors.push(...loader.errors.slice(before));
      continue;
    }
    files.push(...loaded.files);
    const problems = validateFillingDefaults(schema, loaded.value, [], loaded.positions, { noun: 'field', context: '' });
    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    const fragment = loaded.value as PipelineFile;
    if (fragment.include) errors.push(diagnosticAt(loaded.positions.get(['include']), 'nested-include', 'an included fragment may not include others', 'key'));
    for (const [id, step] of Object.entries(fragment.steps)) {
      if (id in spec.steps) {
        const mine = positions.get(['steps', id])?.key;
        const line = mine ? ` (${mine.source.display}:${mine.source.lines.linePos(mine.start).line})` : '';
        errors.push(diagnosticAt(loaded.positions.get(['steps', id]), 'duplicate-step', `step \`${id}\` is defined both here and in the including pipeline${line}`, 'key'));
        continue;
      }
      spec.steps[id] = step;
      positions.graft(loaded.positions.subtree(['steps', id]), ['steps', id]);
    }
    spec.vars = { ...(fragment.vars ?? {}), ...(spec.vars ?? {}) };
    spec.plugins = { ...(fragment.plugins ?? {}), ...(spec.plugins ?? {}) };
  }
  return files;
}

export function instanceId(id: string, combo: Combo): string {
  return `${id}@${Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(',')}`;
}

function combinations(axes: Record<string, (string | number | boolean)[]>): Combo[] {
  let out: Combo[] = [{}];
  for (const [key, values] of Object.entries(axes)) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return out;
}

const MATRIX_REF = /\$\{matrix\.([A-Za-z0-9_-]+)\}/g;

function substitute(value: unknown, combo: Combo, onUnknown: (name: string) => void): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{matrix\.([A-Za-z0-9_-]+)\}$/.exec(value);
    if (whole) {
      if (!(whole[1]! in combo)) onUnknown(whole[1]!);
      return combo[whole[1]!];
    }
    return value.replace(MATRIX_REF, (_, name: string) => {
      if (!(name in combo)) onUnknown(name);
      return String(combo[name]);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, combo, onUnknown));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, combo, onUnknown)]));
  return value;
}

/** Expands matrix steps and rewires references to them. Returns new step specs keyed by final id. */
export function expandMatrices(steps: Record<string, StepSpec>, positions: Positions, errors: Diagnostic[]): Record<string, StepSpec> {
  const combosOf = new Map<string, Combo[]>();
  for (const [id, step] of Object.entries(steps)) {
    if (isPlainObject(step.matrix)) combosOf.set(id, combinations(step.matrix as Record<string, (string | number | boolean)[]>));
  }
  for (const [id, step] of Object.entries(steps)) {
    if (typeof step.matrix !== 'string') continue;
    const followed = combosOf.get(step.matrix);
    if (!followed) errors.push(diagnosticAt(positions.get(['steps', id, 'matrix']), 'bad-matrix-follow', `\`matrix: ${step.matrix}\` must name a step with a matrix of values`));
    else combosOf.set(id, followed);
  }
  if (combosOf.size === 0) return steps;

  const out: Record<string, StepSpec> = {};
  const comboOfInstance = new Map<string, Combo>();
  for (const [id, step] of Object.entries(steps)) {
    const combos = combosOf.get(id);
    if (!combos) {
      out[id] = step;
      continue;
    }
    const { matrix: _matrix, ...rest } = step;
    for (const combo of combos) {
      const iid = instanceId(id, combo);
      const withValue = substitute(rest.with ?? {}, combo, (name) =>
        errors.push(diagnosticAt(positions.nearest(['steps', id, 'with']), 'unknown-matrix-key', `unknown matrix key \`${name}\` in step \`${id}\`; keys: ${Object.keys(combo).join(', ')}`)),
      ) as StepSpec['with'];
      out[iid] = { ...rest, with: withValue };
      comboOfInstance.set(iid, combo);
      positions.graft(positions.subtree(['steps', id]), ['steps', iid]);
    }
  }

  // References to a matrix step: the matching instance for a step that shares its values, else all of them.
  const matching = (target: string, from: string): string[] => {
    const combos = combosOf.get(target)!;
    const mine = comboOfInstance.get(from);
    const same = mine ? combos.filter((c) => Object.entries(c).every(([k, v]) => mine[k] === v)) : [];
    return (same.length === 1 ? same : combos).map((c) => instanceId(target, c));
  };
  for (const [id, step] of Object.entries(out)) {
    if (step.inputs) {
      const inputs: Record<string, string> = {};
      for (const [port, ref] of Object.entries(step.inputs)) {
        const dot = ref.lastIndexOf('.');
        const target = ref.slice(0, dot);
        if (!combosOf.has(target)) {
          inputs[port] = ref;
          continue;
        }
        const instances = matching(target, id);
        if (instances.length === 1) inputs[port] = `${instances[0]}${ref.slice(dot)}`;
        else for (const iid of instances) inputs[`${port}${iid.slice(target.length)}`] = `${iid}${ref.slice(dot)}`;
      }
      out[id] = { ...step, inputs };
      const base = id.includes('@') ? id.slice(0, id.indexOf('@')) : id;
      for (const port of Object.keys(inputs)) {
        const basePort = port.includes('@') ? port.slice(0, port.indexOf('@')) : port;
        const where = positions.get(['steps', base, 'inputs', basePort]);
        if (where) positions.set(['steps', id, 'inputs', port], where);
      }
    }
    if (step.needs) out[id] = { ...out[id]!, needs: step.needs.flatMap((n) => (combosOf.has(n) ? matching(n, id) : [n])) };
  }
  return out;
}

/** `port@lr=0.1` -> `port`. */
export function basePort(port: string): string {
  const at = port.indexOf('@');
  return at < 0 ? port : port.slice(0, at);
}
