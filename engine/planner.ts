/**
 * Planning is a pure function of the graph and the cache state: for every step,
 * run or cached, and why. `status`, `--dry-run`, `--explain`, watch mode and the
 * executor (step by step, once upstream outputs are known) all use `decide`.
 */
import { isPlainObject } from './yaml-source.ts';
import { cacheKey, type KeyManifest } from './key.ts';
import type { RunRecord } from './records.ts';

export type Reason =
  | { kind: 'never-run' }
  | { kind: 'forced' }
  | { kind: 'always-run' }
  | { kind: 'cache-disabled' }
  | { kind: 'param'; path: string; before: unknown; after: unknown }
  | { kind: 'file'; path: string; change: 'changed' | 'added' | 'removed' }
  | { kind: 'input'; port: string; change: 'changed' | 'added' | 'removed' }
  | { kind: 'plugin-version'; before: string; after: string }
  | { kind: 'plugin-code' }
  /** An npm package the plugin's code imports: upgraded (`before`→`after`), newly imported (no `before`) or dropped (no `after`). */
  | { kind: 'package'; name: string; before?: string; after?: string }
  /** The last run predates package versions in the key. */
  | { kind: 'packages-unrecorded' }
  | { kind: 'env'; name: string; change: 'changed' | 'added' | 'removed' }
  | { kind: 'model'; uri: string; now: string }
  | { kind: 'upstream'; steps: string[] }
  | { kind: 'outputs-missing' }
  | { kind: 'restored'; runId: string; at: string }
  | { kind: 'remote'; remote: string; runId: string; host: string }
  | { kind: 'remote-unusable'; remote: string; problem: string }
  | { kind: 'up-to-date' };

export interface Decision {
  id: string;
  action: 'run' | 'cached';
  reasons: Reason[];
  /** Unknown while an upstream step still has to run. */
  key?: string;
  manifest?: KeyManifest;
  /** The record whose outputs a cached step reuses. */
  record?: RunRecord;
}

/** The cache state planning reads. Implementations must not change it while planning. */
export interface CacheView {
  record(key: string): RunRecord | undefined;
  /** The record the step's pointer designates (its last run in this pipeline). */
  latest(stepId: string): RunRecord | undefined;
  /** Whether every object a record references is present in the store. */
  complete(record: RunRecord): boolean;
  /** A record a remote holds for a key the local cache cannot serve (looked up before planning). */
  shared?(key: string): SharedHit | undefined;
}

/** A run record another machine shared through a remote. */
export interface SharedHit {
  remote: string;
  record: RunRecord;
  /** The machine that produced it. */
  host: string;
}

export interface StepFlags {
  forced: boolean;
  cache: boolean;
  alwaysRun: boolean;
}

export function decide(id: string, manifest: KeyManifest, view: CacheView, flags: StepFlags): Decision {
  const key = cacheKey(manifest);
  const latest = view.latest(id);
  const changes = () => (latest ? diffManifests(latest.manifest, manifest) : []);
  const base = { id, key, manifest };
  if (flags.forced) return { ...base, action: 'run', reasons: [{ kind: 'forced' }] };
  if (!flags.cache) return { ...base, action: 'run', reasons: [{ kind: 'cache-disabled' }] };
  if (flags.alwaysRun) return { ...base, action: 'run', reasons: [{ kind: 'always-run' }] };
  // An up-to-date step's latest record is the one for its key: read once.
  const record = latest?.key === key ? latest : view.record(key);
  if (record && view.complete(record)) {
    const reasons: Reason[] = latest?.key === key ? [{ kind: 'up-to-date' }] : [{ kind: 'restored', runId: record.runId, at: record.finishedAt }, ...changes()];
    return { ...base, action: 'cached', reasons, record };
  }
  const shared = view.shared?.(key);
  if (shared) return { ...base, action: 'cached', reasons: [{ kind: 'remote', remote: shared.remote, runId: shared.record.runId, host: shared.host }], record: shared.record };
  if (!latest) return { ...base, action: 'run', reasons: [record ? { kind: 'outputs-missing' } : { kind: 'never-run' }] };
  const changed = changes();
  return { ...base, action: 'run', reasons: changed.length > 0 ? changed : [{ kind: 'outputs-missing' }] };
}

