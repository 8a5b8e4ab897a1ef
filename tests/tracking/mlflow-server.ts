/**
 * A private MLflow server process for tests that stop and restart one (the outage
 * test). Uses MLFLOW_BIN (exported by .ci/services/mlflow.sh) or `mlflow` on PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function mlflowBinary(): string | undefined {
  if (process.env.MLFLOW_BIN) return process.env.MLFLOW_BIN;
  const which = spawnSync('sh', ['-c', 'command -v mlflow'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface MlflowServer {
  readonly uri: string;
  /** Kills the server outright (SIGKILL to its process group), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and database. */
  start(): Promise<void>;
  /** Kills it and removes its data. */
  dispose(): Promise<void>;
}

export async function startMlflowServer(bin: string): Promise<MlflowServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-mlflow-'));
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const healthy = async (): Promise<boolean> => {
    try {
      return (await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };

  const start = async (): Promise<void> => {
    const args = ['server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--backend-store-uri', `sqlite:///${dir}/mlflow.db`, '--artifacts-destination', `${dir}/artifacts`];
    // No background job runner (MLflow 3's GenAI jobs): unused here, and a dozen extra processes.
    const proc = spawn(bin, args, { detached: true, stdio: 'ignore', env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' } });
    child = proc;
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (await healthy()) return;
      if (exited) throw new Error(`mlflow server on port ${port} exited during start`);
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`mlflow server on port ${port} not healthy after 120 s`);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc?.pid) return;
    const gone = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await gone;
    // The port is free once nothing answers.
    while (await healthy()) await new Promise((r) => setTimeout(r, 100));
  };

  await start();
  return {
    uri,
    kill,
    start,
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
