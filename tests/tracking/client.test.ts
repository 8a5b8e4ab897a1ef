/** The REST client's transport: auth headers, MLflow error mapping, retries, no credentials in messages. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MlflowClient, proxyPath } from '../../engine/tracking/client.ts';
import { MlflowError } from '../../engine/tracking/mlflow-error.ts';
import { clientOptionsFromEnv } from '../../engine/tracking/mlflow-options.ts';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
/** Status codes to answer with before answering normally, consumed in order. */
const failures: number[] = [];

test.before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const status = failures.shift();
      if (status) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_code: status === 503 ? 'TEMPORARILY_UNAVAILABLE' : 'RESOURCE_DOES_NOT_EXIST', message: `status ${status}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ experiment_id: '7' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('MLFLOW_TRACKING_TOKEN is sent as a Bearer token', async () => {
  seen.length = 0;
  const client = new MlflowClient(clientOptionsFromEnv({ MLFLOW_TRACKING_URI: base, MLFLOW_TRACKING_TOKEN: 'tok-abc' })!);
  assert.is(await client.createExperiment('e'), '7');
  assert.equal(seen[0], { method: 'POST', url: '/api/2.0/mlflow/experiments/create', authorization: 'Bearer tok-abc', contentType: 'application/json', body: '{"name":"e","tags":[]}' });
});

test('MLFLOW_TRACKING_USERNAME/PASSWORD, or user info in the URI, are sent as Basic auth', async () => {
  seen.length = 0;
  await new MlflowClient(clientOptionsFromEnv({ MLFLOW_TRACKING_URI: base, MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 'pa:ss' })!).createExperiment('e');
  await new MlflowClient({ uri: base.replace('//', '//bob:s%40cret@') }).createExperiment('e');
  assert.is(seen[0]!.authorization, `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`);
  assert.is(seen[1]!.authorization, `Basic ${Buffer.from('bob:s@cret').toString('base64')}`);
});

test('errors carry MLflow error_code and message; transient ones are retried', async () => {
  const client = new MlflowClient({ uri: base, retries: 2, retryBaseMs: 1 });
  seen.length = 0;
  failures.push(503, 503);
  assert.is(await client.createExperiment('e'), '7');
  assert.is(seen.length, 3);
  failures.push(404);
  const err = await client.getRun('r1').then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof MlflowError);
  assert.is((err as MlflowError).errorCode, 'RESOURCE_DOES_NOT_EXIST');
  assert.is((err as MlflowError).httpStatus, 404);
  assert.is((err as MlflowError).transient, false);
  assert.is((err as MlflowError).message, 'MLflow GET /api/2.0/mlflow/runs/get failed (404 RESOURCE_DOES_NOT_EXIST): status 404');
});

test('an unreachable server is a transient UNREACHABLE error that names the server without credentials', async () => {
  const client = new MlflowClient({ uri: 'http://alice:hunter22@127.0.0.1:9/', retries: 0, timeoutMs: 2000 });
  const err = (await client.createExperiment('e').then(() => undefined, (e: unknown) => e)) as MlflowError;
  assert.is(err.errorCode, 'UNREACHABLE');
  assert.is(err.transient, true);
  assert.match(err.message, /^MLflow POST \/api\/2\.0\/mlflow\/experiments\/create: no answer from http:\/\/127\.0\.0\.1:9 \(/);
  assert.not.ok(err.message.includes('hunter22'));
  assert.not.ok(err.message.includes('alice'));
});

test('only http(s) tracking URIs are accepted', () => {
  assert.throws(
    () => new MlflowClient({ uri: 'file:///tmp/mlruns' }),
    /^MLFLOW_TRACKING_URI "file:\/\/\/tmp\/mlruns" is not supported: tradepipe talks to an MLflow tracking server over http\(s\); unset it to use the embedded store$/,
  );
});

test('artifact URIs map to proxy paths', () => {
  assert.is(proxyPath('mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
  assert.is(proxyPath('mlflow-artifacts://host:5000/1/abc/artifacts/'), '1/abc/artifacts');
  assert.throws(() => proxyPath('s3://bucket/1/abc'), /is not served by the tracking server's proxy/);
});

test.run();
