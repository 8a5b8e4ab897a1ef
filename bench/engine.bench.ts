/**
 * Engine bench: synthetic pipelines of tiny in-process steps (a binary tree: step i
 * reads step (i-1)/2), timed through the real CLI so process start counts; and
 * file hashing throughput, cold and stat-cached.
 */
import { mkdtempSync, writeFileSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import { execa } from 'execa';
import type { BenchRow } from './harness.ts';
import { hashFile } from '../engine/hash.ts';
import { openStatCache } from '../engine/statcache.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'tradepipe');
const TINY = join(here, 'plugins', 'tiny.ts');

/** Each step gets its own `n`, so no two steps share a key (identical steps would be deduplicated). */
function pipeline(steps: number, leafBump = 0): string {
  const lines = [`plugins: { tiny: ${JSON.stringify(TINY)} }`, 'steps:'];
  for (let i = 0; i < steps; i++) {
    const n = i === steps - 1 ? i + leafBump : i;
    lines.push(i === 0 ? `  s0: { uses: tiny, with: { n: ${n} } }` : `  s${i}: { uses: tiny, inputs: { a: s${Math.floor((i - 1) / 2)}.value }, with: { n: ${n} } }`);
  }
  return lines.join('\n') + '\n';
}

async function timed(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const r = await execa(BIN, args, { cwd, reject: false });
  if (r.exitCode !== 0) throw new Error(`tradepipe ${args.join(' ')} failed:\n${r.stderr.split('\n').slice(-5).join('\n')}`);
  return performance.now() - t0;
}

async function pipelineRows(steps: number): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-'));
  try {
    writeFileSync(join(dir, 'tradepipe.yaml'), '');
    writeFileSync(join(dir, 'p.yaml'), pipeline(steps));
    const label = steps.toLocaleString('en-US');
    const cold = await timed(['run', 'p.yaml'], dir);
    const cached = await timed(['run', 'p.yaml'], dir);
    // The same decision without recording the run (tracking adds one cached child run per step).
    const untracked = await timed(['run', 'p.yaml', '--no-track'], dir);
    writeFileSync(join(dir, 'p.yaml'), pipeline(steps, 1));
    const leaf = await timed(['run', 'p.yaml'], dir);
    const cachedTarget = steps === 1000 ? 1000 : steps === 10000 ? 5000 : undefined;
    const target = (ms: number) => (cachedTarget ? { target: `< ${cachedTarget} ms`, ok: ms < cachedTarget } : {});
    return [
      { bench: 'engine', case: `cold run, ${label} steps`, value: Math.round(cold), unit: 'ms' },
      { bench: 'engine', case: `fully cached rerun, ${label} steps (incl. process start, tracked)`, value: Math.round(cached), unit: 'ms', ...target(cached) },
      { bench: 'engine', case: `fully cached rerun, ${label} steps (incl. process start, --no-track)`, value: Math.round(untracked), unit: 'ms', ...target(untracked) },
      { bench: 'engine', case: `one-leaf change, ${label} steps`, value: Math.round(leaf), unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rounds of (openssl speed, our hash) pairs: the machine may be shared, so each figure is a median. */
const HASH_ROUNDS = 5;

async function hashingRows(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-'));
  const file = join(dir, 'big.bin');
  const size = 1024 ** 3;
  try {
    const fd = openSync(file, 'w');
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    for (let written = 0; written < size; written += chunk.length) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
    await hashFile(file); // warm the page cache: we measure hashing, not the disk
    const ours: number[] = [];
    const peerWall: number[] = [];
    const peerCpu: number[] = [];
    for (let round = 0; round < HASH_ROUNDS; round++) {
      const speed = await opensslSpeed();
      if (speed !== undefined) {
        peerWall.push(speed.wall);
        peerCpu.push(speed.cpu);
      }
      const t0 = performance.now();
      await hashFile(file);
      ours.push(size / 1e9 / ((performance.now() - t0) / 1000));
    }
    const gbps = median(ours);
    // Old enough mtime so the stat cache trusts the entry (racy-clean guard).
    await new Promise((r) => setTimeout(r, 2100));
    const stats = openStatCache(join(dir, 'stat.json'));
    await stats.hashFile(file);
    await stats.save();
    const reopened = openStatCache(join(dir, 'stat.json'));
    const t1 = performance.now();
    await reopened.hashFile(file);
    const cachedMs = performance.now() - t1;
    const peer = peerWall.length > 0 ? median(peerWall) : undefined;
    const versus =
      peer === undefined
        ? 'openssl not found'
        : `\`openssl speed -evp sha256\` single core ${peer.toFixed(2)} GB/s wall-clock (${median(peerCpu).toFixed(2)} GB/s per CPU second), ${((100 * gbps) / peer).toFixed(0)}%; medians of ${HASH_ROUNDS} alternating runs`;
    return [
      {
        bench: 'engine',
        case: `hash 1 GB file, page-cached (sha256; ${versus})`,
        value: Number(gbps.toFixed(2)),
        unit: 'GB/s',
        ...(peer === undefined ? {} : { target: `>= 80% of openssl (${(0.8 * peer).toFixed(2)} GB/s)`, ok: gbps >= 0.8 * peer }),
      },
      { bench: 'engine', case: 'hash 1 GB file, stat-cached', value: Number(cachedMs.toFixed(2)), unit: 'ms', target: '< 50 ms', ok: cachedMs < 50 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

/**
 * The in-memory sha256 rate of the system OpenSSL on one core (SHA-NI where the CPU has it), in
 * GB/s: by wall clock (`-elapsed`, what our hash is timed by, so both see the same load) and by
 * CPU user time (openssl's default, the core's own rate).
 */
async function opensslSpeed(): Promise<{ wall: number; cpu: number } | undefined> {
  const rate = async (elapsed: boolean) => {
    const args = ['speed', ...(elapsed ? ['-elapsed'] : []), '-evp', 'sha256', '-bytes', String(8 * 1024 * 1024), '-seconds', '1'];
    const r = await execa('openssl', args, { reject: false });
    const kilobytesPerSecond = /^sha256\s+([\d.]+)k\s*$/m.exec(r.stdout)?.[1];
    return r.exitCode === 0 && kilobytesPerSecond !== undefined ? (Number(kilobytesPerSecond) * 1000) / 1e9 : undefined;
  };
  const wall = await rate(true);
  const cpu = await rate(false);
  return wall === undefined || cpu === undefined ? undefined : { wall, cpu };
}

export default async function engineBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [100, 1000, 10000]) rows.push(...(await pipelineRows(n)));
  rows.push(...(await hashingRows()));
  return rows;
}
