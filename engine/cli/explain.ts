/**
 * `tradepipe status --explain <step>`: every cache key input of a step, now and at
 * its last run (the record its pointer designates), side by side with the
 * differences marked, so why a step reruns, or does not, is never a mystery.
 */
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import { hashJson, shortHash } from '../hash.ts';
import { MISSING, type StepFacts } from '../step-facts.ts';
import { describeReasons, type Decision, type Reason } from '../planner.ts';
import { isPlainObject } from '../yaml-source.ts';
import type { KeyManifest } from '../key.ts';
import type { Pipeline } from '../pipeline.ts';
import type { Step } from '../pipeline-model.ts';
import { planPipeline } from './plan.ts';
import { checkStepNames, EXIT } from './common.ts';
import { print } from './output.ts';
import type { RemoteCache } from '../remote/cache.ts';

export type FieldChange = 'same' | 'changed' | 'added' | 'removed' | 'pending' | 'new';

export interface ExplainedField {
  /** `plugin`, `version`, `code`, `packages` (hash of them all), `packages.<name>`, `params.<path>`, `inputs.<port>`, `deps.<path>`, `env.<NAME>`, `key`. */
  field: string;
  /** Null where it is unknown until an upstream step runs. */
  current: unknown;
  /** Undefined (absent from JSON) where the last run had no such field or there is no last run. */
  last?: unknown;
  /** `pending`: unknown until upstream runs; `new`: the step never ran. */
  change: FieldChange;
}

export interface Explanation {
  pipeline: string;
  step: string;
  plugin: string;
  status: 'up-to-date' | 'stale';
  reason: string;
  reasons: Reason[];
  lastRun: { runId: string; finishedAt: string; key: string } | null;
  fields: ExplainedField[];
}

/** A manifest where inputs and upstream-produced deps may still be unknown (null). */
interface KnownManifest extends Omit<KeyManifest, 'inputs' | 'deps'> {
  inputs: Record<string, string | null>;
  deps: Record<string, string | null>;
}

const PENDING = null;

/** The key inputs known before running: all of them once upstream outputs are known, else all but those. */
function knownManifest(step: Step, decision: Decision, facts: StepFacts, decisions: ReadonlyMap<string, Decision>): KnownManifest {
  if (decision.manifest) return decision.manifest;
  const inputs: Record<string, string | null> = {};
  for (const [port, ref] of Object.entries(step.inputs)) inputs[port] = decisions.get(ref.step)?.record?.outputs[ref.output]?.hash ?? PENDING;
  const deps: Record<string, string | null> = {};
  for (const dep of step.deps) {
    const producer = [...decisions.values()].find((d) => d.record?.files[dep]);
    deps[dep] = facts.deps[dep] ?? producer?.record?.files[dep]?.hash ?? PENDING;
  }
  const { name, version } = step.plugin.plugin;
  const packages = Object.keys(facts.packages).length > 0 ? { packages: facts.packages } : {};
  return { plugin: name, version, code: facts.code, ...packages, params: step.params, inputs, deps, env: facts.env };
}

/** Field name -> value, in display order. Params are flattened to their leaves. */
function flatten(m: KnownManifest | KeyManifest): Map<string, unknown> {
  const out = new Map<string, unknown>([
    ['plugin', m.plugin],
    ['version', m.version],
    ['code', m.code],
  ]);
  if (m.packages) {
    out.set('packages', hashJson(m.packages));
    for (const [name, version] of Object.entries(m.packages)) out.set(`packages.${name}`, version);
  }
  const leaves = (value: unknown, path: string) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k);
    else out.set(`params${path ? `.${path}` : ''}`, value);
  };
  leaves(m.params, '');
  for (const [group, map] of [['inputs', m.inputs], ['deps', m.deps], ['env', m.env]] as const) {
    for (const [k, v] of Object.entries(map as Record<string, string | null>)) out.set(`${group}.${k}`, v);
  }
  return out;
}

function compare(current: Map<string, unknown>, last: Map<string, unknown> | undefined): ExplainedField[] {
  const names = [...current.keys(), ...[...(last?.keys() ?? [])].filter((k) => !current.has(k))];
  return names.map((field) => {
    const now = current.has(field) ? current.get(field) : undefined;
    const then = last?.get(field);
    const change = ((): FieldChange => {
      if (!last) return 'new';
      // A param may be null; only hashes (inputs, deps, key) are pending until upstream runs.
      if (now === PENDING && !field.startsWith('params')) return 'pending';
      if (!current.has(field)) return 'removed';
      if (!last.has(field)) return 'added';
      return JSON.stringify(now) === JSON.stringify(then) ? 'same' : 'changed';
    })();
    return { field, current: now === undefined ? null : now, ...(last?.has(field) ? { last: then } : {}), change };
  });
}

