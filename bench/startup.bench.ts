/**
 * Start-up bench: what a user feels on every CLI call, through the real bin/tradepipe,
 * side by side with DVC (from a venv at ~/.cache/tradepipe/dvc, when present) in the
 * same run. Each figure is the median of 5 calls after one warm-up call (3 for the
 * 1,000-step pipeline, where one cached `dvc repro` takes seconds).
 */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'tradepipe');
const TINY = join(here, 'plugins', 'tiny.ts');
export const DVC = join(homedir(), '.cache', 'tradepipe', 'dvc', 'bin', 'dvc');
const RUNS = 5;

async function median(command: string, args: string[], cwd: string, runs = RUNS): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const r = await execa(command, args, { cwd, reject: false });
    if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stderr.split('\n').slice(-5).join('\n')}`);
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** The engine bench's binary tree of tiny steps: step i reads step (i-1)/2. */
function tradepipePipeline(steps: number): string {
  const lines = [`plugins: { tiny: ${JSON.stringify(TINY)} }`, 'steps:'];
  for (let i = 0; i < steps; i++) {
    lines.push(i === 0 ? '  s0: { uses: tiny, with: { n: 0 } }' : `  s${i}: { uses: tiny, inputs: { a: s${Math.floor((i - 1) / 2)}.value }, with: { n: ${i} } }`);
  }
  return lines.join('\n') + '\n';
}

/** Stage i's command: it writes its number after its parent's output. */
const dvcCommand = (i: number) => (i === 0 ? 'echo 0 > out/s0' : `cat out/s${Math.floor((i - 1) / 2)} > out/s${i} && echo ${i} >> out/s${i}`);

/** The same tree as DVC stages. */
export function dvcPipeline(steps: number): string {
  const lines = ['stages:'];
  for (let i = 0; i < steps; i++) {
    lines.push(`  s${i}:`, `    cmd: ${dvcCommand(i)}`);
    if (i > 0) lines.push(`    deps: [out/s${Math.floor((i - 1) / 2)}]`);
    lines.push(`    outs: [out/s${i}]`);
  }
  return lines.join('\n') + '\n';
}

/** Every stage's command in order (a parent before its children), as one shell script. */
function dvcCommands(steps: number): string {
  return Array.from({ length: steps }, (_, i) => dvcCommand(i)).join('\n') + '\n';
}

function row(kase: string, ours: number, peer: number | undefined, peerName: string, targetMs: number): BenchRow {
  const vs = peer === undefined ? `${peerName}: not installed (python3 -m venv ~/.cache/tradepipe/dvc && ~/.cache/tradepipe/dvc/bin/pip install dvc)` : `${peerName} ${Math.round(peer)} ms, ${(peer / ours).toFixed(1)}x`;
  return { bench: 'startup', case: `${kase} (${vs})`, value: Math.round(ours), unit: 'ms', target: `<= ${targetMs} ms`, ok: ours <= targetMs };
}

/**
 * A cached pipeline of `steps` tiny steps, and DVC's equivalent: `status` and a fully cached `run`/`repro`.
 * DVC's stages are brought up to date by running their commands and `dvc commit` (the dvc.lock a cold
 * `dvc repro` would write, without its minutes of per-stage overhead on 1,000 stages).
 */
async function cachedPipeline(dir: string, steps: number, opts: { dvc: boolean; runs: number; status: boolean }) {
  const { dvc, runs } = opts;
  const ours = join(dir, `tradepipe-${steps}`);
  mkdirSync(ours);
  writeFileSync(join(ours, 'tradepipe.yaml'), '');
  writeFileSync(join(ours, 'p.yaml'), tradepipePipeline(steps));
  await execa(BIN, ['run', 'p.yaml'], { cwd: ours });
  const status = opts.status ? await median(BIN, ['status', 'p.yaml'], ours, runs) : undefined;
  const run = await median(BIN, ['run', 'p.yaml'], ours, runs);
  if (!dvc) return { status, run };
  const peer = join(dir, `dvc-${steps}`);
  mkdirSync(join(peer, 'out'), { recursive: true });
  await execa(DVC, ['init', '--no-scm', '-q'], { cwd: peer });
  writeFileSync(join(peer, 'dvc.yaml'), dvcPipeline(steps));
  await execa('sh', ['-c', dvcCommands(steps)], { cwd: peer });
  await execa(DVC, ['commit', '--force', '-q'], { cwd: peer });
  const dvcStatus = opts.status ? await median(DVC, ['status'], peer, runs) : undefined;
  return { status, run, dvcStatus, dvcRepro: await median(DVC, ['repro', '-q'], peer, runs) };
}

export default async function startupBench(): Promise<BenchRow[]> {
  const dvc = existsSync(DVC);
  if (!dvc) process.stderr.write(`  note: DVC peer skipped: ${DVC} not found\n`);
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-startup-'));
  try {
    const rows: BenchRow[] = [];
    rows.push(row('`tradepipe --help`', await median(BIN, ['--help'], dir), dvc ? await median(DVC, ['--help'], dir) : undefined, '`dvc --help`', 150));
    rows.push(row('`tradepipe --version`', await median(BIN, ['--version'], dir), dvc ? await median(DVC, ['--version'], dir) : undefined, '`dvc --version`', 150));

    const hundred = await cachedPipeline(dir, 100, { dvc, runs: RUNS, status: true });
    rows.push(row('`status`, cached 100-step pipeline', hundred.status!, hundred.dvcStatus, '`dvc status`', 200));
    rows.push(row('fully cached `run`, 100 steps (tracked)', hundred.run, hundred.dvcRepro, '`dvc repro`', 250));
    const thousand = await cachedPipeline(dir, 1000, { dvc, runs: 3, status: false });
    rows.push(row('fully cached `run`, 1,000 steps (tracked)', thousand.run, thousand.dvcRepro, '`dvc repro`', 400));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
