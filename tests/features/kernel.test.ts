/**
 * The indicator kernel (steps/lib/indicators/kernel): the committed binary is what its source
 * compiles to, and on random panels (NaN gaps, flat runs, negative and zero prices, bars with no
 * range, infinite highs, tickers shorter than the windows, rows out of order) every indicator is
 * the same double as the JavaScript transcription it replaced (reference/kernel.ts). Repeated
 * calls, a call that grows the kernel's memory, and a call in a worker thread give the same bits.
 */
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table, type Table } from '../../engine/table/table.ts';
import { type IndicatorSpec, parseIndicator } from '../../steps/lib/indicators/catalog.ts';
import { engineerFeatures, indicatorColumnsWith } from '../../steps/lib/indicators/feature-engineer.ts';
import { compileKernel } from '../../steps/lib/indicators/kernel/build.ts';
import { INDICATORS_WASM_BASE64 } from '../../steps/lib/indicators/kernel/indicators-wasm.ts';
import { IndicatorKernel, withIndicatorKernel } from '../../steps/lib/indicators/kernel/kernel.ts';
import { panelOf } from '../../steps/lib/indicators/panel.ts';
import { Draws } from '../../steps/lib/random.ts';
import { numbers } from './fixtures.ts';
import { referenceKernel } from './reference/kernel.ts';
import { businessDays, syntheticWalk } from './synthetic-walk.ts';

test('the committed kernel is what assembly/index.ts compiles to', async () => {
  const rebuilt = Buffer.from(await compileKernel());
  assert.ok(rebuilt.equals(Buffer.from(INDICATORS_WASM_BASE64, 'base64')), 'rebuild with `npx tsx steps/lib/indicators/kernel/build.ts` and commit indicators-wasm.ts');
});

const WINDOWS = [1, 2, 5, 9, 14, 30, 130, 300];
const FAMILIES = ['rsi', 'cci', 'dx', 'atr', 'wr', 'rsv', 'kdjk', 'kdjd', 'kdjj', 'pdi', 'ndi'];
const COLUMN_STATS = ['sma', 'ema', 'smma', 'mstd', 'mvar'];
const NAMES = [
  ...['macd', 'macds', 'macdh', 'boll', 'boll_ub', 'boll_lb', 'adx', 'adxr', 'tr'],
  ...FAMILIES.flatMap((family) => [family, ...WINDOWS.map((w) => `${family}_${w}`)]),
  ...['open', 'high', 'low', 'close', 'volume'].flatMap((column) => COLUMN_STATS.flatMap((stat) => WINDOWS.map((w) => `${column}_${w}_${stat}`))),
];
const SPECS: IndicatorSpec[] = NAMES.map((name) => parseIndicator(name)!);

