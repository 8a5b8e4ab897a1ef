/**
 * monitor.drift against live Evidently 0.7 (TRADEPIPE_EVIDENTLY_PYTHON, from
 * .ci/services/evidently.sh): on generated reference/current pairs on both sides of 1,000
 * rows, every column's type, method, score (1e-9) and verdict, and the drifted count and
 * share, equal Evidently's DataDriftPreset.
 */
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { table, type Column, type Table } from '../../engine/sdk.ts';
import { datasetDrift, planColumns, type DriftOptions } from '../../steps/monitor.drift/drift.ts';
import { kstwoSf } from '../../steps/monitor.drift/kstwo.ts';
import type { Method } from '../../steps/monitor.drift/stattests.ts';
import { REPO } from '../helpers/project.ts';

const python = process.env.TRADEPIPE_EVIDENTLY_PYTHON;
if (!python) {
  if (process.env.CI === 'true') throw new Error('monitor/drift-parity: TRADEPIPE_EVIDENTLY_PYTHON not set under CI=true (source .ci/services/evidently.sh)');
  console.log('SKIP monitor/drift-parity: TRADEPIPE_EVIDENTLY_PYTHON not set (source .ci/services/evidently.sh)');
}

/** mulberry32: the same pairs on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number, mean: number, sd: number): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

type Dtype = 'float' | 'int' | 'str';
type Values = (number | string | null)[];

interface Side {
  columns: Record<string, Values>;
}

/** One side of a pair; `shift` moves some columns (a drifted current). */
function side(rand: () => number, rows: number, shift: number): Side {
  const pick = <T>(values: readonly T[], weights: readonly number[]): T => {
    let u = rand() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < values.length; i++) if ((u -= weights[i]!) < 0) return values[i]!;
    return values[values.length - 1]!;
  };
  const gen = (f: () => number | string | null): Values => Array.from({ length: rows }, f);
  return {
    columns: {
      price: gen(() => Math.round(normal(rand, 100 + 3 * shift, 5) * 100) / 100),
      returns: gen(() => normal(rand, 0, 0.01)),
      with_nan: gen(() => (rand() < 0.1 ? null : normal(rand, shift, 1))),
      volume: gen(() => Math.floor(rand() * 60) + (shift ? 10 : 0)),
      regime: gen(() => pick([0, 1, 2, 3], shift ? [1, 1, 1, 3] : [1, 1, 1, 1])),
      level: gen(() => pick([0.5, 1.5, 2.5], [2, 1, 1])),
      flag: gen(() => (rand() < 0.3 + 0.1 * shift ? 1 : 0)),
      sector: gen(() => pick(['tech', 'energy', 'finance', 'health', 'retail'], shift ? [5, 1, 1, 1, 2] : [1, 1, 1, 1, 1])),
      side_flag: gen(() => (rand() < 0.5 ? 'buy' : 'sell')),
      rating: gen(() => (rand() < 0.15 ? null : pick(['A', 'B', 'C', 'D'], shift ? [1, 2, 3, 4] : [4, 3, 2, 1]))),
      new_value: gen(() => (shift && rand() < 0.05 ? 'new' : pick(['a', 'b', 'c'], [1, 1, 1]))),
      constant: gen(() => 7),
      constant_moved: gen(() => (shift ? 2 : 1)),
      constant_float: gen(() => 1.5),
    },
  };
}

const DTYPES: Record<string, Dtype> = {
  price: 'float',
  returns: 'float',
  with_nan: 'float',
  volume: 'int',
  regime: 'int',
  level: 'float',
  flag: 'int',
  sector: 'str',
  side_flag: 'str',
  rating: 'str',
  new_value: 'str',
  constant: 'int',
  constant_moved: 'int',
  constant_float: 'float',
};

