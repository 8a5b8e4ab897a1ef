/** Test helpers: a minimal StepContext and table inputs for calling a plugin's `run` directly; numbers spelled out for deep comparison. */
import type { InputArtifact, StepContext, Table } from '../../engine/sdk.ts';
import { testStepContext } from '../../engine/sdk-testing.ts';
import { fromParquet, toParquet } from '../../engine/table/parquet.ts';

export function stepContext(projectRoot: string): StepContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    ...testStepContext({ projectRoot, stepId: 'step' }),
    lines,
    log: { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`), debug: () => {} },
  };
}

/** A table input as the engine hands it over: stored as Parquet, read back on demand. */
export function tableInput(t: Table): InputArtifact {
  const bytes = toParquet(t);
  return {
    kind: 'table',
    hash: 'sha256:test',
    path: '',
    table: async () => fromParquet(bytes),
    bytes: async () => bytes,
    json: async () => {
      throw new Error('not json');
    },
  };
}

/** Numbers as text, so that NaN equals NaN and -0 differs from 0 in deep comparisons. */
export function spelled(values: unknown): string[] {
  return Array.from(values as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : String(x)));
}

/** The message of the error a call rejects with; fails when it resolves. */
export async function rejection(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the call to fail');
}
