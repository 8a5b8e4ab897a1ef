/**
 * A BERT-family encoder in Hugging Face layout: `config.json`, `model.safetensors`,
 * `tokenizer.json` (and optionally `tokenizer_config.json`, `vocab.txt`). Checked once
 * by `ingest.encoder`, read by the sentiment steps.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const REQUIRED_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
export const OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'] as const;

/** The `config.json` fields the model reads (BertConfig names). */
export interface BertConfig {
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  classifier_dropout?: number | null;
  initializer_range?: number;
  pad_token_id?: number;
}

const NUMERIC_FIELDS = [
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
  'type_vocab_size',
  'layer_norm_eps',
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
] as const;

/** BERT, MiniLM and FinBERT all declare model_type `bert`; absolute positions and erf GELU are what the model implements. */
export function parseBertConfig(raw: unknown, source: string): BertConfig {
  const config = raw as Record<string, unknown>;
  if (typeof config !== 'object' || config === null) throw new Error(`${source}: expected a JSON object`);
  if (config.model_type !== 'bert') throw new Error(`${source}: model_type must be \`bert\` (BERT, MiniLM, FinBERT), found ${JSON.stringify(config.model_type)}`);
  for (const field of NUMERIC_FIELDS) {
    if (typeof config[field] !== 'number') throw new Error(`${source}: field \`${field}\` must be a number, found ${JSON.stringify(config[field])}`);
  }
  const act = config.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new Error(`${source}: hidden_act ${JSON.stringify(act)} is not supported (only BERT's erf \`gelu\`)`);
  const position = config.position_embedding_type ?? 'absolute';
  if (position !== 'absolute') throw new Error(`${source}: position_embedding_type ${JSON.stringify(position)} is not supported (only \`absolute\`)`);
  if ((config.hidden_size as number) % (config.num_attention_heads as number) !== 0) {
    throw new Error(`${source}: hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`);
  }
  return { ...(config as unknown as BertConfig), hidden_act: 'gelu' };
}

/** Throws naming every required file the folder lacks. */
export async function checkEncoderFolder(dir: string, what: string): Promise<void> {
  const missing: string[] = [];
  for (const file of REQUIRED_FILES) {
    try {
      await access(join(dir, file));
    } catch {
      missing.push(file);
    }
  }
  if (missing.length > 0) throw new Error(`${what} is not a complete Hugging Face encoder folder: missing ${missing.join(', ')}`);
  await readBertConfig(dir);
}

export async function readBertConfig(dir: string): Promise<BertConfig> {
  const path = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  return parseBertConfig(raw, path);
}
