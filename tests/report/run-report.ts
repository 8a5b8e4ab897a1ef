/** Test helper: the report plugin's `run` with a minimal StepContext and in-memory input artifacts. */
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { InputArtifact, RunInfo, StepContext, Table } from '../../engine/sdk.ts';
import { testStepContext } from '../../engine/sdk-testing.ts';
import report from '../../steps/report/plugin.ts';
import type { ReportParams } from '../../steps/report/params.ts';

export function tableInput(t: Table, hash = 'sha256:' + '1'.repeat(64)): InputArtifact {
  return { kind: 'table', hash, path: '', table: async () => t, json: () => Promise.reject(new Error('json() of a table')), bytes: async () => new Uint8Array() };
}

export function jsonInput(value: unknown, hash = 'sha256:' + '2'.repeat(64)): InputArtifact {
  return { kind: 'json', hash, path: '', json: async <T>() => value as T, table: () => Promise.reject(new Error('table() of a json artifact')), bytes: async () => new Uint8Array() };
}

function context(root: string, run?: RunInfo): StepContext {
  return testStepContext({ projectRoot: root, stepId: 'report', run });
}

/** Runs the plugin with `root` as project root; returns the HTML of its `report` output. */
export async function runReport(root: string, params: ReportParams, inputs: Record<string, InputArtifact>, run?: RunInfo): Promise<string> {
  const out = await report.run(context(root, run), params, inputs);
  assert.equal(Object.keys(out), ['report']);
  const artifact = out.report!;
  assert.is(artifact.kind, 'file');
  return readFileSync((artifact as { path: string }).path, 'utf8');
}

/** Run metadata as the engine would give it to a report step. */
export function sampleRun(): RunInfo {
  return {
    pipeline: 'pipelines.d/full_strategy.yaml',
    runId: '20250101T000000-abc123',
    startedAt: '2025-01-01T00:00:00.000Z',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: true },
    steps: [
      { id: 'ohlcv', uses: 'ingest.ohlcv', params: { source: 'synthetic', tickers: ['<AAA>'] }, status: 'cached', producedIn: '20241231T000000-def456' },
      { id: 'backtest', uses: 'backtest', params: { policy: 'agent' }, status: 'executed' },
      { id: 'report', uses: 'report', params: {}, status: 'running' },
    ],
  };
}
