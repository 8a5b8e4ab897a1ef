/**
 * CPU-bound plugins in worker threads (`cpu: true`):
 * - a 4-seed `rl.ppo` matrix sweep (10 synthetic tickers, 20,480 timesteps per seed) with
 *   `--jobs 2` against `--jobs 1`, data preparation cached beforehand, so only training runs;
 * - the reported duration of `baseline@policy=min_variance` (milliseconds of work) when it runs
 *   beside PPO training in a cold `full_strategy` run, with workers and with
 *   TRADEPIPE_WORKERS=off (every plugin on the main thread, as before workers).
 * Each is one CLI run (process start included). The machine's load average is part of the case.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './harness.ts';

const REPO = join(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'tradepipe');

const SWEEP = `steps:
  ohlcv:
    uses: ingest.ohlcv
    with: { source: synthetic, tickers: [AAA, BBB, CCC, DDD, EEE, FFF, GGG, HHH, III, JJJ], start: '2014-01-06', end: '2021-12-01', seed: 42 }
  features: { uses: features.indicators, inputs: { prices: ohlcv.prices } }
  split:
    uses: data.split
    inputs: { table: features.features }
    with: { train: { start: '2014-01-06', end: '2020-07-01' }, test: { start: '2020-07-01', end: '2021-12-01' } }
  train:
    uses: rl.ppo
    matrix: { seed: [1, 2, 3, 4] }
    inputs: { data: split.train }
    with: { n_steps: 2048, ent_coef: 0.01, learning_rate: 0.00025, batch_size: 64, total_timesteps: 20480, seed: "\${matrix.seed}" }
`;

interface RunJson {
  duration_ms: number;
  steps: { id: string; status: string; duration_ms: number }[];
}

function run(dir: string, args: string[], env: Record<string, string> = {}): RunJson {
  const out = execFileSync(BIN, ['run', ...args, '--json'], {
    cwd: dir,
    env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out) as RunJson;
}

const load = () => `load ${loadavg()[0]!.toFixed(1)}`;

function sweep(): BenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-sweep-'));
  try {
    writeFileSync(join(dir, 'tradepipe.yaml'), '');
    writeFileSync(join(dir, 'sweep.yaml'), SWEEP);
    run(dir, ['sweep.yaml', 'split', '--no-track']);
    cpSync(join(dir, '.tradepipe'), join(dir, 'prepared'), { recursive: true });
    const timed = (jobs: number) => {
      rmSync(join(dir, '.tradepipe'), { recursive: true, force: true });
      cpSync(join(dir, 'prepared'), join(dir, '.tradepipe'), { recursive: true });
      const before = load();
      const r = run(dir, ['sweep.yaml', '--no-track', '--jobs', String(jobs)]);
      const trained = r.steps.filter((s) => s.id.startsWith('train@') && s.status === 'executed').length;
      if (trained !== 4) throw new Error(`expected 4 trained instances, got ${trained}`);
      return { ms: r.duration_ms, load: `${before} → ${load()}` };
    };
    const one = timed(1);
    const two = timed(2);
    const speedup = one.ms / two.ms;
    return [
      { bench: 'workers', case: `4-seed PPO sweep, --jobs 1 (${one.load})`, value: Math.round(one.ms), unit: 'ms' },
      { bench: 'workers', case: `4-seed PPO sweep, --jobs 2 (${two.load})`, value: Math.round(two.ms), unit: 'ms' },
      {
        bench: 'workers',
        case: '4-seed PPO sweep, speed-up of --jobs 2 over --jobs 1',
        value: Math.round(speedup * 100) / 100,
        unit: 'x',
        target: '>= 1.8 on 2 idle cores',
        ok: speedup >= 1.8,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lightStep(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const [label, env] of [
    ['workers', {}],
    ['TRADEPIPE_WORKERS=off', { TRADEPIPE_WORKERS: 'off' }],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-light-'));
    try {
      writeFileSync(join(dir, 'tradepipe.yaml'), '');
      for (const folder of ['pipelines.d', 'config', 'hyperparameters']) cpSync(join(REPO, folder), join(dir, folder), { recursive: true });
      const before = load();
      const r = run(dir, ['pipelines.d/full_strategy.yaml'], env);
      const step = r.steps.find((s) => s.id === 'baseline@policy=min_variance')!;
      rows.push({
        bench: 'workers',
        case: `full_strategy cold: min-variance baseline beside PPO training, ${label} (${before} → ${load()})`,
        value: step.duration_ms,
        unit: 'ms',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

export default async (): Promise<BenchRow[]> => [...sweep(), ...lightStep()];
