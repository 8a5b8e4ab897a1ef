/** `tradepipe metrics serve|show`: the project's run history as Prometheus metrics; `run --pushgateway`. */
import { resolve, join } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, Exit } from './exit.ts';

async function projectRegistry(project: string, pipeline?: string) {
  const { Registry } = await import('../metrics/registry.ts');
  const { projectMetrics } = await import('../metrics/project.ts');
  const [{ findProjectRoot }, { openSession }] = await Promise.all([import('../project.ts'), import('../cache-session.ts')]);
  const abs = resolve(project);
  const session = openSession(findProjectRoot(statSync(abs).isDirectory() ? join(abs, 'pipeline.yaml') : abs));
  const registry = new Registry();
  return { registry, sources: [projectMetrics(registry, session.records, session.paths.store, pipeline)] };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`error: --port: expected a port number (0-65535), got \`${text}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  return port;
}

/** Pushes one pipeline's metrics (project-relative file) to a Pushgateway, as the push group `job=tradepipe, pipeline=<file>`. */
export async function pushPipelineMetrics(root: string, gatewayUrl: string, pipeline: string): Promise<void> {
  const { pushMetrics } = await import('../metrics/registry.ts');
  const { registry, sources } = await projectRegistry(root, pipeline);
  await pushMetrics(registry, sources, gatewayUrl, 'tradepipe', { pipeline });
}

export function registerMetrics(program: Command): void {
  const project = ['-C, --project <path>', 'project folder or pipeline file', '.'] as const;
  const metrics = program.command('metrics').description('Prometheus metrics from the project\'s run history and latest outputs.');
  metrics
    .command('serve')
    .description('Serve GET /metrics until interrupted; values are read from the history at each scrape.')
    .option('-p, --port <port>', 'port to listen on (0: a free one)', '9464')
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option(...project)
    .action(async (flags: { port: string; host: string; project: string }) => {
      const port = parsePort(flags.port);
      const { serveMetrics } = await import('../metrics/registry.ts');
      const { registry, sources } = await projectRegistry(flags.project);
      const server = await serveMetrics(registry, sources, { port, host: flags.host });
      process.stdout.write(`serving metrics at ${server.url}/metrics\n`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
  metrics
    .command('show')
    .description('Print the exposition once (Prometheus text format).')
    .option(...project)
    .action(async (flags: { project: string }) => {
      const { registry, sources } = await projectRegistry(flags.project);
      for (const source of sources) await source.refresh();
      process.stdout.write(await registry.metrics());
    });
}
