/**
 * Running ingestion plugins outside the engine: a StepContext that records logs,
 * params with the schema's defaults applied as the engine does, a table handed in
 * as an input artifact, and a local replay server for provider wire formats.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Artifact, InputArtifact, Plugin, StepContext } from '../../engine/plugin.ts';
import { compileSchema } from '../../engine/schema/validate.ts';
import type { Table } from '../../engine/table/table.ts';

export interface TestContext extends StepContext {
  readonly logs: { level: 'info' | 'warn' | 'debug'; message: string }[];
}

let scratch: string | undefined;

export function testContext(options: { projectRoot?: string; secrets?: Record<string, string> } = {}): TestContext {
  const logs: TestContext['logs'] = [];
  // Ingestion plugins write nothing there; one folder serves every context of a test file.
  scratch ??= mkdtempSync(join(tmpdir(), 'ingest-test-'));
  const secrets = options.secrets ?? {};
  return {
    stepId: 'test',
    projectRoot: options.projectRoot ?? process.cwd(),
    scratchDir: scratch,
    signal: new AbortController().signal,
    log: {
      info: (message) => logs.push({ level: 'info', message }),
      warn: (message) => logs.push({ level: 'warn', message }),
      debug: (message) => logs.push({ level: 'debug', message }),
    },
    track: { params() {}, metric() {}, tag() {}, artifact() {} },
    env: {},
    secret: (name) => secrets[name],
    progress() {},
    logs,
  };
}

/** Validates and fills defaults like the engine; a schema violation fails the test loudly. */
export function withDefaults<P>(plugin: Plugin<P>, params: Record<string, unknown>): P {
  const copy = structuredClone(params);
  const validate = compileSchema(plugin.paramsSchema);
  if (!validate(copy)) throw new Error(`invalid params: ${JSON.stringify(validate.errors)}`);
  return copy as P;
}

/** Runs the plugin's `run` with defaults applied and returns its single table output. */
export async function runTable<P>(
  plugin: Plugin<P>,
  params: Record<string, unknown>,
  options: { ctx?: StepContext; inputs?: Record<string, InputArtifact>; port: string },
): Promise<Table> {
  const out: Record<string, Artifact> = await plugin.run(options.ctx ?? testContext(), withDefaults(plugin, params), options.inputs ?? {});
  const artifact = out[options.port];
  if (artifact?.kind !== 'table') throw new Error(`port ${options.port} did not return a table`);
  return artifact.table;
}

export function tableInput(t: Table): InputArtifact {
  return {
    kind: 'table',
    hash: 'sha256:test',
    path: '',
    table: async () => t,
    json: async () => {
      throw new Error('not json');
    },
    bytes: async () => {
      throw new Error('not bytes');
    },
  };
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export interface ReplayServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 (random port); `handle` answers each request. */
export async function replayServer(handle: (request: Recorded, response: ServerResponse) => void): Promise<ReplayServer> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
    requests.push(recorded);
    handle(recorded, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A port with nothing listening: bind one, then close it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a rejection, got a result');
}
