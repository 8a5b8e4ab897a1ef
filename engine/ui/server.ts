/**
 * The UI's HTTP server (node:http): the bundled app, the JSON API and the live event
 * stream. Read-only unless started with `allowRun`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { InvalidInput } from '../errors.ts';
import { followEvents, type EngineEvent } from '../events.ts';
import { projectPaths, projectRelative } from '../project.ts';
import type { Pipeline } from '../pipeline.ts';
import { BadRequest, parseRunRequest, startRun } from './actions.ts';
import type { Bundle } from './bundle.ts';
import { loadError, NotFound, type Catalogue } from './catalogue.ts';
import { graphView } from './graph.ts';
import { openLiveState } from './live.ts';
import { outputPreview } from './outputs.ts';
import { compare, runRows, timeline } from './runs.ts';
import { authorized, COOKIE, hostAllowed, sameOrigin, SECURITY_HEADERS } from './security.ts';
import { stepDetail } from './step.ts';

export interface UiOptions {
  catalogue: Catalogue;
  bundle: Bundle;
  host: string;
  port: number;
  token?: string;
  allowRun: boolean;
  env: NodeJS.ProcessEnv;
}

export interface UiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tradepipe</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body><noscript>The tradepipe UI needs JavaScript.</noscript></body>
</html>
`;

const PAGE_ROWS = 50;
const MAX_PAGE_ROWS = 500;
const HEARTBEAT_MS = 15_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'expected Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new HttpError(413, 'request body over 64 KiB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function intParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `\`${name}\`: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

export async function startUiServer(opts: UiOptions): Promise<UiServer> {
  const { catalogue } = opts;
  const storeDir = projectPaths(catalogue.root).store;
  const live = openLiveState(storeDir);
  const clients = new Set<ServerResponse>();
  const broadcast = (event: EngineEvent) => {
    live.apply(event);
    const frame = `event: engine\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const follower = followEvents(storeDir, broadcast);
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  /** The pipeline a step request means: `?pipeline=`, else the only one that has the step. */
  const pipelineOfStep = async (url: URL, stepId: string): Promise<Pipeline> => {
    const named = url.searchParams.get('pipeline');
    if (named) return catalogue.load(named);
    const owners: Pipeline[] = [];
    for (const entry of await catalogue.list()) {
      if (entry.error) continue;
      const p = await catalogue.load(entry.name);
      if (p.steps.has(stepId)) owners.push(p);
    }
    if (owners.length === 0) throw new NotFound(`no pipeline has a step \`${stepId}\``);
    if (owners.length > 1) throw new HttpError(400, `step \`${stepId}\` is in ${owners.map((p) => p.name).join(', ')}: add ?pipeline=<name>`);
    return owners[0]!;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> => {
    const [head, a, b, c] = parts;
    if (req.method === 'POST' && head === 'run' && parts.length === 1) {
      if (!opts.allowRun) throw new HttpError(403, 'running is disabled: start `tradepipe ui` with --allow-run to allow it');
      if (!sameOrigin(req)) throw new HttpError(403, 'cross-origin request refused');
      const request = parseRunRequest(await readBody(req));
      const pid = startRun(await catalogue.load(request.pipeline), request);
      return json(res, 202, { started: true, pid });
    }
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed here`);
    if (head === 'config' && parts.length === 1) return json(res, 200, { allowRun: opts.allowRun });
    if (head === 'pipelines' && parts.length === 1) return json(res, 200, await catalogue.list());
    if (head === 'pipelines' && a !== undefined && b === 'graph' && parts.length === 3) return json(res, 200, await graphView(await catalogue.load(a), live));
    if (head === 'steps' && a !== undefined && parts.length === 2) return json(res, 200, await stepDetail(await pipelineOfStep(url, a), a, opts.env));
    if (head === 'steps' && a !== undefined && b === 'outputs' && c !== undefined && parts.length === 4) {
      const limit = Math.min(MAX_PAGE_ROWS, Math.max(1, intParam(url, 'limit', PAGE_ROWS)));
      return json(res, 200, await outputPreview(await pipelineOfStep(url, a), a, c, { offset: intParam(url, 'offset', 0), limit }));
    }
    if (head === 'runs' && parts.length === 1) {
      const name = url.searchParams.get('pipeline');
      const file = name ? projectRelative(catalogue.root, (await catalogue.load(name)).file) : undefined;
      return json(res, 200, runRows(catalogue.root, file, live));
    }
    if (head === 'runs' && a !== undefined && parts.length === 2) return json(res, 200, timeline(catalogue.root, a));
    if (head === 'compare' && parts.length === 1) {
      const [x, y] = [url.searchParams.get('a'), url.searchParams.get('b')];
      if (!x || !y) throw new HttpError(400, 'expected ?a=<run>&b=<run>');
      return json(res, 200, await compare(catalogue.root, opts.env, x, y));
    }
    if (head === 'events' && parts.length === 1) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    throw new HttpError(404, `no API route ${url.pathname}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    if (!hostAllowed(req, opts.host, port)) return send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host header\n');
    if (!authorized(req, url, opts.token)) return send(res, 401, 'text/plain; charset=utf-8', 'a token is required: open the URL `tradepipe ui` printed\n');
    if (url.pathname.startsWith('/api/')) {
      const parts = url.pathname.slice(5).split('/').filter(Boolean).map(decodeURIComponent);
      try {
        await api(req, res, url, parts);
      } catch (error) {
        if (res.headersSent) return void res.end();
        const status = error instanceof HttpError ? error.status : error instanceof NotFound ? 404 : error instanceof BadRequest || error instanceof InvalidInput ? 400 : 500;
        json(res, status, { error: loadError(error) });
      }
      return;
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', opts.bundle.js);
    if (url.pathname === '/app.css') return send(res, 200, 'text/css; charset=utf-8', opts.bundle.css);
    if (url.pathname === '/' && url.searchParams.has('token') && opts.token) {
      // Trade the token in the URL for a cookie, and drop it from the address bar.
      res.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Set-Cookie': `${COOKIE}=${opts.token}; HttpOnly; SameSite=Strict; Path=/` });
      return void res.end();
    }
    if (url.pathname === '/' || url.pathname === '/index.html') return send(res, 200, 'text/html; charset=utf-8', INDEX);
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${loadError(error)}\n`);
      else res.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (error) {
    follower.close();
    clearInterval(heartbeat);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/${opts.token ? `?token=${opts.token}` : ''}`,
    server,
    async close() {
      follower.close();
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      clients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
