/**
 * Engine-level tracking: what the executor calls. A pipeline run becomes a parent
 * run, each executed step a nested child run (its `ctx.track`), each cached step a
 * lightweight child run pointing at the run that produced its outputs.
 *
 * Every write goes to the outbox first (see outbox.ts); a background loop ships it
 * to the target (MLflow server or embedded store). Server trouble never fails the
 * pipeline: `finish` reports it as warnings and the data waits for `track sync`.
 */
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { StepModelRegistry, StoredArtifact, Tracker } from '../plugin.ts';
import { TAG, type RunRef } from './backend.ts';
import { pathSize, putPath, snapshotSync, storedPath } from './objects.ts';
import { fitValue, flattenParams, mlflowKey } from './flatten.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, MLFLOW_LIMITS } from './limits.ts';
import { assertSegmentId, segmentPath } from './outbox.ts';
import { encodeMetricValue, type RecordBody, type RunStatus } from './outbox-records.ts';
import { redactorFromEnv, type Redactor } from './redact.ts';
import type { ShipResult } from './shipper.ts';
import { readShipState } from './ship-state.ts';
import { RunOutbox } from './run-outbox.ts';
import { ShipLoop } from './ship-loop.ts';
import { openTarget, type TargetOptions, type TrackingTarget } from './target.ts';

export type FinalStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface PipelineRunInfo {
  /** Unique, file-name safe ([A-Za-z0-9._-]); names the outbox segment. */
  localRunId: string;
  pipeline: string;
  /** Pipeline file, relative to the project root. */
  file: string;
  gitCommit?: string;
  gitDirty?: boolean;
  startedAt: number;
}

export interface StepInfo {
  stepId: string;
  plugin: string;
  version: string;
  /** The step's cache key. */
  key: string;
  /** Resolved params (after defaults); logged as flattened MLflow params. */
  params: unknown;
}

export interface CachedStepInfo {
  stepId: string;
  plugin: string;
  version: string;
  key: string;
  /**
   * Who produced the cached outputs: the producing step run's `StepTracking.localRunId`
   * (preferred; store it with the cache entry), or the producing pipeline run's localRunId
   * (then the step run is taken to have the same step id).
   */
  producedBy?: string;
}

/** A stored output of a step: its content hash, as the engine's store names it. */
export type OutputRef = string | { hash: string };

export interface StepTracking extends Tracker {
  /** `<pipeline localRunId>:<stepId>`; record it with the cache entry to link later cached runs. */
  readonly localRunId: string;
  /** The target's model registry as the step's `ctx.registry`: artifacts it publishes attach to this step's run. */
  readonly registry: StepModelRegistry;
  /** Waits for artifact copies (call before removing the step's scratch dir), then closes the run. */
  finish(status: FinalStatus, durationMs: number, outputs?: Record<string, OutputRef>): Promise<void>;
}

export interface RunTracking {
  /** Where runs go: the server URI (without credentials) or the local store folder. */
  readonly target: string;
  start(info: PipelineRunInfo): void;
  step(info: StepInfo): StepTracking;
  cached(info: CachedStepInfo): void;
  /** Closes the pipeline run and ships with a bounded wait. Never throws for server trouble. */
  finish(status: FinalStatus): Promise<{ warnings: string[] }>;
}

export interface TrackingOptions extends TargetOptions {
  log: { warn(message: string): void };
  /** Bounded wait for shipping in `finish` (default: TRADEPIPE_TRACKING_FLUSH_TIMEOUT_S or 15 s). */
  flushTimeoutMs?: number;
  /** Artifacts larger than this are referenced by hash, not uploaded (default 64 MiB or TRADEPIPE_TRACKING_MAX_UPLOAD_MB). */
  maxUploadBytes?: number;
  /** Background shipping period while the pipeline runs (default 1 s). */
  shipIntervalMs?: number;
}

