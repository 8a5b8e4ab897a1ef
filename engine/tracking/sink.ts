/**
 * Engine-level tracking: what the executor calls. A pipeline run becomes a parent
 * run, each executed step a nested child run (its `ctx.track`), each cached step a
 * lightweight child run pointing at the run that produced its outputs.
 *
 * Every write goes to the outbox first (see outbox.ts); a background loop ships it
 * to the target (MLflow server or embedded store). Server trouble never fails the
 * pipeline: `finish` reports it as warnings and the data waits for `track sync`.
 */
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { lockSync } from 'proper-lockfile';
import type { StepModelRegistry, StoredArtifact, Tracker } from '../plugin.ts';
import { TAG, type RunRef } from './backend.ts';
import { pathSize, putPath, snapshotSync, storedPath } from './objects.ts';
import { fitValue, flattenParams, mlflowKey } from './flatten.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, MLFLOW_LIMITS } from './limits.ts';
import { assertSegmentId, listSegments, segmentPath, SegmentWriter } from './outbox.ts';
import { encodeMetricValue, type RecordBody, type RunStatus } from './outbox-records.ts';
import { redactorFromEnv } from './redact.ts';
import { shipSegment, type ShipResult } from './shipper.ts';
import { completeSegments, readShipState, shippedOffset } from './ship-state.ts';
import { openTarget, type TargetOptions, } from './target.ts';

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

