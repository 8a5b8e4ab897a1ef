import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getJson, HttpError, retryingFetch } from '../../steps/lib/http/retry.ts';
import { rejection, replayServer, sendJson } from './harness.ts';

const policy = { attempts: 3, minDelayMs: 1, what: 'test request' };

test('a final 4xx is answered at once, not retried; getJson carries the provider message', async () => {
  const server = await replayServer((req, res) => sendJson(res, 404, { message: 'no such symbol' }));
  try {
    const fetchFn = retryingFetch(policy);
    const error = await getJson(fetchFn, `${server.url}/x`).catch((e: unknown) => e);
    assert.instance(error, HttpError);
    assert.is((error as HttpError).message, 'HTTP 404: no such symbol');
    assert.equal((error as HttpError).body, { message: 'no such symbol' });
    assert.is(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('an attempt without an answer in time is retried, then reported', async () => {
  const server = await replayServer(() => {
    // Never answers.
  });
  try {
    const fetchFn = retryingFetch({ ...policy, attempts: 2, timeoutMs: 50 });
    assert.is(await rejection(fetchFn(`${server.url}/slow`)), 'test request failed after 2 attempts: no answer within 0.05 s');
    assert.is(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test("requests for the provider's origin go to the rebased one", async () => {
  const server = await replayServer((req, res) => sendJson(res, 200, { path: req.path, q: req.query.get('q') }));
  try {
    const fetchFn = retryingFetch({ ...policy, rebase: { from: 'https://api.example.com', to: `${server.url}/` } });
    assert.equal(await getJson(fetchFn, 'https://api.example.com/v1/things?q=1'), { path: '/v1/things', q: '1' });
  } finally {
    await server.close();
  }
});

test('cancelling stops retrying and rethrows the abort', async () => {
  const server = await replayServer((req, res) => res.writeHead(503).end());
  try {
    const controller = new AbortController();
    const fetchFn = retryingFetch({ ...policy, attempts: 10, minDelayMs: 200, signal: controller.signal });
    const pending = fetchFn(`${server.url}/x`);
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 50);
    assert.is(await rejection(pending), 'cancelled by the user');
    assert.is(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test.run();
