/**
 * From a pipeline file to a validated, wired Pipeline: YAML with positions, `$ref`
 * and `${vars.x}` resolution, `--set` overrides, the pipeline schema, plugin
 * resolution and params schemas, port wiring and the DAG. Every problem becomes a
 * positioned Diagnostic; all of them are reported together as one InvalidInput.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYamlValue } from 'yaml';
import { InvalidInput, type Diagnostic } from './errors.ts';
import { yamlLoader, diagnosticAt, isPlainObject, Positions, type Path } from './yaml-source.ts';
import { readSpecCache, writeSpecCache } from './spec-cache.ts';
import { validateFillingDefaults, suggestion } from './schema/validate.ts';
import { findProjectRoot, projectRelative, displayPath } from './project.ts';
import { locatePlugin, importPlugin, listBuiltins, } from './plugin-loader.ts';
import { buildGraph, type StepGraph } from './graph.ts';
import { depPath } from './paths.ts';
import { applyIncludes, expandMatrices, basePort } from './compose.ts';
import { resolveSummary, type SummaryItem } from './summary.ts';
import type { PipelineFile } from '../schemas/pipeline.ts';
import type { PortSpec } from './plugin.ts';
import type { InputRef, ResolvedSpec, Step } from './pipeline-model.ts';
import { outsideProjectDiagnostics } from './validate-paths.ts';

const pipelineSchema = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'pipeline.schema.json'), 'utf8'),
) as Record<string, unknown>;

export interface Pipeline {
  readonly name: string;
  readonly file: string;
  readonly root: string;
  readonly steps: ReadonlyMap<string, Step>;
  readonly graph: StepGraph;
  /** Topological order. */
  readonly order: readonly string[];
  /** Every YAML file read: the pipeline and what it references. */
  readonly sources: readonly string[];
  /** What `run` prints at the end. */
  readonly summary: readonly SummaryItem[];
  /** Problems that do not stop anything (e.g. an unused variable); the CLI prints them. */
  readonly warnings: readonly Diagnostic[];
}

export interface LoadOptions {
  /** `step.param.path=value` overrides, like `dvc exp run -S`. */
  overrides?: readonly string[];
}

export async function loadPipeline(file: string, opts: LoadOptions = {}): Promise<Pipeline> {
  const abs = resolve(file);
  const root = findProjectRoot(abs);
  const overrides = opts.overrides ?? [];
  const remembered = readSpecCache(root, abs, overrides);
  if (remembered) {
    try {
      return await buildPipeline(remembered, abs, root, new Positions());
    } catch (error) {
      // Problems are reported from a fresh parse, which knows where each value came from.
      if (!(error instanceof InvalidInput)) throw error;
    }
  }
  const { spec, positions, warnings, schedule } = resolveSpec(abs, root, overrides);
  // croner loads only for a pipeline with a `schedule:` block.
  if (schedule) fail((await import('./schedule/definition.ts')).scheduleDiagnostics(schedule, Object.keys(spec.steps), positions));
  const pipeline = { ...(await buildPipeline(spec, abs, root, positions)), warnings };
  // A pipeline with warnings is parsed afresh each time, so its warnings are never silenced by the cache.
  if (warnings.length === 0) writeSpecCache(root, abs, overrides, spec);
  return pipeline;
}

function fail(diagnostics: Diagnostic[]): void {
  if (diagnostics.length > 0) throw new InvalidInput(diagnostics);
}

/**
 * A pipeline file's spec: YAML with positions, the pipeline schema, includes, vars, `--set` and matrices (plugins and
 * params are checked by buildPipeline). Its `schedule:` block comes back as written: checking it needs croner, which
 * only scheduling and a pipeline that has such a block load.
 */
export function resolveSpec(
  abs: string,
  root: string,
  overrides: readonly string[],
): { spec: ResolvedSpec; positions: Positions; warnings: Diagnostic[]; schedule?: PipelineFile['schedule'] } {
  const loader = yamlLoader(root, displayPath);
  const loaded = loader.load(abs);
  if (loader.errors.length > 0) throw new InvalidInput(loader.errors);
  const { positions } = loaded;
  const doc = loaded.value;
  if (!isPlainObject(doc)) fail([diagnosticAt(positions.nearest([]), 'not-a-pipeline', 'a pipeline file must be a mapping with a `steps:` key')]);
  fail(validateFillingDefaults(pipelineSchema, doc, [], positions, { noun: 'field', context: '' }));
  const spec = doc as unknown as PipelineFile;

  const diagnostics: Diagnostic[] = [];
  const sources = [...loaded.files, ...applyIncludes(spec, root, loader, pipelineSchema, positions, diagnostics)];
  fail(diagnostics);
  const vars = (spec.vars ?? {}) as Record<string, unknown>;
  const used = new Set<string>();
  const interpolated = interpolate(spec.steps, vars, ['steps'], positions, diagnostics, used) as PipelineFile['steps'];
  const warnings = Object.keys(vars)
    .filter((name) => !used.has(name))
    .map((name) => diagnosticAt(positions.get(['vars', name]), 'unused-variable', `variable \`vars.${name}\` is never used`, 'key', 'warning'));
  applyOverrides(interpolated, overrides, positions, diagnostics);
  fail(diagnostics);
  const steps = expandMatrices(interpolated, positions, diagnostics);
  fail(diagnostics);
  return {
    spec: { name: spec.pipeline ?? basename(abs, extname(abs)), plugins: spec.plugins ?? {}, summary: spec.summary ?? [], steps, sources },
    positions,
    warnings,
    schedule: spec.schedule,
  };
}