export function openTracking(opts: TrackingOptions): RunTracking {
  const target = openTarget(opts);
  const { backend, store, storeDir } = target;
  const stagingDir = join(storeDir, 'tracking', 'staging');
  const redact = redactorFromEnv(opts.env);
  const warn = (message: string): void => opts.log.warn(redact.text(message));
  const flushTimeoutMs = opts.flushTimeoutMs ?? (envNumber(opts.env, 'TRADEPIPE_TRACKING_FLUSH_TIMEOUT_S') ?? 15) * 1000;
  const maxUploadBytes = opts.maxUploadBytes ?? (envNumber(opts.env, 'TRADEPIPE_TRACKING_MAX_UPLOAD_MB') ?? DEFAULT_MAX_UPLOAD_BYTES / 2 ** 20) * 2 ** 20;
  const shipIntervalMs = opts.shipIntervalMs ?? 1000;
  const experimentOverride = opts.env.MLFLOW_EXPERIMENT_NAME?.trim() || undefined;

  let info: PipelineRunInfo | undefined;
  let writer: SegmentWriter | undefined;
  let releaseWriterLock: (() => void) | undefined;
  let experiment = '';
  let commonTags: Record<string, string> = {};
  const stepRuns = new Map<string, number>();
  const openSteps = new Set<StepHandle>();
  /** Segments (older first) this run ships; the run's own is last. */
  let segments: string[] = [];
  let loop: NodeJS.Timeout | undefined;
  let inFlight: Promise<ShipResult | undefined> | undefined;
  let lastResult: ShipResult | undefined;
  let consecutiveFailures = 0;
  let nextAttemptAt = 0;
  let warnedDown = false;
  const rejections: string[] = [];

  let closed = false;
  /**
   * `durable`: on disk before returning (a boundary worth an fdatasync), else within 200 ms.
   * `held`: cheap to lose in a crash (a cached step: its outcome is in the engine's run
   * records too), so written with the next record or within 50 ms, one write per burst.
   */
  const append = (body: RecordBody | RecordBody[], how: { durable?: boolean; held?: boolean } = {}): void => {
    if (!writer) throw new Error('tracking: start() must come before anything else');
    const bodies = Array.isArray(body) ? body : [body];
    if (closed) {
      // A plugin's stray async work after the pipeline run ended: nothing to attach it to.
      for (const b of bodies) warn(`tracking: ${b.op} for ${b.run} after the pipeline run finished is ignored`);
      return;
    }
    if (how.held) writer.hold(bodies);
    else writer.append(bodies, how.durable);
  };

  /** One pass over the pending segments, oldest first; stops at the first one that cannot finish. */
  const shipPass = async (deadline: number): Promise<ShipResult | undefined> => {
    writer?.flush();
    let last: ShipResult | undefined;
    for (const segment of [...segments]) {
      last = await shipSegment(segment, { storeDir, backend, store, deadline });
      rejections.push(...last.rejected);
      if (!last.done) return last;
      if (segment !== info?.localRunId) segments = segments.filter((s) => s !== segment);
    }
    return last;
  };

  const ship = (deadline: number): Promise<ShipResult | undefined> => {
    if (!inFlight) {
      inFlight = shipPass(deadline)
        .catch((err: unknown): ShipResult => ({ done: false, shipped: 0, pending: -1, error: String((err as Error)?.message ?? err), rejected: [] }))
        .then((result) => {
          lastResult = result;
          if (result && !result.done && result.error) {
            consecutiveFailures += 1;
            nextAttemptAt = Date.now() + Math.min(30_000, shipIntervalMs * 2 ** consecutiveFailures);
            if (!warnedDown) {
              warnedDown = true;
              warn(`tracking: cannot ship to ${backend.description} (${result.error}); buffering in ${segmentPath(storeDir, info?.localRunId ?? '')} and retrying`);
            }
          } else {
            consecutiveFailures = 0;
          }
          return result;
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };

  const tick = (): void => {
    if (Date.now() >= nextAttemptAt) void ship(Date.now() + Math.max(5000, shipIntervalMs));
    loop = setTimeout(tick, shipIntervalMs);
    loop.unref();
  };

  /** Older segments with records this target has not received (history from before a server was configured, say). */
  const pendingOlderSegments = async (own: string): Promise<string[]> => {
    const out: string[] = [];
    const complete = await completeSegments(storeDir, backend.targetKey);
    for (const segment of listSegments(storeDir, (id) => id !== own && !complete.has(id))) {
      const size = statSync(segmentPath(storeDir, segment), { throwIfNoEntry: false })?.size ?? 0;
      if ((await shippedOffset(storeDir, backend.targetKey, segment)) < size) out.push(segment);
    }
    return out;
  };

  /** `fields.tags` is a fresh object of the caller's: it gets the run name and goes into the record as is. */
  const runRecord = (localId: string, fields: { parent?: string; name: string; start: number; tags: Record<string, string>; producedBy?: string }): RecordBody => {
    fields.tags[TAG.runName] = fields.name;
    return { op: 'run', run: localId, experiment, ...fields };
  };

  const stepLocalId = (stepId: string): string => {
    const base = `${info!.localRunId}:${stepId}`;
    const n = (stepRuns.get(base) ?? 0) + 1;
    stepRuns.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  };

  const stepTags = (s: { stepId: string; plugin: string; version: string; key: string }): Record<string, string> => ({
    ...commonTags,
    [TAG.stepId]: s.stepId,
    [TAG.plugin]: s.plugin,
    [TAG.pluginVersion]: s.version,
    [TAG.cacheKey]: s.key,
  });

  class StepHandle implements StepTracking {
    readonly localRunId: string;
    private readonly params_ = new Map<string, string>();
    private readonly pending: Promise<void>[] = [];
    private finished = false;
    private readonly start = Date.now();

    constructor(private readonly step: StepInfo) {
      this.localRunId = stepLocalId(step.stepId);
      append(runRecord(this.localRunId, { parent: info!.localRunId, name: step.stepId, start: this.start, tags: { ...stepTags(step), [TAG.runKind]: 'step' } }));
      this.params(step.params as Record<string, unknown>);
      openSteps.add(this);
    }

    get registry(): StepModelRegistry {
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
        const value = fitValue(redact.entry(rawKey, rawValue), MLFLOW_LIMITS.paramValueLength);
        const previous = this.params_.get(key);
        if (previous === value) continue;
        if (previous !== undefined) {
          warn(`tracking: step ${this.step.stepId}: param ${key} was already logged as ${JSON.stringify(previous)}; keeping it (MLflow params cannot change)`);
          continue;
        }
        this.params_.set(key, value);
        fresh[key] = value;
      }
      if (Object.keys(fresh).length > 0) append({ op: 'params', run: this.localRunId, params: fresh });
    }

    metric(name: string, value: number, step = 0): void {
      if (!this.alive('metric')) return;
      if (typeof value !== 'number') {
        warn(`tracking: step ${this.step.stepId}: metric ${name} ignored: ${JSON.stringify(value)} is not a number`);
        return;
      }
      append({ op: 'metric', run: this.localRunId, key: mlflowKey(name), value: encodeMetricValue(value), step: Math.trunc(step), t: Date.now() });
    }

    tag(name: string, value: string): void {
      if (!this.alive('tag')) return;
      append({ op: 'tags', run: this.localRunId, tags: { [mlflowKey(name)]: fitValue(redact.entry(name, String(value)), MLFLOW_LIMITS.tagValueLength) } });
    }

    artifact(path: string, name?: string): void {
      if (!this.alive('artifact')) return;
      const fail = (err: unknown): void => warn(`tracking: step ${this.step.stepId}: artifact ${path} not recorded: ${(err as Error)?.message ?? err}`);
      let snapshot: string;
      try {
        // Synchronous, so the engine may move the step's outputs away as soon as it returns.
        snapshot = snapshotSync(path, stagingDir);
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
      append([
        { op: 'tags', run: this.localRunId, tags },
        { op: 'end', run: this.localRunId, status, end: this.start + Math.max(0, Math.round(durationMs)) },
      ]);
      this.finished = true;
      openSteps.delete(this);
      // On disk before the engine goes on with this step; other steps keep running meanwhile.
      await writer!.synced();
    }

    /** Ends a run the engine never finished (the pipeline was stopped). */
    abandon(status: RunStatus): void {
      if (this.finished) return;
      append({ op: 'end', run: this.localRunId, status, end: Date.now() });
      this.finished = true;
    }

    private alive(what: string): boolean {
      if (!this.finished) return true;
      warn(`tracking: step ${this.step.stepId}: ${what} after the step finished is ignored`);
      return false;
    }

    /** Moves a snapshot into the project's store and records it: uploaded if small enough, else referenced by hash. */
    private async storeArtifact(snapshot: string, artifactPath: string): Promise<void> {
      const ref = await putPath(store, snapshot, true);
      if (ref.size <= maxUploadBytes) append({ op: 'artifact', run: this.localRunId, path: artifactPath, kind: ref.kind, hash: ref.hash, bytes: ref.size }, { durable: true });
      else append({ op: 'tags', run: this.localRunId, tags: { [mlflowKey(TAG.artifactRefPrefix + artifactPath)]: `${ref.hash} (${ref.size} bytes, over the ${maxUploadBytes}-byte upload limit)` } });
    }

    private async publish(artifact: StoredArtifact, artifactPath: string, timeoutMs: number): Promise<{ source: string; runId: string }> {
      const path = artifactName(artifactPath);
      const kind: 'file' | 'dir' = artifact.kind === 'dir' ? 'dir' : 'file';
      const stored = store.has(artifact.hash) ? { kind, hash: artifact.hash } : await putPath(store, artifact.path);
      append({ op: 'artifact', run: this.localRunId, path, kind: stored.kind, hash: stored.hash, bytes: await pathSize(await storedPath(store, stored)) }, { durable: true });
      const deadline = Date.now() + timeoutMs;
      let result: ShipResult | undefined;
      // A pass already in flight may have read the outbox before our record: go again until it is done.
      do {
        await inFlight;
        result = await ship(deadline);
      } while (result && !result.done && !result.error && Date.now() < deadline);
      const ref: RunRef | undefined = (await readShipState(storeDir, backend.targetKey, info!.localRunId)).runs[this.localRunId];
      if (!result?.done || !ref) {
        throw new Error(`cannot publish ${path} to ${backend.description}: ${result?.error ?? 'timed out'}`);
      }
      return { source: `${ref.artifactUri}/${path}`, runId: ref.runId };
    }
  }

  return {
    target: backend.description,

    start(run) {
      if (info) throw new Error('tracking: start() called twice');
      assertSegmentId(run.localRunId);
      info = run;
      experiment = experimentOverride ?? run.pipeline;
      const file = segmentPath(storeDir, run.localRunId);
      writer = new SegmentWriter(file);
      releaseWriterLock = lockSync(file, { realpath: false, stale: 30_000, update: 10_000, onCompromised: () => undefined });
      commonTags = {
        [TAG.pipeline]: run.pipeline,
        [TAG.pipelineFile]: run.file,
        ...(run.gitCommit ? { [TAG.gitCommit]: run.gitCommit, [TAG.mlflowGitCommit]: run.gitCommit } : {}),
        ...(run.gitDirty === undefined ? {} : { [TAG.gitDirty]: String(run.gitDirty) }),
      };
      append(runRecord(run.localRunId, { name: run.pipeline, start: run.startedAt, tags: { ...commonTags, [TAG.runKind]: 'pipeline' } }), { durable: true });
      segments = [run.localRunId];
      void pendingOlderSegments(run.localRunId).then(
        (older) => {
          segments = [...older, ...segments];
        },
        () => undefined,
      );
      tick();
    },

    step(step) {
      if (!info) throw new Error('tracking: start() must come before step()');
      return new StepHandle(step);
    },

    cached(step) {
      if (!info) throw new Error('tracking: start() must come before cached()');
      const localId = stepLocalId(step.stepId);
      const producedBy = step.producedBy && (step.producedBy.includes(':') ? step.producedBy : `${step.producedBy}:${step.stepId}`);
      const now = Date.now();
      const tags = stepTags(step);
      tags[TAG.runKind] = 'cached';
      tags[TAG.cached] = 'true';
      if (producedBy) tags[TAG.producedByLocal] = producedBy;
      append([runRecord(localId, { parent: info.localRunId, name: step.stepId, start: now, producedBy, tags }), { op: 'end', run: localId, status: 'FINISHED', end: now }], { held: true });
    },

    async finish(status) {
      if (!info || !writer || closed) return { warnings: [] };
      // Steps whose finish() is under way (artifact copies) close normally; the rest were cut short.
      await Promise.all([...openSteps].map((step) => step.closing));
      for (const step of openSteps) step.abandon(status === 'FINISHED' ? 'KILLED' : status);
      append({ op: 'end', run: info.localRunId, status, end: Date.now() });
      closed = true;
      await writer.idle();
      writer.close();
      releaseWriterLock?.();
      if (loop) clearTimeout(loop);
      const deadline = Date.now() + flushTimeoutMs;
      // A request in flight at the deadline is abandoned: its resend later is harmless.
      const outcome = await within(
        (async () => {
          await inFlight;
          return ship(deadline);
        })(),
        flushTimeoutMs + 1000,
      );
      const result = outcome ?? lastResult;
      const warnings: string[] = rejections.map((r) => `tracking: ${backend.description} refused records of run ${info!.localRunId} (${r}); they are skipped`);
      if (!result?.done) {
        const why = result?.error ?? `not finished within ${flushTimeoutMs / 1000}s`;
        warnings.push(
          `tracking: run ${info.localRunId} is not fully shipped to ${backend.description} (${why}). ` +
            `Nothing is lost: it is kept in ${segmentPath(storeDir, info.localRunId)}; run \`tradepipe track sync\` to ship it.`,
        );
      }
      return { warnings: warnings.map(redact.text) };
    },
  };
}

/** A relative artifact path without `..` or empty segments. */
function artifactName(name: string): string {
  const segments = name.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.includes('..')) throw new Error(`artifact name ${JSON.stringify(name)}: expected a relative path without '..'`);
  return segments.join('/');
}