/** Resolves to undefined after `ms` if `promise` has not settled; leaves no timer behind. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${JSON.stringify(raw)}: expected a non-negative number`);
  return n;
}

export async function openTracking(opts: TrackingOptions): Promise<RunTracking> {
  const target = await openTarget(opts);
  const redact = redactorFromEnv(opts.env);
  const warn = (message: string): void => opts.log.warn(redact.text(message));
  const settings: SinkSettings = {
    flushTimeoutMs: opts.flushTimeoutMs ?? (envNumber(opts.env, 'TRADEPIPE_TRACKING_FLUSH_TIMEOUT_S') ?? 15) * 1000,
    maxUploadBytes: opts.maxUploadBytes ?? (envNumber(opts.env, 'TRADEPIPE_TRACKING_MAX_UPLOAD_MB') ?? DEFAULT_MAX_UPLOAD_BYTES / 2 ** 20) * 2 ** 20,
    shipIntervalMs: opts.shipIntervalMs ?? 1000,
    experimentOverride: opts.env.MLFLOW_EXPERIMENT_NAME?.trim() || undefined,
  };
  const run = new PipelineRunSink(target, redact, warn, settings);
  return {
    target: target.backend.description,
    start: (info) => run.start(info),
    step: (step) => run.step(step),
    cached: (step) => run.cached(step),
    finish: (status) => run.finish(status),
  };
}

interface SinkSettings {
  flushTimeoutMs: number;
  maxUploadBytes: number;
  shipIntervalMs: number;
  experimentOverride: string | undefined;
}

/** One pipeline run's tracking: its run record, its steps' runs, its outbox and shipping. */
class PipelineRunSink {
  info: PipelineRunInfo | undefined;
  readonly outbox: RunOutbox;
  readonly shipping: ShipLoop;
  readonly stagingDir: string;
  readonly openSteps = new Set<StepHandle>();
  private experiment = '';
  private commonTags: Record<string, string> = {};
  private readonly stepRuns = new Map<string, number>();

  constructor(
    readonly target: TrackingTarget,
    readonly redact: Redactor,
    readonly warn: (message: string) => void,
    readonly settings: SinkSettings,
  ) {
    this.stagingDir = join(target.storeDir, 'tracking', 'staging');
    this.outbox = new RunOutbox(warn);
    this.shipping = new ShipLoop(target, this.outbox, settings.shipIntervalMs, warn);
  }

  append(body: RecordBody | RecordBody[], how: { durable?: boolean; held?: boolean } = {}): void {
    this.outbox.append(body, how);
  }

  start(run: PipelineRunInfo): void {
    if (this.info) throw new Error('tracking: start() called twice');
    assertSegmentId(run.localRunId);
    this.info = run;
    this.experiment = this.settings.experimentOverride ?? run.pipeline;
    this.outbox.open(segmentPath(this.target.storeDir, run.localRunId));
    this.commonTags = {
      [TAG.pipeline]: run.pipeline,
      [TAG.pipelineFile]: run.file,
      ...(run.gitCommit ? { [TAG.gitCommit]: run.gitCommit, [TAG.mlflowGitCommit]: run.gitCommit } : {}),
      ...(run.gitDirty === undefined ? {} : { [TAG.gitDirty]: String(run.gitDirty) }),
    };
    this.append(this.runRecord(run.localRunId, { name: run.pipeline, start: run.startedAt, tags: { ...this.commonTags, [TAG.runKind]: 'pipeline' } }), { durable: true });
    this.shipping.begin(run.localRunId);
  }

  step(step: StepInfo): StepTracking {
    if (!this.info) throw new Error('tracking: start() must come before step()');
    return new StepHandle(this, step);
  }

  cached(step: CachedStepInfo): void {
    if (!this.info) throw new Error('tracking: start() must come before cached()');
    const localId = this.stepLocalId(step.stepId);
    const producedBy = step.producedBy && (step.producedBy.includes(':') ? step.producedBy : `${step.producedBy}:${step.stepId}`);
    const now = Date.now();
    const tags = this.stepTags(step);
    tags[TAG.runKind] = 'cached';
    tags[TAG.cached] = 'true';
    if (producedBy) tags[TAG.producedByLocal] = producedBy;
    this.append(this.runRecord(localId, { parent: this.info.localRunId, name: step.stepId, start: now, producedBy, tags, ended: { status: 'FINISHED', end: now } }), { held: true });
  }

  async finish(status: FinalStatus): Promise<{ warnings: string[] }> {
    const info = this.info;
    if (!info || !this.outbox.opened || this.outbox.closed) return { warnings: [] };
    const { backend, storeDir } = this.target;
    const { flushTimeoutMs } = this.settings;
    // Steps whose finish() is under way (artifact copies) close normally; the rest were cut short.
    await Promise.all([...this.openSteps].map((step) => step.closing));
    for (const step of this.openSteps) step.abandon(status === 'FINISHED' ? 'KILLED' : status);
    this.append({ op: 'end', run: info.localRunId, status, end: Date.now() });
    this.outbox.closed = true;
    await this.outbox.close();
    this.shipping.stop();
    const deadline = Date.now() + flushTimeoutMs;
    // A request in flight at the deadline is abandoned: its resend later is harmless.
    const outcome = await within(
      (async () => {
        await this.shipping.inFlight;
        return this.shipping.ship(deadline);
      })(),
      flushTimeoutMs + 1000,
    );
    const warnings: string[] = this.shipping.rejections.map((r) => `tracking: ${backend.description} refused records of run ${info.localRunId} (${r}); they are skipped`);
    // A pass still running at the bound has not shipped everything, whatever an earlier pass reported.
    if (!outcome?.done) {
      const why = outcome?.error ?? this.shipping.lastResult?.error ?? `not finished within ${flushTimeoutMs / 1000}s`;
      warnings.push(
        `tracking: run ${info.localRunId} is not fully shipped to ${backend.description} (${why}). ` +
          `Nothing is lost: it is kept in ${segmentPath(storeDir, info.localRunId)}; run \`tradepipe track sync\` to ship it.`,
      );
    }
    return { warnings: warnings.map(this.redact.text) };
  }

