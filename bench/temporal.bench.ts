/**
 * Distributed execution bench, through the real CLI: an 8-seed PPO sweep over the `npm start`
 * market data, run with `--executor temporal` on 1 worker and then on 2 workers (each its
 * own process and clone, on this machine), the upstream data steps already in the remote.
 * Needs the dev server of .ci/services/temporal.sh and the S3 server of
 * .ci/services/seaweedfs.sh; prints nothing without them.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import type { BenchRow } from './harness.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(REPO, 'bin', 'tradepipe');
const SEEDS = 8;
const TRAINS = Array.from({ length: SEEDS }, (_, i) => `train@seed=${i + 1}`);
const TIMESTEPS = Number(process.env.TRADEPIPE_BENCH_PPO_TIMESTEPS ?? 6000);

const SWEEP = `pipeline: ppo_sweep
include: [pipelines.d/fragments/market_data.yaml]
vars:
  features: { $ref: config/common/global_vars.yaml#/AGENT_FEATURES }
  env: { $ref: config/environments/stock_trading_env_config.yaml }
steps:
  split:
    uses: data.split
    inputs: { table: sentiment.features }
    with:
      train: { start: { $ref: config/common/global_vars.yaml#/TRAIN_START_DATE }, end: { $ref: config/common/global_vars.yaml#/TRAIN_END_DATE } }
      test: { start: '2020-01-02', end: { $ref: config/common/global_vars.yaml#/TRADE_END_DATE } }
  train:
    uses: rl.ppo
    matrix: { seed: [${Array.from({ length: SEEDS }, (_, i) => i + 1).join(', ')}] }
    inputs: { data: split.train }
    with:
      $ref: hyperparameters/rl_agent_params.yaml#/ppo_default
      total_timesteps: ${TIMESTEPS}
      seed: "\${matrix.seed}"
      normalize_observation: true
      env: "\${vars.env}"
      tech_indicator_list: "\${vars.features}"
`;

function clone(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-temporal-'));
  for (const sub of ['config', 'hyperparameters', 'pipelines.d']) cpSync(join(REPO, sub), join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'tradepipe.yaml'), yaml);
  writeFileSync(join(dir, 'pipelines.d/ppo_sweep.yaml'), SWEEP);
  return dir;
}

async function startWorker(dir: string): Promise<{ child: ResultPromise }> {
  const child = execa(BIN, ['worker'], { cwd: dir, reject: false, all: true, buffer: false, env: { NO_COLOR: '1', TRADEPIPE_TRACKING: 'off' } });
  let log = '';
  child.all!.on('data', (c: Buffer) => (log += c.toString()));
  while (!/Worker state changed[\s\S]*?RUNNING/.test(log)) {
    if (child.exitCode !== null) throw new Error(`worker did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Wrapped: returning the child itself from an async function would wait for it to exit.
  return { child };
}

async function sweep(workers: number, prefix: string): Promise<number> {
  const { TRADEPIPE_S3_ENDPOINT: endpoint, TRADEPIPE_S3_BUCKET: bucket, TRADEPIPE_TEMPORAL_ADDRESS: address } = process.env;
  const yaml = `remote:\n  url: s3://${bucket}/${prefix}\n  endpoint: ${endpoint}\nexecutor:\n  address: ${address}\n  task_queue: bench-${prefix}-${workers}\n`;
  const dirs = Array.from({ length: workers + 1 }, () => clone(yaml));
  const children: ResultPromise[] = [];
  try {
    for (const dir of dirs.slice(1)) children.push((await startWorker(dir)).child);
    const cli = dirs[0]!;
    // The data steps first, so the timed run is the sweep alone.
    const data = await execa(BIN, ['run', 'pipelines.d/ppo_sweep.yaml', 'split', '--no-track'], { cwd: cli, reject: false });
    if (data.exitCode !== 0) throw new Error(`data steps failed:\n${data.stderr}`);
    const t0 = performance.now();
    const r = await execa(BIN, ['run', 'pipelines.d/ppo_sweep.yaml', '--json', '--executor', 'temporal', '--no-track', '--jobs', String(SEEDS), ...TRAINS, ...TRAINS.flatMap((id) => ['--force', id])], { cwd: cli, reject: false });
    const ms = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`sweep failed:\n${r.stderr.split('\n').slice(-10).join('\n')}`);
    const executed = (JSON.parse(r.stdout) as { steps: { status: string }[] }).steps.filter((s) => s.status === 'executed').length;
    if (executed !== SEEDS) throw new Error(`the sweep executed ${executed} steps, not ${SEEDS}: ${r.stdout}`);
    return ms;
  } finally {
    for (const c of children) c.kill('SIGINT');
    await Promise.all(children);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

export default async function temporalBench(): Promise<BenchRow[]> {
  if (!process.env.TRADEPIPE_TEMPORAL_ADDRESS || !process.env.TRADEPIPE_S3_ENDPOINT) return [];
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const one = await sweep(1, prefix);
  const two = await sweep(2, prefix);
  return [
    { bench: 'temporal', case: `${SEEDS}-seed PPO sweep (${TIMESTEPS} timesteps each), 1 worker`, value: Math.round(one), unit: 'ms' },
    { bench: 'temporal', case: `same sweep, 2 workers`, value: Math.round(two), unit: 'ms' },
    { bench: 'temporal', case: 'speed-up, 2 workers over 1', value: Math.round((one / two) * 100) / 100, unit: 'x' },
  ];
}
