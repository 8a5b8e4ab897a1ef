/** Shared by the tracking tests: temp projects with a real store, captured command output, step contexts. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openSession } from '../../engine/cache-session.ts';
import type { Store } from '../../engine/store.ts';
import type { InputArtifact, StepContext, StepModelRegistry, Tracker } from '../../engine/sdk.ts';
import { testStepContext } from '../../engine/sdk-testing.ts';
import { inputArtifact } from '../../engine/artifacts.ts';
import { putPath } from '../../engine/tracking/objects.ts';
import type { CommandIO } from '../../engine/tracking/commands/common.ts';

export interface TempProject {
  root: string;
  store: Store;
  storeDir: string;
  write(rel: string, text: string): string;
  cleanup(): void;
}

export function tempProject(): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'tradepipe-tracking-'));
  const session = openSession(root);
  return {
    root,
    store: session.store,
    storeDir: session.paths.store,
    write(rel, text) {
      const path = join(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function captureIO(store: Store, env: NodeJS.ProcessEnv = {}): { io: CommandIO; out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    io: { store, env, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

export function warnings(): { log: { warn(m: string): void }; list: string[] } {
  const list: string[] = [];
  return { log: { warn: (m) => void list.push(m) }, list };
}

/** `track` is a step's tracking from `openTracking`, whose model registry becomes `ctx.registry`, or a plain tracker (no registry). */
export function stepContext(root: string, track: Tracker & { registry?: StepModelRegistry }, logs: string[] = []): StepContext {
  const push = (m: string) => void logs.push(m);
  return { ...testStepContext({ projectRoot: root, track, registry: track.registry }), log: { info: push, warn: push, debug: () => {} } };
}

/** Stores a file or directory and hands it out as the engine would to a downstream step. */
export async function storedInput(store: Store, path: string): Promise<InputArtifact> {
  const ref = await putPath(store, path);
  return inputArtifact(store, ref);
}

/** A JSON value stored as the engine stores a `json` output. */
export async function jsonInput(store: Store, value: unknown): Promise<InputArtifact> {
  const text = JSON.stringify(value);
  return inputArtifact(store, { kind: 'json', hash: await store.putBytes(text), size: text.length });
}

/** Writes a small model directory and returns its path. */
export function modelDir(root: string, name: string, weights: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algo: 'ppo', name }));
  writeFileSync(join(dir, 'policy', 'weights.bin'), weights);
  return dir;
}

/**
 * The MLflow server integration tests need: MLFLOW_TRACKING_URI, set by .ci/services/mlflow.sh.
 * Without it they print a visible SKIP; under CI=true its absence is a failure.
 */
export function mlflowUriOrSkip(topic: string): string | undefined {
  const uri = process.env.MLFLOW_TRACKING_URI;
  if (uri) return uri;
  if (process.env.CI === 'true') throw new Error(`tracking/${topic}: MLFLOW_TRACKING_URI not set under CI=true (source .ci/services/mlflow.sh)`);
  console.log(`SKIP tracking/${topic}: MLFLOW_TRACKING_URI not set`);
  return undefined;
}