function toTable(s: Side): Table {
  const columns: Record<string, Column> = {};
  for (const [name, values] of Object.entries(s.columns)) {
    const dtype = DTYPES[name]!;
    columns[name] = dtype === 'float' ? Float64Array.from(values, (v) => (v === null ? NaN : (v as number))) : dtype === 'int' ? Int32Array.from(values as number[]) : (values as (string | null)[]);
  }
  return table(columns);
}

interface Case {
  name: string;
  reference: Side;
  current: Side;
  method?: Method;
  per_column_method?: Record<string, Method>;
  threshold?: number;
  categorical?: string[];
  drift_share?: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  let seed = 1;
  const pair = (name: string, refRows: number, curRows: number, shift: number, extra: Partial<Case> = {}) => {
    const rand = rng(seed++);
    out.push({ name, reference: side(rand, refRows, 0), current: side(rand, curRows, shift), ...extra });
  };
  pair('small, drifted', 600, 450, 1);
  pair('small, same distribution', 800, 800, 0);
  pair('small, equal sizes, drifted', 700, 700, 1);
  pair('1,000 reference rows (tests)', 1000, 1000, 1);
  pair('1,001 reference rows (distances)', 1001, 900, 1);
  pair('large, drifted', 2500, 1800, 1);
  pair('large, same distribution', 3000, 2000, 0);
  pair('psi everywhere', 1500, 1200, 1, { method: 'psi' });
  pair('kl_div everywhere, small', 600, 500, 1, { method: 'kl_div' });
  pair('jensenshannon everywhere, small', 600, 500, 0, { method: 'jensenshannon' });
  pair('per-column methods and a threshold', 900, 1100, 1, { per_column_method: { price: 'wasserstein', returns: 'psi', sector: 'jensenshannon', regime: 'kl_div' }, threshold: 0.2 });
  pair('numbers declared categorical', 800, 700, 1, { categorical: ['level', 'volume'] });
  pair('ks on large samples', 1500, 1400, 1, { per_column_method: { price: 'ks', returns: 'ks', with_nan: 'ks' } });
  pair('drift share 0.3', 1200, 1300, 1, { drift_share: 0.3 });
  pair('current beyond 10,000 rows (asymptotic K-S)', 500, 10500, 1);
  pair('current beyond 10,000 rows, same distribution', 900, 10200, 0);
  return out;
}

const DEFAULT_EXCLUDE = ['date', 'tic'];

function options(c: Case): DriftOptions {
  const perColumn = Object.fromEntries(Object.entries(c.per_column_method ?? {}).map(([k, method]) => [k, { method }]));
  return { exclude: DEFAULT_EXCLUDE, categorical: c.categorical ?? [], method: c.method ?? 'auto', threshold: c.threshold, perColumn, driftShare: c.drift_share ?? 0.5 };
}

interface EvidentlyResult {
  count: number;
  share: number;
  columns: Record<string, { type: string; method: string; method_name: string; score: number | null; threshold: number; drifted: boolean }>;
}

