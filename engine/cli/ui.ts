/** `tradepipe ui`: serve the web app over the project's store and tracking (engine/ui). */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot } from '../project.ts';
import { collect, EXIT, Exit } from './exit.ts';

export interface UiFlags {
  port: string;
  host: string;
  token?: string | boolean;
  allowRun?: boolean;
  set: string[];
}

export async function uiCommand(files: string[], flags: UiFlags): Promise<number> {
  const { resolveToken, UsageError } = await import('../ui/security.ts');
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`error: --port: expected a port number (0-65535), got \`${flags.port}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  let token: string | undefined;
  try {
    token = resolveToken(flags.host, flags.token);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ui: ${error.message}\n`);
    throw new Exit(EXIT.invalid);
  }
  const root = findProjectRoot(files[0] ? resolve(files[0]) : join(process.cwd(), 'pipeline.yaml'));
  const { openCatalogue, pipelineFiles } = await import('../ui/catalogue.ts');
  const { bundleApp } = await import('../ui/bundle.ts');
  const { startUiServer } = await import('../ui/server.ts');
  const catalogue = openCatalogue(root, pipelineFiles(root, files), flags.set);
  const ui = await startUiServer({ catalogue, bundle: await bundleApp(), host: flags.host, port, token, allowRun: flags.allowRun === true, env: process.env }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EADDRNOTAVAIL') throw error;
    process.stderr.write(`error: ui: cannot listen on ${flags.host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use (pick another with --port, or --port 0 for a free one)' : 'no such local address'}\n`);
    throw new Exit(EXIT.failed);
  });
  process.stdout.write(`tradepipe ui: ${ui.url}\n${flags.allowRun ? 'runs may be started from the page (--allow-run)\n' : ''}`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void ui.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.ok;
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('Serve a web app over the project: pipeline graphs with live statuses, steps, outputs, runs (read-only by default).')
    .argument('[files...]', 'pipeline files (default: every file in pipelines.d/)')
    .option('-p, --port <n>', 'port (0 picks a free one)', '4173')
    .option('--host <address>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option('--token [secret]', 'require this token (alone: generate one and print the URL with it)')
    .option('--allow-run', 'allow starting runs from the page (with a confirmation)')
    .option('-S, --set <step.param=value>', 'evaluate with a param override (repeatable), as `status --set`', collect, [])
    .action(async (files: string[], flags: UiFlags) => {
      const code = await uiCommand(files, flags);
      if (code !== EXIT.ok) throw new Exit(code);
    });
}
