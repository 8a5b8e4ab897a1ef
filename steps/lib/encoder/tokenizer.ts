/**
 * Tokenization with `@huggingface/tokenizers` (a maintained pure-JS port of the Rust
 * `tokenizers` crate) reading the encoder's own `tokenizer.json`, offline. Truncation
 * and padding follow `AutoTokenizer(texts, truncation=True, max_length=n)`: the text's
 * tokens are cut to n - 2, then wrapped in [CLS] ... [SEP].
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export interface TextEncoder {
  /** Token ids, [CLS] text [SEP], at most `maxLength` long. */
  encode(text: string, maxLength: number): number[];
  readonly padId: number;
}

export interface Batch {
  /** Row-major [rows, length] token ids; padding uses the pad id. */
  readonly ids: Int32Array;
  /** 1 for tokens, 0 for padding. */
  readonly mask: Float32Array;
  readonly rows: number;
  readonly length: number;
}

function specialId(tokenizer: Tokenizer, token: string, source: string): number {
  const id = tokenizer.token_to_id(token);
  if (id === undefined) throw new Error(`${source}: the vocabulary has no ${token} token`);
  return id;
}

export async function loadTokenizer(dir: string): Promise<TextEncoder> {
  const source = join(dir, 'tokenizer.json');
  const json = JSON.parse(await readFile(source, 'utf8'));
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  } catch {
    // tokenizer_config.json is optional: tokenizer.json alone defines the pipeline.
  }
  const tokenizer = new Tokenizer(json, config);
  const cls = specialId(tokenizer, String(config.cls_token ?? '[CLS]'), source);
  const sep = specialId(tokenizer, String(config.sep_token ?? '[SEP]'), source);
  const padId = specialId(tokenizer, String(config.pad_token ?? '[PAD]'), source);
  return {
    padId,
    encode(text, maxLength) {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      return [cls, ...ids.slice(0, Math.max(0, maxLength - 2)), sep];
    },
  };
}

/** Pads each sequence to the longest in the batch (dynamic padding, as DataCollatorWithPadding). */
export function padBatch(sequences: readonly number[][], padId: number): Batch {
  const rows = sequences.length;
  const length = Math.max(1, ...sequences.map((s) => s.length));
  const ids = new Int32Array(rows * length).fill(padId);
  const mask = new Float32Array(rows * length);
  sequences.forEach((sequence, row) => {
    ids.set(sequence, row * length);
    mask.fill(1, row * length, row * length + sequence.length);
  });
  return { ids, mask, rows, length };
}
