/** A temp project whose monitor.drift step reports drift, and the tools the monitoring tests need. */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { execa } from 'execa';
import { project, type Project } from '../helpers/project.ts';

export const DRIFT_PIPELINE = `pipeline: drift_watch
steps:
  reference:
    uses: ingest.table
    with: { path: data/reference.csv }
  current:
    uses: ingest.table
    with: { path: data/current.csv }
  drift:
    uses: monitor.drift
    inputs: { reference: reference.table, current: current.table }
    with: { group_by: tic }
  quality:
    uses: monitor.quality
    inputs: { table: current.table }
    with: { duplicates: [date, tic], tickers: [AAPL, MSFT, NVDA] }
`;

/** `x` moves by half its range in the current window; `y` does not. */
function csv(shift: number): string {
  const lines = ['date,tic,x,y'];
  for (let i = 0; i < 200; i++) {
    const date = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    for (const tic of ['AAPL', 'MSFT']) lines.push(`${date},${tic},${(shift + i / 200).toFixed(4)},${(((i * 37) % 100) / 100).toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

export function driftProject(): Project {
  return project({ 'data/reference.csv': csv(0), 'data/current.csv': csv(0.5), 'drift.yaml': DRIFT_PIPELINE });
}

/** A Debian tool (promtool, amtool, prometheus) or a visible SKIP; under CI=true its absence fails. */
export async function toolOrSkip(tool: string, topic: string): Promise<string | undefined> {
  const found = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
  if (found.exitCode === 0) return found.stdout.trim();
  if (process.env.CI === 'true') throw new Error(`${topic}: \`${tool}\` not found under CI=true (.ci/apt-packages lists its Debian package)`);
  console.log(`SKIP ${topic}: \`${tool}\` not found (apt-get install prometheus prometheus-alertmanager)`);
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `ready` (errors count as not ready) every 200 ms until it holds or `timeoutMs` passes. */
export async function waitFor(ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}
