/**
 * Running a plugin outside a pipeline, for its tests: a real StepContext (scratch dir,
 * secrets read and masked like the engine's, a temp content-addressed store for inputs
 * and outputs) that records what the plugin logs, tracks and reports. Exported by the
 * SDK, so a plugin's tests import nothing else from the engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputArtifact, storeArtifact } from './artifacts.ts';
import type { Artifact, InputArtifact, Plugin, RunInfo, StepContext, StepModelRegistry, Tracker } from './plugin.ts';
import { validateFillingDefaults } from './schema/validate.ts';
import { openSecrets } from './secrets.ts';
import { openSession } from './cache-session.ts';
import type { Store } from './store.ts';
import { Positions } from './yaml-source.ts';

export interface Recorded {
  logs: { level: 'info' | 'warn' | 'debug'; message: string }[];
  params: Record<string, unknown>[];
  metrics: { name: string; value: number; step: number | undefined }[];
  tags: Map<string, string>;
  artifacts: { path: string; name: string | undefined }[];
  progress: { fraction: number; message: string | undefined }[];
}

export interface TestContextOptions {
  /** Relative paths in params resolve here; a fresh temp folder when absent. */
  projectRoot?: string;
  stepId?: string;
  /** The declared `env:` values the step sees. */
  env?: Record<string, string | undefined>;
  /** Secrets as the environment would hold them; `config/api_keys.yaml` under `projectRoot` is read too, as in a run. */
  secrets?: Record<string, string>;
  signal?: AbortSignal;
  /** The step's folder kept across runs (a rerun test passes the same one); a fresh temp folder when absent. */
  stateDir?: string;
  run?: RunInfo;
  registry?: StepModelRegistry;
  /** Replaces the recording tracker (e.g. a real tracking sink's step). */
  track?: Tracker;
}

export interface TestStepContext extends StepContext {
  readonly recorded: Recorded;
  /** The temp store `storedInput` and `runPlugin` put artifacts in. */
  readonly store: Store;
}

/** A StepContext like the executor's, over a temp store, recording everything the plugin reports. */
export function testStepContext(options: TestContextOptions = {}): TestStepContext {
  const projectRoot = options.projectRoot ?? mkdtempSync(join(tmpdir(), 'tradepipe-plugin-'));
  const scratchDir = mkdtempSync(join(tmpdir(), 'tradepipe-scratch-'));
  const store = openSession(mkdtempSync(join(tmpdir(), 'tradepipe-store-'))).store;
  const secrets = openSecrets(projectRoot, { ...options.secrets });
  const recorded: Recorded = { logs: [], params: [], metrics: [], tags: new Map(), artifacts: [], progress: [] };
  const log = (level: 'info' | 'warn' | 'debug') => (message: string) => void recorded.logs.push({ level, message: secrets.redact(message) });
  const track: Tracker = options.track ?? {
    params: (values) => void recorded.params.push(values),
    metric: (name, value, step) => void recorded.metrics.push({ name, value, step }),
    tag: (name, value) => void recorded.tags.set(name, value),
    artifact: (path, name) => void recorded.artifacts.push({ path, name }),
  };
  return {
    stepId: options.stepId ?? 'test',
    projectRoot,
    scratchDir,
    stateDir: options.stateDir ?? mkdtempSync(join(tmpdir(), 'tradepipe-state-')),
    signal: options.signal ?? new AbortController().signal,
    log: { info: log('info'), warn: log('warn'), debug: log('debug') },
    track,
    env: { ...options.env },
    secret: (name) => secrets.get(name),
    progress: (fraction, message) => void recorded.progress.push({ fraction, message: message === undefined ? undefined : secrets.redact(message) }),
    run: options.run,
    registry: options.registry,
    recorded,
    store,
  };
}

/** A context with a store to put inputs and outputs in: `testStepContext()`'s, or one derived from it. */
export type StoreContext = StepContext & { readonly store: Store };

/** Puts a value in the context's store and hands it back as the engine hands a step its inputs. */
export async function storedInput(ctx: StoreContext, artifact: Artifact): Promise<InputArtifact> {
  return inputArtifact(ctx.store, await storeArtifact(ctx.store, artifact, ctx.scratchDir));
}

/** Validates `params` against the plugin's schema and fills its defaults, as the engine does; a violation throws. */
export function resolveParams<P>(plugin: Plugin<P>, params: Record<string, unknown>): P {
  const resolved = structuredClone(params);
  const problems = validateFillingDefaults(plugin.paramsSchema, resolved, [], new Positions(), { noun: 'param', context: ` for plugin \`${plugin.name}\`` });
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
  return resolved as P;
}

export interface PluginRun<C extends StoreContext = TestStepContext> {
  /** What `run` returned, as returned. */
  outputs: Record<string, Artifact>;
  ctx: C;
  /** Stores output `port` like the engine (a file or dir is moved into the store) and returns it as a downstream input. */
  stored(port: string): Promise<InputArtifact>;
}

/**
 * Runs a plugin as the engine would: params validated with defaults filled, inputs given
 * as stored artifacts (plain artifacts are stored first), undeclared outputs refused.
 */
export async function runPlugin<P, C extends StoreContext = TestStepContext>(
  plugin: Plugin<P>,
  params: Record<string, unknown>,
  inputs: Record<string, Artifact | InputArtifact> = {},
  ctx: C = testStepContext() as StepContext as C,
): Promise<PluginRun<C>> {
  const resolved = resolveParams(plugin, params);
  const given: Record<string, InputArtifact> = {};
  for (const [port, value] of Object.entries(inputs)) given[port] = 'hash' in value ? value : await storedInput(ctx, value);
  const outputs = await plugin.run(ctx, resolved, given);
  const declared = typeof plugin.outputs === 'function' ? plugin.outputs(resolved) : plugin.outputs;
  const extra = Object.keys(outputs).filter((name) => !(name in declared));
  if (extra.length > 0) throw new Error(`plugin \`${plugin.name}\` returned undeclared output ${extra.map((n) => `\`${n}\``).join(', ')}`);
  return {
    outputs,
    ctx,
    async stored(port) {
      const artifact = outputs[port];
      if (!artifact) throw new Error(`plugin \`${plugin.name}\` returned no output \`${port}\``);
      return storedInput(ctx, artifact);
    },
  };
}