test('every column: type, method, score (1e-9) and verdict equal Evidently 0.7; drifted count and share too', async () => {
  if (!python) return;
  const all = cases();
  const ours = all.map((c) => {
    const reference = toTable(c.reference);
    const current = toTable(c.current);
    const { columns, skipped } = planColumns(reference, current, options(c));
    return { plan: columns, skipped, drift: datasetDrift(reference, current, columns, options(c)) };
  });
  const input = all.map((c, i) => ({
    reference: c.reference.columns,
    current: c.current.columns,
    dtypes: DTYPES,
    columns: ours[i]!.plan.map((p) => p.column),
    categorical: c.categorical,
    method: c.method,
    per_column_method: c.per_column_method,
    threshold: c.threshold,
    drift_share: c.drift_share ?? 0.5,
  }));
  const { stdout } = await execa(python, [join(REPO, 'tests/monitor/evidently_drift.py')], { input: JSON.stringify(input), maxBuffer: 1 << 28 });
  const theirs = JSON.parse(stdout) as EvidentlyResult[];
  let compared = 0;
  let maxDiff = 0;
  const methods = new Set<string>();
  for (const [i, c] of all.entries()) {
    const { drift, skipped } = ours[i]!;
    const ev = theirs[i]!;
    assert.equal(skipped, [], `${c.name}: skipped`);
    assert.equal(drift.columns.map((col) => col.column).sort(), Object.keys(ev.columns).sort(), `${c.name}: columns`);
    for (const col of drift.columns) {
      const e = ev.columns[col.column]!;
      const where = `${c.name}, ${col.column}`;
      assert.is(col.type, e.type, `${where}: type`);
      assert.is(col.method, e.method, `${where}: method`);
      // Evidently names an auto-chosen test by its display name, an asked-for one by the name asked.
      const asked = c.per_column_method?.[col.column] ?? c.method;
      assert.is(asked ?? col.method_name, e.method_name, `${where}: method name`);
      assert.is(col.threshold, e.threshold, `${where}: threshold`);
      if (e.score === null) assert.ok(Number.isNaN(col.score), `${where}: score ${col.score}, Evidently NaN`);
      else {
        const diff = Math.abs(col.score - e.score);
        assert.ok(diff <= 1e-9 || (col.score === Infinity && e.score === Infinity), `${where}: score ${col.score} vs Evidently ${e.score} (diff ${diff})`);
        if (Number.isFinite(diff)) maxDiff = Math.max(maxDiff, diff);
      }
      assert.is(col.drifted, e.drifted, `${where}: verdict (score ${col.score})`);
      methods.add(col.method);
      compared += 1;
    }
    assert.is(drift.drifted_columns, ev.count, `${c.name}: drifted columns`);
    assert.ok(Math.abs(drift.share - ev.share) <= 1e-12, `${c.name}: share ${drift.share} vs ${ev.share}`);
  }
  assert.equal([...methods].sort(), ['chisquare', 'jensenshannon', 'kl_div', 'ks', 'psi', 'wasserstein', 'z']);
  console.log(`monitor/drift-parity: ${all.length} pairs, ${compared} columns equal Evidently's; largest score difference ${maxDiff.toExponential(2)}`);
});

test('kstwo.sf (ks_2samp beyond 10,000 values a side) equals scipy in every branch it takes', async () => {
  if (!python) return;
  const grid: [number, number][] = [];
  // Sizes and n x^2 on both sides of each of scipy's switches (n 140 and 100,000; n x^2 0.754693, 2.2, 4, 370).
  for (const n of [5, 17, 60, 99, 100, 140, 141, 500, 2000, 9000, 50000, 150000]) {
    for (const nx2 of [0.1, 0.3, 0.7, 0.76, 1, 1.5, 2.1, 2.5, 3.77, 3.9, 4, 5, 10, 50, 400]) grid.push([n, Math.sqrt(nx2 / n)]);
    for (const x of [0.4 / n, 0.8 / n, 0.55, 0.9, 1 - 0.5 / n]) grid.push([n, x]);
  }
  const script = 'import json, sys\nfrom scipy.stats import kstwo\nprint(json.dumps([float(kstwo.sf(x, n)) for n, x in json.load(sys.stdin)]))';
  const { stdout } = await execa(python, ['-c', script], { input: JSON.stringify(grid) });
  const scipy = JSON.parse(stdout) as number[];
  let worst = 0;
  grid.forEach(([n, x], i) => {
    const diff = Math.abs(kstwoSf(n, x) - scipy[i]!);
    worst = Math.max(worst, diff);
    assert.ok(diff <= 1e-9, `kstwo.sf(${x}, ${n}): ${kstwoSf(n, x)} vs scipy ${scipy[i]} (diff ${diff})`);
  });
  console.log(`monitor/drift-parity: kstwo.sf on ${grid.length} points equals scipy's within ${worst.toExponential(2)}`);
});

test.run();