/** Plugins, params, ports and the graph. `positions` may be empty (a remembered spec): then errors carry no place. */
async function buildPipeline(spec: ResolvedSpec, abs: string, root: string, positions: Positions): Promise<Pipeline> {
  const diagnostics: Diagnostic[] = [];
  const stepsValue = spec.steps;
  const declared = spec.plugins;
  const steps = new Map<string, Step>();
  /** Many steps share a plugin: each is located once. */
  const locations = new Map<string, ReturnType<typeof locatePlugin>>();
  for (const [id, raw] of Object.entries(stepsValue)) {
    const at = ['steps', id];
    let located: ReturnType<typeof locatePlugin>;
    try {
      located = locations.get(raw.uses) ?? locatePlugin(raw.uses, declared, root);
      locations.set(raw.uses, located);
    } catch (error) {
      const names = [...listBuiltins(), ...Object.keys(declared)];
      const message = (error as Error).message.startsWith('unknown plugin')
        ? `unknown plugin \`${raw.uses}\`${suggestion(raw.uses, names) || `; available: ${names.join(', ')}`}`
        : (error as Error).message;
      diagnostics.push(diagnosticAt(positions.get([...at, 'uses']), 'unknown-plugin', message));
      continue;
    }
    let plugin: Awaited<ReturnType<typeof importPlugin>>;
    try {
      plugin = await importPlugin(located.entry);
    } catch (error) {
      diagnostics.push(diagnosticAt(positions.get([...at, 'uses']), 'plugin-load', `cannot load plugin \`${raw.uses}\`: ${(error as Error).message}`));
      continue;
    }
    const params = structuredClone((raw.with ?? {}) as Record<string, unknown>);
    const context = ` for plugin \`${plugin.name}\``;
    const problems = validateFillingDefaults(plugin.paramsSchema, params, [...at, 'with'], positions, { noun: 'param', context });
    if (problems.length === 0 && plugin.check) {
      for (const issue of plugin.check(params)) problems.push(diagnosticAt(positions.nearest([...at, 'with', ...issue.path]), 'plugin-check', issue.message));
    }
    diagnostics.push(...problems);
    if (problems.length > 0) continue;
    const outputs = typeof plugin.outputs === 'function' ? plugin.outputs(params) : plugin.outputs;
    const files = plugin.files?.(params) ?? {};
    const outside = outsideProjectDiagnostics(root, id, params, files, positions);
    diagnostics.push(...outside);
    if (outside.length > 0) continue;
    steps.set(id, {
      id,
      uses: raw.uses,
      plugin: { plugin, entry: located.entry, source: located.source, builtin: located.builtin },
      params,
      inputs: parseInputs(raw.inputs ?? {}),
      outputs: Object.keys(outputs),
      needs: raw.needs ?? [],
      env: [...new Set([...(plugin.env ?? []), ...(raw.env ?? [])])],
      cache: raw.cache ?? true,
      alwaysRun: raw.always_run === true || plugin.alwaysRun?.(params) === true,
      resources: raw.resources ?? {},
      ...(raw.retries === undefined ? {} : { retries: raw.retries }),
      deps: (files.deps ?? []).map((p) => depPath(root, p)),
      outs: (files.outs ?? []).map((p) => projectRelative(root, p)),
    });
  }
  fail(diagnostics);
  diagnostics.push(...checkPorts(steps, positions));
  fail(diagnostics);
  const { graph, order, diagnostics: graphProblems } = buildGraph(steps, positions);
  fail(graphProblems);
  const summary = resolveSummary(spec.summary, steps, positions);
  fail(summary.diagnostics);
  return { name: spec.name, file: abs, root, steps, graph, order, sources: spec.sources, summary: summary.items, warnings: [] };
}

function parseInputs(inputs: Record<string, string>): Record<string, InputRef> {
  const out: Record<string, InputRef> = {};
  for (const [port, ref] of Object.entries(inputs)) {
    const dot = ref.lastIndexOf('.');
    out[port] = { step: ref.slice(0, dot), output: ref.slice(dot + 1) };
  }
  return out;
}