/** One price as the series goes on: mostly a walk around zero, with gaps, flat runs and odd bars. */
function randomPanel(seed: number, withAmount: boolean): Table {
  const draws = new Draws(seed, 'indicator-kernel-panel');
  const tickers = Array.from({ length: 2 + Math.floor(draws.uniform() * 4) }, (_, k) => `T${k}`);
  const dates = businessDays('2020-01-01', 400);
  const rows: { date: string; tic: string; open: number; high: number; low: number; close: number; volume: number; amount: number }[] = [];
  for (const tic of tickers) {
    // one full-length ticker, the others of any length, down to a single row
    const length = tic === 'T0' ? dates.length : [1, 2, 7, 25, 140, 400][Math.floor(draws.uniform() * 6)]!;
    const first = Math.floor(draws.uniform() * (dates.length - length + 1));
    let close = (draws.uniform() - 0.3) * 20;
    let mode = 0;
    for (let d = first; d < first + length; d++) {
      if (draws.uniform() < 0.1) mode = draws.pick([0.55, 0.15, 0.1, 0.1, 0.05, 0.05]);
      if (mode !== 1) close += draws.normal();
      const spread = Math.abs(draws.normal());
      const bar = { date: dates[d]!, tic, open: close - draws.normal(), high: close + spread, low: close - spread, close, volume: Math.floor(draws.uniform() * 5), amount: close * 3 };
      if (mode === 2) Object.assign(bar, { close: NaN, high: NaN, low: NaN, open: NaN });
      if (mode === 3) Object.assign(bar, { high: close, low: close, volume: 0 });
      if (mode === 4) Object.assign(bar, draws.uniform() < 0.5 ? { high: NaN } : { low: NaN, amount: NaN });
      if (mode === 5) Object.assign(bar, draws.uniform() < 0.5 ? { high: Infinity } : { low: -Infinity, close: 0 });
      rows.push(bar);
    }
  }
  // rows out of (date, tic) order: the kernel's scatter and gather do the reordering
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(draws.uniform() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const numeric = (key: 'open' | 'high' | 'low' | 'close' | 'volume' | 'amount') => Float64Array.from(rows, (r) => r[key]);
  return table({
    date: rows.map((r) => r.date),
    tic: rows.map((r) => r.tic),
    open: numeric('open'),
    high: numeric('high'),
    low: numeric('low'),
    close: numeric('close'),
    volume: numeric('volume'),
    ...(withAmount ? { amount: numeric('amount') } : {}),
  });
}

function indicators(prices: Table, specs: readonly IndicatorSpec[]): Table {
  return engineerFeatures(prices, { indicators: specs, clean: false, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: false }).table;
}

/** Every indicator computed on the WebAssembly kernel and on the JavaScript one, compared value by value with Object.is. */
function assertSameAsReference(prices: Table, specs: readonly IndicatorSpec[] = SPECS): number {
  const panel = panelOf(prices, 'prices');
  const kernel = withIndicatorKernel((wasm) => indicatorColumnsWith(wasm, prices, panel, specs));
  const reference = indicatorColumnsWith(new IndicatorKernel(referenceKernel), prices, panel, specs);
  const tics = panel.tickerOf;
  let compared = 0;
  for (const spec of specs) {
    const actual = kernel.get(spec.name)!;
    const expected = reference.get(spec.name)!;
    assert.is(actual.length, panel.order.length);
    for (let p = 0; p < actual.length; p++) {
      if (!Object.is(actual[p], expected[p])) {
        assert.unreachable(`${spec.name}, ${panel.tickers[tics[p]!]} on ${panel.dates[panel.dateOf[p]!]}: kernel ${actual[p]}, reference ${expected[p]}`);
      }
      compared++;
    }
  }
  return compared;
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  const withAmount = seed % 2 === 0;
  test(`random panel ${seed}${withAmount ? ' with amount' : ''}: ${SPECS.length} indicators equal the JavaScript reference bit for bit`, () => {
    const compared = assertSameAsReference(randomPanel(seed, withAmount));
    assert.ok(compared > SPECS.length * 50, `${compared} values compared`);
  });
}

const bits = (t: Table) => SPECS.map((spec) => Buffer.from(numbers(t, spec.name).buffer).toString('base64'));

test('a call after a larger one (which grew the kernel memory) gives the same bits as before it', () => {
  const small = randomPanel(7, true);
  const before = bits(indicators(small, SPECS));
  const large = syntheticWalk(['A', 'B', 'C', 'D'], 40_000, 3);
  const some = SPECS.filter((_, j) => j % 7 === 0);
  assertSameAsReference(large, some);
  assert.equal(bits(indicators(small, SPECS)), before);
});

test('a panel beyond what WebAssembly memory can hold is refused with the size it needs', () => {
  const kernel = new IndicatorKernel();
  assert.throws(() => kernel.floats(2 ** 30), /indicators: the panel needs 8193 MiB of WebAssembly memory, more than it can have \(at most 4 GiB\)/);
});

test('a worker thread instantiates its own kernel and gets the same bits', async () => {
  const prices = randomPanel(8, false);
  const here = bits(indicators(prices, SPECS));
  const worker = new Worker(new URL('./kernel-worker.mjs', import.meta.url), { workerData: { columns: prices.columns, names: NAMES } });
  const there = await new Promise<Record<string, Float64Array>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(
    SPECS.map((spec) => Buffer.from(there[spec.name]!.buffer).toString('base64')),
    here,
  );
});

test.run();