  /** `fields.tags` is a fresh object of the caller's: it gets the run name and goes into the record as is. */
  runRecord(localId: string, fields: { parent?: string; name: string; start: number; tags: Record<string, string>; producedBy?: string; ended?: { status: FinalStatus; end: number } }): RecordBody {
    fields.tags[TAG.runName] = fields.name;
    return { op: 'run', run: localId, experiment: this.experiment, ...fields };
  }

  stepLocalId(stepId: string): string {
    const base = `${this.info!.localRunId}:${stepId}`;
    const n = (this.stepRuns.get(base) ?? 0) + 1;
    this.stepRuns.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }

  stepTags(s: { stepId: string; plugin: string; version: string; key: string }): Record<string, string> {
    return {
      ...this.commonTags,
      [TAG.stepId]: s.stepId,
      [TAG.plugin]: s.plugin,
      [TAG.pluginVersion]: s.version,
      [TAG.cacheKey]: s.key,
    };
  }
}

/** One executed step's run: what its plugin tracks through `ctx.track`, and its registry access. */
class StepHandle implements StepTracking {
  readonly localRunId: string;
  private readonly params_ = new Map<string, string>();
  private readonly pending: Promise<void>[] = [];
  private finished = false;
  private readonly start = Date.now();

  constructor(
    private readonly run: PipelineRunSink,
    private readonly step: StepInfo,
  ) {
    this.localRunId = run.stepLocalId(step.stepId);
    run.append(run.runRecord(this.localRunId, { parent: run.info!.localRunId, name: step.stepId, start: this.start, tags: { ...run.stepTags(step), [TAG.runKind]: 'step' } }));
    this.params(step.params as Record<string, unknown>);
    run.openSteps.add(this);
  }

  get registry(): StepModelRegistry {
    const target = this.run.target;
    const models = target.registry;
    return {
      description: models.description,
      getVersion: (name, version) => models.getVersion(name, version),
      getVersionByAlias: (name, alias) => models.getVersionByAlias(name, alias),
      findVersionByHash: (name, contentHash) => models.findVersionByHash(name, contentHash),
      createVersion: (req) => models.createVersion(req),
      setVersionTag: (name, version, key, value) => models.setVersionTag(name, version, key, value),
      setAlias: (name, alias, version) => models.setAlias(name, alias, version),
      publishArtifact: (artifact, artifactPath, timeoutMs) => this.publish(artifact, artifactPath, timeoutMs ?? 120_000),
      runMetrics: async (runId) => {
        const run = await target.backend.getRun(runId);
        return run && Object.fromEntries(Object.entries(run.metrics).map(([k, p]) => [k, p.value]));
      },
    };
  }

  params(values: Record<string, unknown>): void {
    if (!this.alive('params')) return;
    const fresh: Record<string, string> = {};
    for (const [rawKey, rawValue] of flattenParams(values)) {
      const key = mlflowKey(rawKey);
      const value = fitValue(this.run.redact.entry(rawKey, rawValue), MLFLOW_LIMITS.paramValueLength);
      const previous = this.params_.get(key);
      if (previous === value) continue;
      if (previous !== undefined) {
        this.run.warn(`tracking: step ${this.step.stepId}: param ${key} was already logged as ${JSON.stringify(previous)}; keeping it (MLflow params cannot change)`);
        continue;
      }
      this.params_.set(key, value);
      fresh[key] = value;
    }
    if (Object.keys(fresh).length > 0) this.run.append({ op: 'params', run: this.localRunId, params: fresh });
  }

  metric(name: string, value: number, step = 0): void {
    if (!this.alive('metric')) return;
    if (typeof value !== 'number') {
      this.run.warn(`tracking: step ${this.step.stepId}: metric ${name} ignored: ${JSON.stringify(value)} is not a number`);
      return;
    }
    this.run.append({ op: 'metric', run: this.localRunId, key: mlflowKey(name), value: encodeMetricValue(value), step: Math.trunc(step), t: Date.now() });
  }

  tag(name: string, value: string): void {
    if (!this.alive('tag')) return;
    this.run.append({ op: 'tags', run: this.localRunId, tags: { [mlflowKey(name)]: fitValue(this.run.redact.entry(name, String(value)), MLFLOW_LIMITS.tagValueLength) } });
  }

