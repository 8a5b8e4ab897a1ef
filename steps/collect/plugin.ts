/**
 * `collect`: the fan-in end of a sweep. Every instance of a matrix step arrives on the
 * `items` port; the output is one row per instance with its matrix values and the
 * scalar fields of its JSON output (like `dvc exp show`).
 */
import { type Column, definePlugin, instancesOf, table } from '../../engine/sdk.ts';
import type { CollectParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

type Scalar = string | number | boolean | null;

export default definePlugin<CollectParams>({
  name: 'collect',
  version: '1',
  description: 'One table row per matrix instance: matrix values plus the scalar fields of its JSON output.',
  paramsSchema: schema,
  inputs: { items: { many: true, description: 'every instance of a matrix step (JSON outputs)' } },
  outputs: { table: {} },
  async run(_ctx, params, inputs) {
    const rows: Record<string, Scalar>[] = [];
    for (const [label, input] of instancesOf(inputs, 'items')) {
      const row: Record<string, Scalar> = { instance: label };
      for (const pair of label.split(',')) {
        const eq = pair.indexOf('=');
        const raw = pair.slice(eq + 1);
        row[pair.slice(0, eq)] = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
      }
      const value = await input.json<unknown>();
      const fields = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
      for (const [k, v] of Object.entries(fields)) {
        if (params.fields && !params.fields.includes(k)) continue;
        if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') row[k] = v;
      }
      rows.push(row);
    }
    const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const columns: Record<string, Column> = {};
    for (const name of names) {
      const values = rows.map((r) => r[name]);
      const numeric = values.every((v) => v === undefined || v === null || typeof v === 'number');
      columns[name] = numeric ? Float64Array.from(values, (v) => (typeof v === 'number' ? v : NaN)) : values.map((v) => (v === undefined || v === null ? null : String(v)));
    }
    return { table: { kind: 'table', table: table(columns) } };
  },
});
