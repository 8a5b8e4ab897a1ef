/**
 * `monitor.quality`: data quality checks on a table (row count, missing values, value
 * ranges, duplicate keys, staleness against the trading calendar, expected tickers). Every
 * configured check is reported and tracked; those in `fail_on` fail the step when they fail.
 */
import { definePlugin, labelledMetric, type ParamIssue } from '../../engine/sdk.ts';
import type { CheckResult } from './checks.ts';
import type { MonitorQualityParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

const CONFIGURED: Record<string, (p: MonitorQualityParams) => boolean> = {
  rows: (p) => p.rows !== undefined,
  missing: (p) => p.missing !== undefined,
  ranges: (p) => p.ranges !== undefined,
  duplicates: (p) => p.duplicates !== undefined,
  staleness: (p) => p.staleness !== undefined,
  tickers: (p) => p.tickers !== undefined,
};

export interface QualityReport {
  rows: number;
  checks: CheckResult[];
  failed: string[];
}

export default definePlugin<MonitorQualityParams>({
  name: 'monitor.quality',
  version: '1',
  description: 'Data quality checks: row count, missing values, ranges, duplicate keys, staleness, expected tickers.',
  paramsSchema: schema,
  inputs: { table: { description: 'The table to check (e.g. the latest daily data).' } },
  outputs: { report: { description: 'Each configured check: passed, a one-line detail, what it measured; the failed checks.' } },
  // Staleness depends on today's date: judge it afresh on every run.
  alwaysRun: (params) => params.staleness !== undefined && params.staleness.as_of === undefined,
  check(params) {
    const issues: ParamIssue[] = [];
    (params.fail_on ?? []).forEach((name, i) => {
      if (!CONFIGURED[name]!(params)) issues.push({ path: ['fail_on', i], message: `\`${name}\` is not configured: add \`${name}:\` to check it` });
    });
    if (params.rows?.min !== undefined && params.rows.max !== undefined && params.rows.min > params.rows.max) issues.push({ path: ['rows', 'max'], message: `expected at least min (${params.rows.min}), found ${params.rows.max}` });
    for (const [column, range] of Object.entries(params.ranges ?? {})) {
      if (range.min !== undefined && range.max !== undefined && range.min > range.max) issues.push({ path: ['ranges', column, 'max'], message: `expected at least min (${range.min}), found ${range.max}` });
    }
    if (Object.keys(CONFIGURED).every((name) => !CONFIGURED[name]!(params))) issues.push({ path: [], message: 'no check configured: set at least one of rows, missing, ranges, duplicates, staleness, tickers' });
    return issues;
  },
  async run(ctx, params, inputs) {
    const checks = await import('./checks.ts');
    const { dateInZone } = await import('../lib/ingest/dates.ts');
    const t = await inputs.table!.table();
    const results: CheckResult[] = [];
    try {
      if (params.rows) results.push(checks.checkRows(t, params.rows));
      if (params.missing) results.push(checks.checkMissing(t, params.missing));
      if (params.ranges) results.push(checks.checkRanges(t, params.ranges));
      if (params.duplicates) results.push(checks.checkDuplicates(t, params.duplicates));
      if (params.staleness) {
        const today = params.staleness.as_of ?? dateInZone(Date.now(), params.staleness.time_zone ?? 'America/New_York');
        results.push(checks.checkStaleness(t, params.staleness, today));
      }
      if (params.tickers) results.push(checks.checkTickers(t, params.tickers, params.ticker_column ?? 'tic'));
    } catch (error) {
      throw new Error(`monitor.quality: ${(error as Error).message}`);
    }

    const failed = results.filter((r) => !r.passed);
    for (const r of results) {
      ctx.track.metric(labelledMetric('check_failed', { check: r.check }), r.passed ? 0 : 1);
      (r.passed ? ctx.log.info : ctx.log.warn)(`${r.check}: ${r.passed ? 'ok' : 'FAILED'}: ${r.detail}`);
    }
    ctx.track.metric('checks_failed', failed.length);
    ctx.track.metric('rows', t.rows);
    const behind = results.find((r) => r.check === 'staleness')?.facts.sessions_behind;
    if (typeof behind === 'number') ctx.track.metric('sessions_behind', behind);

    const fatal = failed.filter((r) => (params.fail_on ?? []).includes(r.check));
    if (fatal.length > 0) throw new Error(`data quality checks failed: ${fatal.map((r) => `${r.check} (${r.detail})`).join('; ')}`);
    const report: QualityReport = { rows: t.rows, checks: results, failed: failed.map((r) => r.check) };
    return { report: { kind: 'json', value: report } };
  },
});
