/**
 * The shipped Grafana dashboards type-check against @grafana/schema: each JSON file becomes
 * an object literal annotated with `Dashboard` (and each panel with its plugin's options and
 * field config types), compiled by tsc, so unknown keys and wrong values are errors. Every
 * PromQL query must parse (`promtool check rules` on them as recording rules).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { REPO } from '../helpers/project.ts';
import { toolOrSkip } from './support.ts';

const DIR = join(REPO, 'monitoring/dashboards');
const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

interface PanelJson {
  type: string;
  title: string;
  targets?: { expr?: string }[];
}

/** Panel plugins whose options and field config @grafana/schema types. */
const PANEL_TYPES: Record<string, { module: string; prefix: string }> = {
  timeseries: { module: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen', prefix: 'TimeSeries' },
  stat: { module: 'stat/panelcfg/x/StatPanelCfg_types.gen', prefix: 'Stat' },
  table: { module: 'table/panelcfg/x/TablePanelCfg_types.gen', prefix: 'Table' },
};

/**
 * @grafana/schema declares its enums as TypeScript enums, which JSON's plain strings cannot
 * be assigned to; `Json<T>` is T with each enum replaced by the union of its values.
 */
const JSON_TYPE = 'type Json<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;';

function typedSource(file: string, json: { panels: PanelJson[] }): string {
  const lines = ["import type { Dashboard, Panel } from '@grafana/schema';", JSON_TYPE];
  for (const [type, { module, prefix }] of Object.entries(PANEL_TYPES)) {
    lines.push(`import type { Options as ${prefix}Options${type === 'stat' ? '' : `, FieldConfig as ${prefix}FieldConfig`} } from '@grafana/schema/dist/esm/raw/composable/${module}';`);
  }
  lines.push(`export const dashboard: Json<Dashboard> = ${JSON.stringify(json, null, 2)};`);
  // The veneer's Panel leaves `options` a record whatever TOptions is: type it explicitly.
  json.panels.forEach((panel, i) => {
    const typed = PANEL_TYPES[panel.type];
    assert.ok(typed, `${file}: panel "${panel.title}" has type ${panel.type}, which the test cannot check`);
    const config = panel.type === 'stat' ? 'Record<string, unknown>' : `${typed.prefix}FieldConfig`;
    lines.push(`export const panel${i}: Json<Omit<Panel<${typed.prefix}Options, ${config}>, 'options'> & { options: ${typed.prefix}Options }> = ${JSON.stringify(panel, null, 2)};`);
  });
  return lines.join('\n') + '\n';
}

test('every dashboard is a @grafana/schema Dashboard, its panels their plugins\' Options', async () => {
  assert.equal(dashboards, ['drift.json', 'pipeline-health.json', 'trading.json']);
  // Inside the repository so `@grafana/schema` resolves from its node_modules.
  mkdirSync(join(REPO, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'node_modules/.cache/grafana-dashboards-'));
  try {
    for (const file of dashboards) {
      const json = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { panels: PanelJson[]; uid: string };
      assert.ok(/^tradepipe-/.test(json.uid), `${file}: uid`);
      writeFileSync(join(dir, file.replace('.json', '.ts')), typedSource(file, json));
    }
    const tsconfig = { compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] }, include: ['*.ts'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const r = await execa(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { reject: false });
    assert.is(r.exitCode, 0, `tsc found dashboard errors:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dashboard with an unknown key or a wrong value fails the type check', async () => {
  mkdirSync(join(REPO, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'node_modules/.cache/grafana-dashboards-'));
  try {
    const json = JSON.parse(readFileSync(join(DIR, 'drift.json'), 'utf8')) as { panels: (PanelJson & { options: Record<string, unknown> })[] };
    json.panels[0]!.options.colorMode = 'rainbow';
    writeFileSync(join(dir, 'broken.ts'), typedSource('broken.json', json).replace('"schemaVersion"', '"schemaVersoin": 1, "schemaVersion"'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: [] }, include: ['*.ts'] }));
    const r = await execa(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { reject: false });
    assert.is.not(r.exitCode, 0);
    assert.match(r.stdout, /'"schemaVersoin"' does not exist in type/, r.stdout);
    assert.match(r.stdout, /Type '"rainbow"' is not assignable/, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every panel query is valid PromQL (promtool check rules)', async () => {
  const promtool = await toolOrSkip('promtool', 'monitor/dashboards promtool');
  if (!promtool) return;
  const rules = dashboards.flatMap((file) =>
    (JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { panels: PanelJson[] }).panels.flatMap((p, i) =>
      (p.targets ?? []).map((t, j) => ({ record: `dashboard:${file.replace('.json', '').replace(/-/g, '_')}:panel${i}_${j}`, expr: t.expr! })),
    ),
  );
  const dir = mkdtempSync(join(REPO, 'node_modules/.cache/grafana-promql-'));
  try {
    writeFileSync(join(dir, 'queries.rules.yml'), stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
    const r = await execa(promtool, ['check', 'rules', join(dir, 'queries.rules.yml')], { reject: false });
    assert.is(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