/** What differs between the last run's key inputs and the current ones, most telling first. */
export function diffManifests(before: KeyManifest, after: KeyManifest): Reason[] {
  const out: Reason[] = [];
  if (before.version !== after.version) out.push({ kind: 'plugin-version', before: before.version, after: after.version });
  else if (before.code !== after.code) out.push({ kind: 'plugin-code' });
  // Same code, and packages only now: a record written before package versions were part of the key.
  if (before.packages === undefined && after.packages !== undefined && before.code === after.code) out.push({ kind: 'packages-unrecorded' });
  else {
    for (const [name, change] of diffMaps(before.packages ?? {}, after.packages ?? {})) {
      const was = change === 'added' ? {} : { before: before.packages![name]! };
      out.push({ kind: 'package', name, ...was, ...(change === 'removed' ? {} : { after: after.packages![name]! }) });
    }
  }
  for (const d of diffValues(before.params, after.params, '')) out.push({ kind: 'param', ...d });
  for (const [name, change] of diffMaps(before.inputs, after.inputs)) out.push({ kind: 'input', port: name, change });
  for (const [path, change] of diffMaps(before.deps, after.deps)) out.push({ kind: 'file', path, change });
  for (const [name, change] of diffMaps(before.env, after.env)) out.push({ kind: 'env', name, change });
  for (const [uri] of diffMaps(before.models ?? {}, after.models ?? {})) out.push({ kind: 'model', uri, now: (after.models?.[uri] ?? 'unset').split(' ')[0]! });
  return out;
}

function diffMaps(a: Record<string, string>, b: Record<string, string>): [string, 'changed' | 'added' | 'removed'][] {
  const out: [string, 'changed' | 'added' | 'removed'][] = [];
  for (const k of Object.keys(b)) if (!(k in a)) out.push([k, 'added']);
  else if (a[k] !== b[k]) out.push([k, 'changed']);
  for (const k of Object.keys(a)) if (!(k in b)) out.push([k, 'removed']);
  return out;
}

function diffValues(a: unknown, b: unknown, path: string): { path: string; before: unknown; after: unknown }[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: { path: string; before: unknown; after: unknown }[] = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out.push(...diffValues(a[k], b[k], path ? `${path}.${k}` : k));
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, before: a, after: b }];
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function describeReason(r: Reason): string {
  switch (r.kind) {
    case 'never-run':
      return 'never run';
    case 'forced':
      return 'forced';
    case 'always-run':
      return 'always_run';
    case 'cache-disabled':
      return 'cache: false';
    case 'param':
      return `param \`${r.path}\` ${show(r.before)}→${show(r.after)}`;
    case 'file':
      return `file \`${r.path}\` ${r.change}`;
    case 'input':
      return `input \`${r.port}\` ${r.change}`;
    case 'plugin-version':
      return `plugin version ${r.before}→${r.after}`;
    case 'plugin-code':
      return 'plugin code changed';
    case 'package':
      if (r.before === undefined) return `package \`${r.name}\` ${r.after} added`;
      if (r.after === undefined) return `package \`${r.name}\` ${r.before} no longer imported`;
      return `package \`${r.name}\` ${r.before}→${r.after}`;
    case 'packages-unrecorded':
      return 'package versions not recorded by the last run';
    case 'env':
      return `env \`${r.name}\` ${r.change}`;
    case 'model':
      return `model \`${r.uri}\` now resolves to ${r.now}`;
    case 'upstream':
      return `upstream ${r.steps.map((s) => `\`${s}\``).join(', ')} will run`;
    case 'outputs-missing':
      return 'outputs missing from the store';
    case 'restored':
      return `outputs of an earlier run (${r.runId}, ${r.at}) match`;
    case 'up-to-date':
      return 'up to date';
    case 'remote':
      return `found in remote ${r.remote} (run ${r.runId} on ${r.host})`;
    case 'remote-unusable':
      return `remote ${r.remote} copy unusable: ${r.problem}`;
  }
}

export function describeReasons(reasons: readonly Reason[]): string {
  return reasons.map(describeReason).join('; ');
}

export interface PlanStep {
  id: string;
  upstream: readonly string[];
  flags: StepFlags;
}

/**
 * Plans the whole graph in topological order. A step downstream of a step that
 * must run cannot know its key yet: it is planned as `run` because of `upstream`
 * (at execution time it may still turn out cached, by early cutoff).
 */
export function planSteps(order: readonly PlanStep[], manifestOf: (id: string, upstream: ReadonlyMap<string, RunRecord>) => KeyManifest, view: CacheView): Map<string, Decision> {
  const decisions = new Map<string, Decision>();
  for (const step of order) {
    const pending = step.upstream.filter((u) => decisions.get(u)?.action === 'run');
    if (pending.length > 0) {
      const reasons: Reason[] = step.flags.forced ? [{ kind: 'forced' }] : [{ kind: 'upstream', steps: pending }];
      decisions.set(step.id, { id: step.id, action: 'run', reasons });
      continue;
    }
    const upstream = new Map<string, RunRecord>();
    for (const u of step.upstream) upstream.set(u, decisions.get(u)!.record!);
    decisions.set(step.id, decide(step.id, manifestOf(step.id, upstream), view, step.flags));
  }
  return decisions;
}
