/**
 * A project on a file system that can run out of space, for the disk-full tests.
 *
 * Where the machine lets a test mount (root, as in CI), the project lives on a small
 * tmpfs: "filling the disk" writes zeros until the kernel says ENOSPC, and "freeing
 * space" deletes them. Where it cannot mount, or TRADEPIPE_TEST_FAULT_LAYER=1 asks for
 * it, the project is an ordinary folder and tradepipe runs with fault-fs.mjs preloaded:
 * filling creates a flag file, and while it exists every node:fs write under the
 * chosen folder fails (half written first) with the chosen code. Each test prints the
 * mode it used.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BIN, parseRunJson, type RunJson } from '../../helpers/project.ts';

export type DiskMode = 'tmpfs' | 'fault-injection';

export interface SmallDisk {
  mode: DiskMode;
  dir: string;
  /** A shell command that, the first time it runs, leaves the project's file system full (ENOSPC until `free`). */
  fill: string;
  write(rel: string, text: string): void;
  /** `tradepipe ARGS` in the project; `under` (project-relative) is where injected faults hit. */
  run(args: string[], fault?: { under: string; code?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  runJson(file: string, fault?: { under: string; code?: string }): Promise<{ code: number; statuses: Record<string, string>; result: RunJson; stderr: string }>;
  /** Frees the space the fill took. */
  free(): void;
  cleanup(): void;
}

const FAULT_LAYER = join(import.meta.dirname, 'fault-fs.mjs');
const FLAG = 'filler';

function tryMount(dir: string, sizeKb: number): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'mount failed';
  }
}

/** Which mode this machine gives, decided once: mounting is tried for real. */
export function diskMode(): { mode: DiskMode; why: string } {
  if (process.env.TRADEPIPE_TEST_FAULT_LAYER === '1') return { mode: 'fault-injection', why: 'TRADEPIPE_TEST_FAULT_LAYER=1' };
  const probe = mkdtempSync(join(tmpdir(), 'tradepipe-mount-probe-'));
  const failure = tryMount(probe, 64);
  if (failure === undefined) execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  if (failure === undefined) return { mode: 'tmpfs', why: 'mounting a tmpfs works here' };
  // CI runs as root and must test on a real full file system.
  if (process.env.CI === 'true') throw new Error(`disk-full tests: cannot mount a tmpfs under CI: ${failure}`);
  return { mode: 'fault-injection', why: `cannot mount a tmpfs here (${failure})` };
}

export function smallDisk(mode: DiskMode, files: Record<string, string>, sizeKb = 512): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-disk-'));
  if (mode === 'tmpfs') {
    const failure = tryMount(dir, sizeKb);
    if (failure !== undefined) throw new Error(`mount tmpfs on ${dir}: ${failure}`);
  }
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  write('tradepipe.yaml', '');
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  const run = async (args: string[], fault?: { under: string; code?: string }) => {
    const env: Record<string, string> = { NO_COLOR: '1', MLFLOW_TRACKING_URI: '' };
    if (mode === 'fault-injection' && fault) {
      env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${FAULT_LAYER}`.trim();
      env.TRADEPIPE_TEST_FAULT = JSON.stringify({ under: join(dir, fault.under), when: join(dir, FLAG), code: fault.code ?? 'ENOSPC' });
    }
    const r = await execa(BIN, args, { cwd: dir, reject: false, env });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    mode,
    dir,
    fill: `[ -e filled ] || { touch filled; ${mode === 'tmpfs' ? `head -c 1000000000 /dev/zero > ${FLAG} 2>/dev/null || true` : `touch ${FLAG}`}; }`,
    write,
    run,
    async runJson(file, fault) {
      const r = await run(['run', file, '--json'], fault);
      return parseRunJson(r);
    },
    free: () => rmSync(join(dir, FLAG), { force: true }),
    cleanup() {
      if (mode === 'tmpfs') execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
