/**
 * The Prometheus side of tradepipe: one prom-client registry, HTTP exposition and
 * Pushgateway pushes. Whoever serves metrics (`tradepipe metrics serve`, the scheduler)
 * creates a registry, registers its own metrics on it as usual with prom-client, adds
 * sources whose values are read at scrape time (see project.ts), and serves or pushes it:
 *
 *   const registry = new Registry();
 *   const sources = [projectMetrics(registry, root)];
 *   const server = await serveMetrics(registry, sources, { port: 9464 });
 */
import { createServer, type Server } from 'node:http';
import { Pushgateway, Registry } from 'prom-client';

export { Registry };

/** Metrics whose values come from somewhere else (files, a database), brought up to date before each exposition. */
export interface MetricsSource {
  refresh(): Promise<void>;
}

async function exposition(registry: Registry, sources: readonly MetricsSource[]): Promise<string> {
  for (const source of sources) await source.refresh();
  return registry.metrics();
}

export interface MetricsServer {
  /** `http://host:port`; `/metrics` is the exposition. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (Prometheus text format). Port 0 picks a free port. */
export async function serveMetrics(registry: Registry, sources: readonly MetricsSource[], options: { port: number; host?: string }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('tradepipe metrics: GET /metrics\n');
      return;
    }
    exposition(registry, sources).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`cannot serve metrics: ${host}:${options.port} is already in use (--port 0 picks a free port)`) : error),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Replaces the metrics of the push group `job` (+ `groupings`) on a Pushgateway with the
 * registry's: the standard pattern for batch jobs, which end before any scrape.
 */
export async function pushMetrics(registry: Registry, sources: readonly MetricsSource[], gatewayUrl: string, job: string, groupings: Record<string, string> = {}): Promise<void> {
  for (const source of sources) await source.refresh();
  const gateway = new Pushgateway(gatewayUrl, { timeout: 10_000 }, registry);
  let resp: unknown;
  try {
    ({ resp } = await gateway.push({ jobName: job, groupings: pushGroupings(groupings) }));
  } catch (error) {
    throw new Error(`could not push metrics to the Pushgateway at ${displayUrl(gatewayUrl)}: ${(error as Error).message}`);
  }
  const status = (resp as { statusCode?: number } | undefined)?.statusCode;
  if (status !== undefined && (status < 200 || status >= 300)) throw new Error(`the Pushgateway at ${displayUrl(gatewayUrl)} answered HTTP ${status}`);
}

/**
 * A grouping key's path segments: the Pushgateway cannot take `/` in a value, even
 * percent-encoded, so such values (pipeline files in folders) go as `label@base64`.
 */
function pushGroupings(groupings: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [label, value] of Object.entries(groupings)) {
    if (value.includes('/') || value === '') out[`${label}@base64`] = Buffer.from(value).toString('base64url') || '=';
    else out[label] = value;
  }
  return out;
}

/** A URL as shown in messages: without credentials. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return '<invalid URL>';
  }
}