export async function explainStepJson(pipeline: Pipeline, stepId: string, remote?: RemoteCache): Promise<Explanation> {
  const step = pipeline.steps.get(stepId);
  if (!step) throw new Error(`unknown step \`${stepId}\``);
  const { decisions, facts } = await planPipeline(pipeline, { targets: [stepId] }, remote);
  const decision = decisions.get(stepId)!;
  const last = openSession(pipeline.root).view(projectRelative(pipeline.root, pipeline.file)).latest(stepId);
  const current = flatten(knownManifest(step, decision, facts.get(stepId)!, decisions));
  current.set('key', decision.key ?? PENDING);
  const before = last ? flatten(last.manifest).set('key', last.key) : undefined;
  return {
    pipeline: pipeline.name,
    step: stepId,
    plugin: step.plugin.plugin.name,
    status: decision.action === 'cached' ? 'up-to-date' : 'stale',
    reason: describeReasons(decision.reasons),
    reasons: decision.reasons,
    lastRun: last ? { runId: last.runId, finishedAt: last.finishedAt, key: last.key } : null,
    fields: compare(current, before),
  };
}

const MARK: Record<FieldChange, string> = { same: ' ', changed: '*', added: '+', removed: '-', pending: '?', new: ' ' };

/** How a value reads in the table: hashes shortened, params as JSON, absent as `-`. */
function show(field: string, value: unknown, present: boolean): string {
  if (!present) return '-';
  if (field.startsWith('params')) {
    const text = JSON.stringify(value);
    return text.length > 48 ? `${text.slice(0, 45)}...` : text;
  }
  if (value === PENDING) return '(after upstream runs)';
  if (typeof value === 'string' && value.startsWith('sha256:')) return shortHash(value);
  if (value === MISSING) return '(missing)';
  return String(value);
}

export function renderExplanation(e: Explanation): string {
  const head = [
    `${e.step} (plugin \`${e.plugin}\`) in ${e.pipeline}: ${e.status} — ${e.reason}`,
    e.lastRun ? `last run: ${e.lastRun.runId}, finished ${e.lastRun.finishedAt}` : 'last run: none (never ran in this pipeline)',
    '',
  ];
  // Dozens of packages: the text lists only those that differ; `packages` stands for the rest (--json has them all).
  const shown = e.fields.filter((f) => !f.field.startsWith('packages.') || (f.change !== 'same' && f.change !== 'new'));
  const packageCount = e.fields.filter((f) => f.field.startsWith('packages.') && f.change !== 'removed').length;
  const label = (field: string) => (field === 'packages' ? `packages (${packageCount})` : field);
  const rows = shown.map((f) => [MARK[f.change], label(f.field), show(f.field, f.current, true), show(f.field, f.last, 'last' in f)] as const);
  const fieldWidth = Math.max('field'.length, ...rows.map((r) => r[1].length));
  const nowWidth = Math.max('now'.length, ...rows.map((r) => r[2].length));
  const line = (r: readonly [string, string, string, string]) => `${r[0]} ${r[1].padEnd(fieldWidth)}  ${r[2].padEnd(nowWidth)}  ${r[3]}`.trimEnd();
  const legend = e.fields.some((f) => f.change !== 'same' && f.change !== 'new') ? ['', '* changed  + added since the last run  - removed since the last run  ? unknown until upstream steps run'] : [];
  return [...head, line([' ', 'field', 'now', e.lastRun ? 'last run' : '']), ...rows.map(line), ...legend].join('\n');
}

export async function explainStep(pipeline: Pipeline, stepId: string): Promise<string> {
  return renderExplanation(await explainStepJson(pipeline, stepId));
}

/** For `status --explain <step> [--json]`: prints the explanation, returns the exit code. */
export async function explainCommand(pipeline: Pipeline, stepId: string, json: boolean, remote?: RemoteCache): Promise<number> {
  checkStepNames(pipeline, [stepId], 'status --explain');
  const explanation = await explainStepJson(pipeline, stepId, remote);
  await print((json ? JSON.stringify(explanation, null, 2) : renderExplanation(explanation)) + '\n');
  return EXIT.ok;
}
