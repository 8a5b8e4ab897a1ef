/**
 * `data.split`: FinRL's `data_split(df, start, end)` for train, validation and test
 * periods at once. The table is sorted by date then tic once; each period is then a
 * contiguous slice found by binary search.
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
    for (const [name, { start, end }] of ranges(params)) ports[name] = { description: `rows with ${start} <= date < ${end}` };
    return ports;
  },
  check(params) {
    const issues: ParamIssue[] = [];
    for (const [name, { start, end }] of ranges(params)) {
      if (!(start < end)) issues.push({ path: [name, 'end'], message: `expected an end after start ${start}, found ${end}` });
    }
    return issues;
  },
  async run(ctx, params, inputs) {
    const { splitByDate } = await import('./split.ts');
    const table = await inputs.table!.table();
    const splits = splitByDate(table, params.date_column ?? 'date', ranges(params));
    const outputs: Record<string, { kind: 'table'; table: typeof table }> = {};
    for (const [name, split] of Object.entries(splits)) {
      ctx.log.info(`${name}: ${split.rows} rows`);
      outputs[name] = { kind: 'table', table: split };
    }
    return outputs;
  },
});
