/**
 * `report`: one self-contained HTML page per run: the agent's equity curve against the
 * baselines, drawdown, rolling Sharpe, positions, the stats side by side, the training
 * curve, and the pipeline's metadata. Heavy work (ECharts) is imported inside `run`.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { type ArtifactKind, confinedPath, definePlugin, type InputArtifact, type ParamIssue, type PortSpec, writeFileAtomic } from '../../engine/sdk.ts';
import { SERIES, type SeriesInput } from './model.ts';
import type { ReportParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

const INPUTS: Record<string, PortSpec> = {};
for (const s of SERIES) {
  const who = s.key === 'agent' ? 'the agent' : `the ${s.label.toLowerCase()} baseline`;
  INPUTS[s.trajectory] = { description: `Backtest trajectory of ${who} (date, account_value, shares_<tic>...).`, optional: s.key !== 'agent' };
  INPUTS[s.stats] = { description: `perf_stats JSON of ${who}; computed from its trajectory when left unconnected.`, optional: true };
}
INPUTS.curve = { description: 'Training curve table (timesteps plus logged metrics).', optional: true };

export default definePlugin<ReportParams>({
  name: 'report',
  // ECharts renders every chart server-side: about a second of CPU for a large report.
  cpu: true,
  version: '1',
  description: 'Self-contained HTML report: equity vs baselines, drawdown, rolling Sharpe, positions, stats, training curve, run metadata.',
  paramsSchema: schema,
  inputs: INPUTS,
  outputs: { report: { description: 'The HTML report (one file, no external resources).' } },
  files: (params) => (params.out === undefined ? {} : { outs: [params.out] }),
  check(params) {
    const issues: ParamIssue[] = [];
    if (params.out !== undefined && (isAbsolute(params.out) || normalize(params.out).split(/[\\/]/)[0] === '..')) {
      issues.push({ path: ['out'], message: `expected a path inside the project, relative to its root, found ${JSON.stringify(params.out)}` });
    }
    return issues;
  },
  async run(ctx, params, inputs) {
    const { renderReport } = await import('./render.ts');
    const series: SeriesInput[] = [];
    for (const s of SERIES) {
      const trajectory = inputs[s.trajectory] ? await read(inputs, s.trajectory, 'table').table() : undefined;
      const stats = inputs[s.stats] ? await read(inputs, s.stats, 'json').json() : undefined;
      if (trajectory !== undefined || stats !== undefined) series.push({ key: s.key, trajectory, stats });
    }
    const curve = inputs.curve ? await read(inputs, 'curve', 'table').table() : undefined;
    const page = await renderReport(
      { series, curve },
      { labels: params.labels ?? {}, rollingWindow: params.rolling_sharpe_window ?? 63 },
      {
        title: params.title ?? 'Backtest report',
        stepId: ctx.stepId,
        params: params as Record<string, unknown>,
        inputs: Object.fromEntries(Object.keys(INPUTS).filter((p) => inputs[p]).map((p) => [p, inputs[p]!.hash])),
        run: ctx.run,
      },
    );
    const path = join(ctx.scratchDir, 'report.html');
    await writeFile(path, page);
    if (params.out !== undefined) await writeFileAtomic(await confinedPath(ctx.projectRoot, params.out), page);
    ctx.log.info(`report: ${Buffer.byteLength(page)} bytes${params.out === undefined ? '' : ` -> ${params.out}`}`);
    return { report: { kind: 'file', path } };
  },
});

function read(inputs: Record<string, InputArtifact>, port: string, kind: ArtifactKind): InputArtifact {
  const artifact = inputs[port]!;
  if (artifact.kind !== kind) throw new Error(`input \`${port}\`: expected a ${kind} artifact, found a ${artifact.kind}`);
  return artifact;
}
