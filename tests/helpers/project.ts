/** Temp projects and a real `bin/tradepipe` process, for tests that exercise the CLI end to end. */
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'tradepipe');

export interface Project {
  dir: string;
  write(rel: string, text: string): string;
  run(args: string[], opts?: { env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  spawn(args: string[]): ResultPromise;
  /** `run --json` and the status of each step. */
  runJson(file: string, extra?: string[]): Promise<{ code: number; statuses: Record<string, string>; result: RunJson; stderr: string }>;
  cleanup(): void;
}

export interface RunJson {
  status: string;
  steps: { id: string; status: string; reason: string; duration_ms: number; outputs: Record<string, string>; error?: string }[];
}

export function project(files: Record<string, string> = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-test-'));
  writeFileSync(join(dir, 'tradepipe.yaml'), '');
  const write = (rel: string, text: string) => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  const run = async (args: string[], opts: { env?: Record<string, string> } = {}) => {
    // Runs track to the project's embedded store unless a test points them at a server.
    const r = await execa(BIN, args, { cwd: dir, reject: false, env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', ...opts.env } });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    dir,
    write,
    run,
    spawn: (args) => execa(BIN, args, { cwd: dir, reject: false, env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '' } }),
    async runJson(file, extra = []) {
      const r = await run(['run', file, '--json', ...extra]);
      return parseRunJson(r);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Step ids with a given status, sorted. */
/** A `run --json` result with each step's status by id; a clear error when the output is not JSON. */
export function parseRunJson(r: { code: number; stdout: string; stderr: string }): {
  code: number;
  statuses: Record<string, string>;
  result: RunJson;
  stderr: string;
} {
  let result: RunJson;
  try {
    result = JSON.parse(r.stdout) as RunJson;
  } catch {
    throw new Error(`run --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const statuses: Record<string, string> = {};
  for (const s of result.steps) statuses[s.id] = s.status;
  return { code: r.code, statuses, result, stderr: r.stderr };
}

export function withStatus(statuses: Record<string, string>, status: string): string[] {
  return Object.keys(statuses).filter((id) => statuses[id] === status).sort();
}
