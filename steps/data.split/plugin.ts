/**
 * `data.split`: FinRL's `data_split(df, start, end)` for train, validation and test
 * periods at once. The table is sorted by date then tic once; each period is then a
 * contiguous slice found by binary search. With `stratified`, a seeded stratified random
 * split instead (labelled text for sentiment models).
 */
import { definePlugin, type ParamIssue, type PortSpec } from '../../engine/sdk.ts';
import type { DataSplitParams, DateRange } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

const SPLITS = ['train', 'validation', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

function ranges(params: DataSplitParams): [SplitName, DateRange][] {
  return SPLITS.flatMap((name) => {
    const range = params[name];
    return range ? [[name, range] as [SplitName, DateRange]] : [];
  });
}

export default definePlugin<DataSplitParams>({
  name: 'data.split',
  version: '1',
  description: "Split a table by date into train, validation and test periods (FinRL's data_split).",
  paramsSchema: schema,
  inputs: { table: { description: 'Rows with a YYYY-MM-DD `date` column (and usually `tic`).' } },
  outputs(params) {
    const ports: Record<string, PortSpec> = {};
    if (params.stratified) {
      const { column = 'label', test, validation } = params.stratified;
      ports.train = { description: `the rows not held out, stratified by ${column}` };
      if (validation !== undefined) ports.validation = { description: `${validation} of the rows, stratified by ${column}` };
      ports.test = { description: `${test} of the rows, stratified by ${column}` };
      return ports;
    }
    for (const [name, { start, end }] of ranges(params)) ports[name] = { description: `rows with ${start} <= date < ${end}` };
    return ports;
  },
  check(params) {
    const issues: ParamIssue[] = [];
    if (params.stratified) {
      for (const name of SPLITS) if (params[name]) issues.push({ path: [name], message: 'date ranges and `stratified` exclude each other' });
      const { test, validation = 0 } = params.stratified;
      if (test + validation >= 1) issues.push({ path: ['stratified'], message: `test + validation must leave rows to train on, found ${test + validation}` });
      return issues;
    }
    for (const name of ['train', 'test'] as const) if (!params[name]) issues.push({ path: [name], message: 'is required (or split with `stratified`)' });
    for (const [name, { start, end }] of ranges(params)) {
      if (!(start < end)) issues.push({ path: [name, 'end'], message: `expected an end after start ${start}, found ${end}` });
    }
    return issues;
  },
  async run(ctx, params, inputs) {
    const table = await inputs.table!.table();
    const splits = params.stratified
      ? (await import('./stratified.ts')).splitStratified(table, params.stratified)
      : (await import('./split.ts')).splitByDate(table, params.date_column ?? 'date', ranges(params));
    const outputs: Record<string, { kind: 'table'; table: typeof table }> = {};
    for (const [name, split] of Object.entries(splits)) {
      ctx.log.info(`${name}: ${split.rows} rows`);
      outputs[name] = { kind: 'table', table: split };
    }
    return outputs;
  },
});