function checkPorts(steps: ReadonlyMap<string, Step>, positions: Positions): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const step of steps.values()) {
    const declared = step.plugin.plugin.inputs as Record<string, PortSpec>;
    const ports = Object.keys(declared);
    for (const [port, ref] of Object.entries(step.inputs)) {
      const where = positions.get(['steps', step.id, 'inputs', port]);
      const base = basePort(port);
      if (!(base in declared)) {
        out.push(diagnosticAt(where, 'unknown-input', `unknown input \`${base}\` for plugin \`${step.plugin.plugin.name}\`${suggestion(base, ports) || `; inputs: ${ports.join(', ') || 'none'}`}`, 'key'));
        continue;
      }
      if (base !== port && !declared[base]!.many) {
        out.push(diagnosticAt(where, 'input-takes-one', `input \`${base}\` receives every instance of matrix step \`${ref.step.slice(0, ref.step.indexOf('@'))}\`, but plugin \`${step.plugin.plugin.name}\` takes one: select an instance (\`${ref.step}.${ref.output}\`) or give this step the same matrix`, 'key'));
        continue;
      }
      const upstream = steps.get(ref.step);
      if (!upstream) {
        out.push(diagnosticAt(where, 'dangling-input', `dangling input reference \`${ref.step}.${ref.output}\`: no step \`${ref.step}\`${suggestion(ref.step, [...steps.keys()])}`));
      } else if (!upstream.outputs.includes(ref.output)) {
        out.push(
          diagnosticAt(where, 'dangling-input', `dangling input reference \`${ref.step}.${ref.output}\`: step \`${ref.step}\` has no output \`${ref.output}\`${suggestion(ref.output, upstream.outputs) || `; outputs: ${upstream.outputs.join(', ') || 'none'}`}`),
        );
      }
    }
    for (const [port, spec] of Object.entries(declared)) {
      const wired = Object.keys(step.inputs).some((p) => basePort(p) === port);
      if (!spec.optional && !wired) {
        out.push(diagnosticAt(positions.get(['steps', step.id]), 'missing-input', `missing input \`${port}\` for plugin \`${step.plugin.plugin.name}\` (wire it with \`inputs: { ${port}: <step>.<output> }\`)`, 'key'));
      }
    }
  }
  return out;
}

const VAR = /\$\{vars\.([A-Za-z0-9_.-]+)\}/g;

/** `${vars.a.b}`: a whole-string reference keeps the value's type; inside text it is stringified. */
function interpolate(value: unknown, vars: Record<string, unknown>, path: Path, positions: Positions, errors: Diagnostic[], used: Set<string>): unknown {
  if (typeof value === 'string') {
    const lookup = (name: string) => {
      used.add(name.split('.')[0]!);
      let v: unknown = vars;
      for (const k of name.split('.')) v = isPlainObject(v) ? v[k] : undefined;
      if (v === undefined) errors.push(diagnosticAt(positions.nearest(path), 'unknown-variable', `unknown variable \`vars.${name}\`${suggestion(name, Object.keys(vars))}`));
      return v;
    };
    const whole = /^\$\{vars\.([A-Za-z0-9_.-]+)\}$/.exec(value);
    if (whole) return lookup(whole[1]!);
    return value.replace(VAR, (_, name: string) => {
      const v = lookup(name);
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, [...path, i], positions, errors, used));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, vars, [...path, k], positions, errors, used);
    return out;
  }
  return value;
}

function applyOverrides(steps: PipelineFile['steps'], overrides: readonly string[], positions: Positions, errors: Diagnostic[]): void {
  const ids = Object.keys(steps).sort((a, b) => b.length - a.length);
  for (const spec of overrides) {
    const origin = `--set ${spec}`;
    const id = ids.find((candidate) => spec.startsWith(candidate + '.'));
    const eq = spec.indexOf('=', id ? id.length : 0);
    if (!id || eq < 0) {
      const guess = spec.split('.')[0] ?? '';
      errors.push({ code: 'bad-override', origin, message: id ? 'expected `step.param=value`' : `unknown step \`${guess}\`${suggestion(guess, ids)}; expected \`step.param=value\`` });
      continue;
    }
    const keys = spec.slice(id.length + 1, eq).split('.');
    if (keys.some((k) => k === '')) {
      errors.push({ code: 'bad-override', origin, message: 'expected `step.param=value`' });
      continue;
    }
    const step = steps[id]!;
    let target = (step.with ??= {}) as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (!isPlainObject(target[k])) target[k] = {};
      target = target[k] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]!] = parseYamlValue(spec.slice(eq + 1));
    positions.clearBelow(['steps', id, 'with', ...keys]);
    positions.set(['steps', id, 'with', ...keys], { origin });
  }
}