  artifact(path: string, name?: string): void {
    if (!this.alive('artifact')) return;
    const fail = (err: unknown): void => this.run.warn(`tracking: step ${this.step.stepId}: artifact ${path} not recorded: ${(err as Error)?.message ?? err}`);
    let snapshot: string;
    try {
      // Synchronous, so the engine may move the step's outputs away as soon as it returns.
      snapshot = snapshotSync(path, this.run.stagingDir);
    } catch (err) {
      fail(err);
      return;
    }
    this.pending.push(
      this.storeArtifact(snapshot, artifactName(name ?? basename(path))).catch(async (err: unknown) => {
        fail(err);
        await rm(snapshot, { recursive: true, force: true });
      }),
    );
  }

  /** Set by the first finish(); the pipeline run's finish waits for it. */
  closing: Promise<void> | undefined;

  finish(status: FinalStatus, durationMs: number, outputs: Record<string, OutputRef> = {}): Promise<void> {
    this.closing ??= this.close(status, durationMs, outputs);
    return this.closing;
  }

  private async close(status: FinalStatus, durationMs: number, outputs: Record<string, OutputRef>): Promise<void> {
    await Promise.all(this.pending);
    if (this.finished) return;
    const tags: Record<string, string> = { [TAG.durationMs]: String(Math.round(durationMs)) };
    for (const [port, ref] of Object.entries(outputs)) tags[mlflowKey(TAG.outputPrefix + port)] = typeof ref === 'string' ? ref : ref.hash;
    this.run.append([
      { op: 'tags', run: this.localRunId, tags },
      { op: 'end', run: this.localRunId, status, end: this.start + Math.max(0, Math.round(durationMs)) },
    ]);
    this.finished = true;
    this.run.openSteps.delete(this);
    // On disk before the engine goes on with this step; other steps keep running meanwhile.
    await this.run.outbox.synced();
  }

  /** Ends a run the engine never finished (the pipeline was stopped). */
  abandon(status: RunStatus): void {
    if (this.finished) return;
    this.run.append({ op: 'end', run: this.localRunId, status, end: Date.now() });
    this.finished = true;
  }

  private alive(what: string): boolean {
    if (!this.finished) return true;
    this.run.warn(`tracking: step ${this.step.stepId}: ${what} after the step finished is ignored`);
    return false;
  }

  /** Moves a snapshot into the project's store and records it: uploaded if small enough, else referenced by hash. */
  private async storeArtifact(snapshot: string, artifactPath: string): Promise<void> {
    const { store } = this.run.target;
    const { maxUploadBytes } = this.run.settings;
    const ref = await putPath(store, snapshot, true);
    if (ref.size <= maxUploadBytes) this.run.append({ op: 'artifact', run: this.localRunId, path: artifactPath, kind: ref.kind, hash: ref.hash, bytes: ref.size }, { durable: true });
    else
      this.run.append({
        op: 'tags',
        run: this.localRunId,
        tags: { [mlflowKey(TAG.artifactRefPrefix + artifactPath)]: `${ref.hash} (${ref.size} bytes, over the ${maxUploadBytes}-byte upload limit)` },
      });
  }

  private async publish(artifact: StoredArtifact, artifactPath: string, timeoutMs: number): Promise<{ source: string; runId: string }> {
    const { store, storeDir, backend } = this.run.target;
    const shipping = this.run.shipping;
    const path = artifactName(artifactPath);
    const kind: 'file' | 'dir' = artifact.kind === 'dir' ? 'dir' : 'file';
    const stored = store.has(artifact.hash) ? { kind, hash: artifact.hash } : await putPath(store, artifact.path);
    this.run.append({ op: 'artifact', run: this.localRunId, path, kind: stored.kind, hash: stored.hash, bytes: await pathSize(await storedPath(store, stored)) }, { durable: true });
    const deadline = Date.now() + timeoutMs;
    let result: ShipResult | undefined;
    // A pass already in flight may have read the outbox before our record: go again until it is done.
    do {
      await shipping.inFlight;
      result = await shipping.ship(deadline);
    } while (result && !result.done && !result.error && Date.now() < deadline);
    const ref: RunRef | undefined = (await readShipState(storeDir, backend.targetKey, this.run.info!.localRunId)).runs[this.localRunId];
    if (!result?.done || !ref) {
      throw new Error(`cannot publish ${path} to ${backend.description}: ${result?.error ?? 'timed out'}`);
    }
    return { source: `${ref.artifactUri}/${path}`, runId: ref.runId };
  }
}

/** A relative artifact path without `..` or empty segments. */
function artifactName(name: string): string {
  const segments = name.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.includes('..')) throw new Error(`artifact name ${JSON.stringify(name)}: expected a relative path without '..'`);
  return segments.join('/');
}

