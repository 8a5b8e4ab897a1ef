/**
 * `monitor.drift`: Evidently 0.7's data drift verdicts (DataDriftPreset) between a
 * reference and a current table, overall and optionally per group of rows (per ticker).
 * The verdicts become tracked metrics, so `tradepipe metrics serve` exports them.
 */
import { definePlugin, labelledMetric, table, type ParamIssue, type Table, type Tracker } from '../../engine/sdk.ts';
import type { DatasetDrift, DriftOptions } from './drift.ts';
import type { MonitorDriftParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

function optionsOf(params: MonitorDriftParams): DriftOptions {
  const exclude = [...(params.exclude ?? ['date', 'tic']), ...(params.group_by ? [params.group_by] : [])];
  return {
    columns: params.columns,
    exclude,
    categorical: params.categorical ?? [],
    method: params.method ?? 'auto',
    threshold: params.threshold,
    perColumn: params.per_column ?? {},
    driftShare: params.drift_share ?? 0.5,
  };
}

export interface GroupDrift extends DatasetDrift {
  group: string;
}

export interface DriftReport extends DatasetDrift {
  skipped: { column: string; reason: string }[];
  group_by?: string;
  groups?: GroupDrift[];
  /** Groups found on one side only: not judged. */
  unmatched_groups?: { reference_only: string[]; current_only: string[] };
}

function track(track: Tracker, drift: DatasetDrift, labels: Record<string, string>): void {
  track.metric(labelledMetric('dataset_drifted', labels), drift.dataset_drift ? 1 : 0);
  track.metric(labelledMetric('share', labels), drift.share);
  track.metric(labelledMetric('drifted_columns', labels), drift.drifted_columns);
  track.metric(labelledMetric('columns', labels), drift.columns.length);
  for (const c of drift.columns) {
    track.metric(labelledMetric('column_drifted', { ...labels, column: c.column }), c.drifted ? 1 : 0);
    if (Number.isFinite(c.score)) track.metric(labelledMetric('column_score', { ...labels, column: c.column }), c.score);
  }
}

function resultTable(report: DriftReport): Table {
  const rows = [
    ...report.columns.map((c) => ({ group: null as string | null, c })),
    ...(report.groups ?? []).flatMap((g) => g.columns.map((c) => ({ group: g.group as string | null, c }))),
  ];
  return table({
    group: rows.map((r) => r.group),
    column: rows.map((r) => r.c.column),
    type: rows.map((r) => r.c.type),
    method: rows.map((r) => r.c.method),
    score_kind: rows.map((r) => r.c.score_kind),
    score: Float64Array.from(rows, (r) => r.c.score),
    threshold: Float64Array.from(rows, (r) => r.c.threshold),
    drifted: Int32Array.from(rows, (r) => (r.c.drifted ? 1 : 0)),
  });
}

/** `close, volume` drifted overall; `tic=AAPL: close` per group. */
function driftedSummary(report: DriftReport): string[] {
  const names = (d: DatasetDrift) => d.columns.filter((c) => c.drifted).map((c) => c.column).join(', ');
  const out: string[] = [];
  if (report.dataset_drift) out.push(`overall (share ${report.share.toFixed(2)} >= ${report.drift_share}): ${names(report)}`);
  for (const g of report.groups ?? []) if (g.dataset_drift) out.push(`${report.group_by}=${g.group} (share ${g.share.toFixed(2)}): ${names(g)}`);
  return out;
}

export default definePlugin<MonitorDriftParams>({
  name: 'monitor.drift',
  cpu: true,
  version: '1',
  description: "Data drift between a reference and a current table with Evidently 0.7's tests and verdicts.",
  paramsSchema: schema,
  inputs: {
    reference: { description: 'The reference window (e.g. the training period).' },
    current: { description: 'The window to check (e.g. the latest days).' },
  },
  outputs: {
    report: { description: 'Per column: type, method, score, threshold, verdict; the drifted share and dataset verdict; per group when `group_by`.' },
    table: { description: 'One row per (group, column): group (empty overall), column, type, method, score_kind, score, threshold, drifted.' },
  },
  check(params) {
    const issues: ParamIssue[] = [];
    for (const column of Object.keys(params.per_column ?? {})) {
      if (params.columns && !params.columns.includes(column)) issues.push({ path: ['per_column', column], message: `\`${column}\` is not in \`columns\` (${params.columns.join(', ')})` });
    }
    if (params.group_by && params.columns?.includes(params.group_by)) issues.push({ path: ['group_by'], message: `\`${params.group_by}\` groups the rows, so it cannot also be a compared column` });
    return issues;
  },
  async run(ctx, params, inputs) {
    const { datasetDrift, planColumns, DriftInputError } = await import('./drift.ts');
    const { splitByGroup } = await import('./groups.ts');
    const reference = await inputs.reference!.table();
    const current = await inputs.current!.table();
    const options = optionsOf(params);
    let report: DriftReport;
    try {
      const { columns, skipped } = planColumns(reference, current, options);
      if (columns.length === 0) throw new DriftInputError(`no column to compare (skipped: ${skipped.map((s) => `${s.column}: ${s.reason}`).join('; ') || 'none'})`);
      for (const s of skipped) ctx.log.warn(`column \`${s.column}\` left out: ${s.reason}`);
      report = { ...datasetDrift(reference, current, columns, options), skipped };
      if (params.group_by) {
        const split = splitByGroup(reference, current, params.group_by);
        report.group_by = params.group_by;
        report.groups = split.groups.map(({ group, reference: r, current: c }) => ({ group, ...datasetDrift(r, c, columns, options, ` for ${params.group_by}=${group}`) }));
        report.unmatched_groups = { reference_only: split.referenceOnly, current_only: split.currentOnly };
      }
    } catch (error) {
      if (error instanceof DriftInputError) throw new Error(`monitor.drift: ${error.message}`);
      throw error;
    }

    track(ctx.track, report, {});
    for (const g of report.groups ?? []) track(ctx.track, g, { group: g.group });
    const drifted = driftedSummary(report);
    ctx.log.info(`${report.drifted_columns} of ${report.columns.length} columns drifted (share ${report.share.toFixed(3)}); dataset ${report.dataset_drift ? 'drifted' : 'not drifted'}`);
    if (params.fail_on_drift && drifted.length > 0) throw new Error(`data drift detected: ${drifted.join('; ')}`);
    return { report: { kind: 'json', value: report }, table: { kind: 'table', table: resultTable(report) } };
  },
});
