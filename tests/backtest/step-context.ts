/** Test helper: the minimal StepContext and table inputs a plugin's run() needs, recording metrics. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputArtifact, StepContext, Table } from '../../engine/sdk.ts';
import { testStepContext } from '../../engine/sdk-testing.ts';

export interface TestContext extends StepContext {
  readonly metrics: Map<string, number>;
}

export function stepContext(projectRoot = mkdtempSync(join(tmpdir(), 'backtest-'))): TestContext {
  const metrics = new Map<string, number>();
  const quiet = () => {};
  const track = { params: quiet, metric: (name: string, value: number) => void metrics.set(name, value), tag: quiet, artifact: quiet };
  return { ...testStepContext({ projectRoot, track }), metrics };
}

export function tableInput(t: Table): InputArtifact {
  const unsupported = () => Promise.reject(new Error('not a json/bytes artifact'));
  return { kind: 'table', hash: 'sha256:test', path: '/nonexistent', table: async () => t, json: unsupported, bytes: unsupported };
}

/** Awaits `run` and checks it failed with exactly `message` (a string) or a matching one (a RegExp). */
export async function rejects(run: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof Error)) throw new Error(`expected a rejection with ${String(message)}, but it resolved`);
  if (typeof message === 'string' ? error.message !== message : !message.test(error.message)) {
    throw new Error(`expected the error ${String(message)}, got: ${error.message}`);
  }
}
