/**
 * features.indicators on 30 tickers x 2,520 days (ten years of a DOW-30 universe): FinRL's eight
 * default indicators and the turbulence index, side by side with stockstats 0.6.8 and FinRL's
 * calculate_turbulence run on the same table in the same run (bench/peers/finrl_features.py, from
 * a venv at ~/.cache/tradepipe/stockstats; skipped with a note when absent). Warm figures are
 * medians of several calls after a warm-up; the first call is what a pipeline run pays (one call
 * per process), measured in fresh processes (bench/features-first-call.mjs), median of 3.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { FINRL_INDICATORS, parseIndicator } from '../steps/lib/indicators/catalog.ts';
import { engineerFeatures, type FeatureOptions } from '../steps/lib/indicators/feature-engineer.ts';
import { panelOf } from '../steps/lib/indicators/panel.ts';
import { finrlTurbulence } from '../steps/lib/indicators/turbulence.ts';
import { benchTable } from '../tests/features/synthetic-walk.ts';
import type { BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = 15;
const FRESH_PROCESSES = 3;
const PEER_PYTHON = join(homedir(), '.cache', 'tradepipe', 'stockstats', 'bin', 'python');
const PEER_SETUP = 'python3 -m venv ~/.cache/tradepipe/stockstats && ~/.cache/tradepipe/stockstats/bin/pip install stockstats==0.6.8';

function medianMs(run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[sorted.length >> 1]! * 10) / 10;
}

/** Module import and first call of the indicator step, each a median over fresh processes. */
async function firstCall(prices: ReturnType<typeof benchTable>): Promise<{ importMs: number; callMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-features-'));
  try {
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify(Object.fromEntries(prices.names.map((name) => [name, Array.from(prices.columns[name]! as ArrayLike<number | string | null>)]))));
    const runs: { importMs: number; callMs: number }[] = [];
    for (let i = 0; i < FRESH_PROCESSES; i++) {
      const { stdout } = await execa(process.execPath, [join(here, 'features-first-call.mjs'), file]);
      runs.push(JSON.parse(stdout) as { importMs: number; callMs: number });
    }
    return { importMs: median(runs.map((r) => r.importMs)), callMs: median(runs.map((r) => r.callMs)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** stockstats and FinRL's turbulence on the same table, or undefined (with a note) when the venv is absent. */
async function peer(): Promise<{ indicators_ms: number; turbulence_ms: number } | undefined> {
  if (!existsSync(PEER_PYTHON)) {
    process.stderr.write(`  note: stockstats peer skipped: ${PEER_PYTHON} not found (${PEER_SETUP})\n`);
    return undefined;
  }
  const { stdout } = await execa(PEER_PYTHON, [join(here, 'peers', 'finrl_features.py')]);
  return JSON.parse(stdout) as { indicators_ms: number; turbulence_ms: number };
}

export default async (): Promise<BenchRow[]> => {
  const prices = benchTable();
  const base: FeatureOptions = { indicators: [], clean: true, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: true };
  const indicators = FINRL_INDICATORS.map((name) => parseIndicator(name)!);

  const first = await firstCall(prices);
  const indicatorsMs = medianMs(() => engineerFeatures(prices, { ...base, indicators }));

  const panel = panelOf(prices, 'prices');
  const nDates = panel.dates.length;
  const nTickers = panel.tickers.length;
  const close = prices.columns.close as Float64Array;
  const pivot = new Float64Array(nDates * nTickers);
  for (let p = 0; p < panel.order.length; p++) pivot[panel.dateOf[p]! * nTickers + panel.tickerOf[p]!] = close[panel.order[p]!]!;
  const turbulenceMs = medianMs(() => finrlTurbulence(pivot, nDates, nTickers));

  const stepMs = medianMs(() => engineerFeatures(prices, { ...base, indicators, turbulence: true }));

  const reference = await peer();
  const versus = (name: string, peerMs: number | undefined, ours: number) =>
    peerMs === undefined ? `${name}: not installed, ${PEER_SETUP}` : `${name} ${Math.round(peerMs)} ms, ${(peerMs / ours).toFixed(1)}x`;
  const stockstats = reference?.indicators_ms;
  const firstMs = Math.round((first.importMs + first.callMs) * 10) / 10;
  const shape = '30 tickers x 2,520 days';
  return [
    {
      bench: 'features',
      case: `8 FinRL indicators, ${shape}, warm (whole step: clean, sort, fill; ${versus('stockstats 0.6.8', stockstats, indicatorsMs)})`,
      value: indicatorsMs,
      unit: 'ms',
      target: '<= 33 ms, >= 10x stockstats',
      ok: indicatorsMs <= 33 && (stockstats === undefined || stockstats / indicatorsMs >= 10),
    },
    {
      bench: 'features',
      case: `same, first call in a fresh process (import ${first.importMs} ms + call ${first.callMs} ms; ${versus('stockstats 0.6.8', stockstats, firstMs)})`,
      value: firstMs,
      unit: 'ms',
      target: '<= 80 ms',
      ok: firstMs <= 80,
    },
    {
      bench: 'features',
      case: `turbulence index, ${shape} (2,268 dates; ${versus('FinRL calculate_turbulence', reference?.turbulence_ms, turbulenceMs)})`,
      value: turbulenceMs,
      unit: 'ms',
      target: '< 100 ms',
      ok: turbulenceMs < 100,
    },
    { bench: 'features', case: `8 indicators + turbulence, ${shape} (whole step)`, value: stepMs, unit: 'ms' },
  ];
};
