/**
 * Shared-cache bench, through the real CLI: push and pull throughput for many small
 * objects and for one large object (streamed and multipart; TRADEPIPE_BENCH_LARGE_MB,
 * default 256 MB), the CLI's peak RSS while moving it, and `npm start`'s pipeline served
 * from the remote against a local cold run. Uses the S3 server of
 * .ci/services/seaweedfs.sh when TRADEPIPE_S3_ENDPOINT is set, else a `file://` remote.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import type { BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = join(here, '..');
const BIN = join(REPO, 'bin', 'tradepipe');
const SMALL_FILES = 2000;
const LARGE_MB = Number(process.env.TRADEPIPE_BENCH_LARGE_MB ?? 256);

function remoteSection(write: boolean): { yaml: string; label: string; cleanup(): void } {
  const { TRADEPIPE_S3_ENDPOINT: endpoint, TRADEPIPE_S3_BUCKET: bucket } = process.env;
  if (endpoint && bucket) {
    return {
      yaml: `remote:\n  url: s3://${bucket}/bench-${randomBytes(6).toString('hex')}\n  endpoint: ${endpoint}\n  write: ${write}\n`,
      label: 's3 (SeaweedFS, loopback)',
      cleanup() {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-remote-'));
  return {
    yaml: `remote:\n  url: ${pathToFileURL(dir).href}\n  write: ${write}\n`,
    label: 'file://',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the CLI, sampling its peak resident set (VmHWM) until it exits. */
async function measured(args: string[], cwd: string): Promise<{ ms: number; peakMb: number }> {
  const t0 = performance.now();
  const child = execa(BIN, args, { cwd, reject: false, env: { NO_COLOR: '1' } });
  let peak = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // exited between samples
    }
  };
  const timer = setInterval(sample, 20);
  const r = await child;
  clearInterval(timer);
  if (r.exitCode !== 0) throw new Error(`tradepipe ${args.join(' ')} failed:\n${r.stderr.split('\n').slice(-5).join('\n')}`);
  return { ms: performance.now() - t0, peakMb: Math.round(peak) };
}

function clones(remote: string, pipeline: string): { a: string; b: string; cleanup(): void } {
  const make = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tradepipe-bench-'));
    writeFileSync(join(dir, 'tradepipe.yaml'), remote);
    writeFileSync(join(dir, 'p.yaml'), pipeline);
    return dir;
  };
  const a = make();
  const b = make();
  return { a, b, cleanup: () => [a, b].forEach((d) => rmSync(d, { recursive: true, force: true })) };
}

async function transferRows(what: string, cmd: string, bytes: number, objects: number): Promise<BenchRow[]> {
  const remote = remoteSection(false);
  const { a, b, cleanup } = clones(remote.yaml, `steps:\n  make:\n    uses: exec\n    with: { cmd: '${cmd}', outs: [out] }\n`);
  try {
    await measured(['run', 'p.yaml', '--no-track'], a);
    const up = await measured(['push', 'p.yaml'], a);
    const down = await measured(['pull', 'p.yaml'], b);
    const rows = (verb: string, m: { ms: number; peakMb: number }): BenchRow[] => {
      const seconds = m.ms / 1000;
      const rate = objects > 2 ? { value: Math.round(objects / seconds), unit: 'obj/s' } : { value: Math.round(bytes / 1024 ** 2 / seconds), unit: 'MB/s' };
      return [
        { bench: 'remote', case: `${verb} ${what}, ${remote.label}`, ...rate },
        { bench: 'remote', case: `${verb} ${what}, ${remote.label}: peak RSS of the CLI`, value: m.peakMb, unit: 'MB' },
      ];
    };
    return [...rows('push', up), ...rows('pull', down)];
  } finally {
    cleanup();
    remote.cleanup();
  }
}

async function npmStartRows(): Promise<BenchRow[]> {
  const remote = remoteSection(true);
  const { a, b, cleanup } = clones(remote.yaml, '');
  try {
    for (const dir of [a, b]) for (const sub of ['config', 'hyperparameters', 'pipelines.d']) cpSync(join(REPO, sub), join(dir, sub), { recursive: true });
    const file = 'pipelines.d/full_strategy.yaml';
    const cold = await measured(['run', file, '--no-remote'], a);
    await measured(['push', file], a);
    const hit = await measured(['run', file], b);
    return [
      { bench: 'remote', case: '`npm start` pipeline, local cold run', value: Math.round(cold.ms), unit: 'ms' },
      {
        bench: 'remote',
        case: `\`npm start\` pipeline, empty store, every step from the remote (${remote.label})`,
        value: Math.round(hit.ms),
        unit: 'ms',
        target: '< 1/4 of the cold run',
        ok: hit.ms < cold.ms / 4,
      },
    ];
  } finally {
    cleanup();
    remote.cleanup();
  }
}

export default async function remoteBench(): Promise<BenchRow[]> {
  const small = `mkdir -p out && for i in $(seq 1 ${SMALL_FILES}); do head -c 1024 /dev/urandom > out/f$i; done`;
  const large = `mkdir -p out && head -c ${LARGE_MB * 1024 * 1024} /dev/urandom > out/big.bin`;
  return [
    ...(await transferRows(`${SMALL_FILES} objects of 1 KB`, small, SMALL_FILES * 1024, SMALL_FILES + 1)),
    ...(await transferRows(`one ${LARGE_MB} MB object`, large, LARGE_MB * 1024 ** 2, 2)),
    ...(await npmStartRows()),
  ];
}
