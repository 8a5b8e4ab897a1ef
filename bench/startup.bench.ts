/**
 * Start-up bench: what a user feels on every CLI call, through the real bin/tradepipe,
 * side by side with DVC (from a venv at ~/.cache/tradepipe/dvc, when present) in the
 * same run. Each figure is the median of 5 calls after one warm-up call.
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

async function median(command: string, args: string[], cwd: string): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const r = await execa(command, args, { cwd, reject: false });
    if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stderr.split('\n').slice(-5).join('\n')}`);
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

/** The engine bench's binary tree of tiny steps: step i reads step (i-1)/2. */
function tradepipePipeline(steps: number): string {
  const lines = [`plugins: { tiny: ${JSON.stringify(TINY)} }`, 'steps:'];
  for (let i = 0; i < steps; i++) {
    lines.push(i === 0 ? '  s0: { uses: tiny, with: { n: 0 } }' : `  s${i}: { uses: tiny, inputs: { a: s${Math.floor((i - 1) / 2)}.value }, with: { n: ${i} } }`);
  }
  return lines.join('\n') + '\n';
}

/** The same tree as DVC stages: each writes its number and its parent's output. */
export function dvcPipeline(steps: number): string {
  const lines = ['stages:'];
  for (let i = 0; i < steps; i++) {
    const parent = Math.floor((i - 1) / 2);
    lines.push(`  s${i}:`);
    lines.push(i === 0 ? `    cmd: echo 0 > out/s0` : `    cmd: cat out/s${parent} > out/s${i} && echo ${i} >> out/s${i}`);
    if (i > 0) lines.push(`    deps: [out/s${parent}]`);
    lines.push(`    outs: [out/s${i}]`);
  }
  return lines.join('\n') + '\n';
}

function row(kase: string, ours: number, peer: number | undefined, peerName: string, targetMs: number): BenchRow {
  const vs = peer === undefined ? `${peerName}: not installed (python3 -m venv ~/.cache/tradepipe/dvc && ~/.cache/tradepipe/dvc/bin/pip install dvc)` : `${peerName} ${Math.round(peer)} ms, ${(peer / ours).toFixed(1)}x`;
  return { bench: 'startup', case: `${kase} (${vs})`, value: Math.round(ours), unit: 'ms', target: `<= ${targetMs} ms`, ok: ours <= targetMs };
}

export default async function startupBench(): Promise<BenchRow[]> {
  const dvc = existsSync(DVC);
  if (!dvc) process.stderr.write(`  note: DVC peer skipped: ${DVC} not found\n`);
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-startup-'));
  try {
    const rows: BenchRow[] = [];
    rows.push(row('`tradepipe --help`', await median(BIN, ['--help'], dir), dvc ? await median(DVC, ['--help'], dir) : undefined, '`dvc --help`', 150));
    rows.push(row('`tradepipe --version`', await median(BIN, ['--version'], dir), dvc ? await median(DVC, ['--version'], dir) : undefined, '`dvc --version`', 150));

    const ours = join(dir, 'tradepipe');
    mkdirSync(ours);
    writeFileSync(join(ours, 'tradepipe.yaml'), '');
    writeFileSync(join(ours, 'p.yaml'), tradepipePipeline(100));
    await execa(BIN, ['run', 'p.yaml'], { cwd: ours });
    const status = await median(BIN, ['status', 'p.yaml'], ours);
    const cached = await median(BIN, ['run', 'p.yaml'], ours);

    let dvcStatus: number | undefined;
    let dvcRepro: number | undefined;
    if (dvc) {
      const peer = join(dir, 'dvc');
      mkdirSync(join(peer, 'out'), { recursive: true });
      await execa(DVC, ['init', '--no-scm', '-q'], { cwd: peer });
      writeFileSync(join(peer, 'dvc.yaml'), dvcPipeline(100));
      await execa(DVC, ['repro', '-q'], { cwd: peer });
      dvcStatus = await median(DVC, ['status'], peer);
      dvcRepro = await median(DVC, ['repro', '-q'], peer);
    }
    rows.push(row('`status`, cached 100-step pipeline', status, dvcStatus, '`dvc status`', 200));
    rows.push(row('fully cached `run`, 100 steps (tracked)', cached, dvcRepro, '`dvc repro`', 250));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
