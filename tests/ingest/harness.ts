/**
 * Running ingestion plugins outside the engine: a StepContext that records logs,
 * params with the schema's defaults applied as the engine does, a table handed in
 * as an input artifact, and a local replay server for provider wire formats.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Artifact, InputArtifact, Plugin, StepContext, Table } from '../../engine/sdk.ts';
import { resolveParams, testStepContext } from '../../engine/sdk-testing.ts';

export interface TestContext extends StepContext {
  readonly logs: { level: 'info' | 'warn' | 'debug'; message: string }[];
}

export function testContext(options: { projectRoot?: string; secrets?: Record<string, string> } = {}): TestContext {
  const ctx = testStepContext({ projectRoot: options.projectRoot ?? process.cwd(), secrets: options.secrets });
  return { ...ctx, logs: ctx.recorded.logs };
}

/** Validates and fills defaults like the engine; a schema violation fails the test loudly. */
export function withDefaults<P>(plugin: Plugin<P>, params: Record<string, unknown>): P {
  return resolveParams(plugin, params);
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
