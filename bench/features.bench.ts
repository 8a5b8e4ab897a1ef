/**
 * features.indicators on 30 tickers x 2,520 days (ten years of a DOW-30 universe): FinRL's eight
 * default indicators and the turbulence index, side by side with stockstats 0.6.8 and FinRL's
 * calculate_turbulence run on the same table in the same run (bench/peers/finrl_features.py, from
 * a venv at ~/.cache/tradepipe/stockstats; skipped with a note when absent). Warm figures are
 * medians of several calls after a warm-up; the first call is what a pipeline run pays (one call
 * per process), measured in fresh processes (bench/features-first-call.mjs), median of 3.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * This thread's CPU time in ms (Linux): unlike wall time it barely moves when other work shares
 * the cores, so the rows show both.
 */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/** Median wall and CPU time of `run` after a warm-up. */
function medianMs(run: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const startCpu = threadCpuMs();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
    cpu.push(threadCpuMs() - startCpu);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[sorted.length >> 1]! * 10) / 10;
}

/** Wall time of the module import and of the first call, and the main thread's CPU time for both. */
interface FirstCall {
  importMs: number;
  callMs: number;
  cpuMs: number;
}

/** Module import and first call of the indicator step, each a median over fresh processes. */
async function firstCall(prices: ReturnType<typeof benchTable>): Promise<FirstCall> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-features-'));
  try {
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify(Object.fromEntries(prices.names.map((name) => [name, Array.from(prices.columns[name]! as ArrayLike<number | string | null>)]))));
    const runs: FirstCall[] = [];
    for (let i = 0; i < FRESH_PROCESSES; i++) {
      const { stdout } = await execa(process.execPath, [join(here, 'features-first-call.mjs'), file]);
      runs.push(JSON.parse(stdout) as FirstCall);
    }
    return { importMs: median(runs.map((r) => r.importMs)), callMs: median(runs.map((r) => r.callMs)), cpuMs: median(runs.map((r) => r.cpuMs)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall and process CPU times (ms) printed by bench/peers/finrl_features.py. */
interface PeerTimes {
  indicators_ms: number;
  indicators_cpu_ms: number;
  turbulence_ms: number;
  turbulence_cpu_ms: number;
}

/** stockstats and FinRL's turbulence on the same table, or undefined (with a note) when the venv is absent. */
async function peer(): Promise<PeerTimes | undefined> {
  if (!existsSync(PEER_PYTHON)) {
    process.stderr.write(`  note: stockstats peer skipped: ${PEER_PYTHON} not found (${PEER_SETUP})\n`);
    return undefined;
  }
  const { stdout } = await execa(PEER_PYTHON, [join(here, 'peers', 'finrl_features.py')]);
  return JSON.parse(stdout) as PeerTimes;
}

export default async (): Promise<BenchRow[]> => {
  const prices = benchTable();
  const base: FeatureOptions = { indicators: [], clean: true, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: true };
  const specs = FINRL_INDICATORS.map((name) => parseIndicator(name)!);

  const first = await firstCall(prices);
  const indicators = medianMs(() => engineerFeatures(prices, { ...base, indicators: specs }));

  const panel = panelOf(prices, 'prices');
  const nDates = panel.dates.length;
  const nTickers = panel.tickers.length;
  const close = prices.columns.close as Float64Array;
  const pivot = new Float64Array(nDates * nTickers);
  for (let p = 0; p < panel.order.length; p++) pivot[panel.dateOf[p]! * nTickers + panel.tickerOf[p]!] = close[panel.order[p]!]!;
  const turbulence = medianMs(() => finrlTurbulence(pivot, nDates, nTickers));

  const step = medianMs(() => engineerFeatures(prices, { ...base, indicators: specs, turbulence: true }));

  const reference = await peer();
  const ratio = (theirs: number, ours: number) => `${(theirs / ours).toFixed(1)}x`;
  /** The peer's wall and CPU time and both ratios to ours, or how to install it. */
  const versus = (name: string, theirs: { wall: number; cpu: number } | undefined, ours: { wall: number; cpu: number }) =>
    theirs === undefined
      ? `${name}: not installed, ${PEER_SETUP}`
      : `${name} ${Math.round(theirs.wall)} ms, ${ratio(theirs.wall, ours.wall)}; CPU ${Math.round(theirs.cpu)} ms, ${ratio(theirs.cpu, ours.cpu)}`;
  const stockstats = reference && { wall: reference.indicators_ms, cpu: reference.indicators_cpu_ms };
  const finrlTurbulenceTimes = reference && { wall: reference.turbulence_ms, cpu: reference.turbulence_cpu_ms };
  const firstCallTimes = { wall: Math.round((first.importMs + first.callMs) * 10) / 10, cpu: first.cpuMs };
  const shape = '30 tickers x 2,520 days';
  return [
    {
      bench: 'features',
      case: `8 FinRL indicators, ${shape}, warm (whole step: clean, sort, fill; CPU ${indicators.cpu} ms; ${versus('stockstats 0.6.8', stockstats, indicators)})`,
      value: indicators.wall,
      unit: 'ms',
      target: '<= 33 ms, >= 10x stockstats',
      ok: indicators.wall <= 33 && (stockstats === undefined || stockstats.wall / indicators.wall >= 10),
    },
    {
      bench: 'features',
      case: `same, first call in a fresh process (import ${first.importMs} ms + call ${first.callMs} ms; CPU ${first.cpuMs} ms; ${versus('stockstats 0.6.8', stockstats, firstCallTimes)})`,
      value: firstCallTimes.wall,
      unit: 'ms',
      target: '<= 80 ms',
      ok: firstCallTimes.wall <= 80,
    },
    {
      bench: 'features',
      case: `turbulence index, ${shape} (2,268 dates; CPU ${turbulence.cpu} ms; ${versus('FinRL calculate_turbulence', finrlTurbulenceTimes, turbulence)})`,
      value: turbulence.wall,
      unit: 'ms',
      target: '< 100 ms',
      ok: turbulence.wall < 100,
    },
    { bench: 'features', case: `8 indicators + turbulence, ${shape} (whole step; CPU ${step.cpu} ms)`, value: step.wall, unit: 'ms' },
  ];
};
