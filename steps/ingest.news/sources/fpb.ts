/**
 * Financial PhraseBank (Malo et al.): one `sentence@label` per line, label positive,
 * negative or neutral, split at the last `@`. The published files are Latin-1; a file
 * that is valid UTF-8 is read as UTF-8. Rows keep the file's order, with no date or
 * ticker.
 */
import { readFile } from 'node:fs/promises';
import { resolveInputPath } from '../../../engine/sdk.ts';
import { isLabel, type NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

export function parsePhraseBank(text: string, path: string): NewsRow[] {
  const rows: NewsRow[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = line.lastIndexOf('@');
    const where = `${path}:${i + 1}`;
    if (at < 0) throw new Error(`${where}: expected \`sentence@label\`, found no \`@\``);
    const headline = line.slice(0, at).trim();
    const label = line.slice(at + 1).trim();
    if (!isLabel(label)) throw new Error(`${where}: expected the label positive, negative or neutral after the last \`@\`, found ${JSON.stringify(label)}`);
    if (headline === '') throw new Error(`${where}: the sentence before \`@${label}\` is empty`);
    rows.push({ date: null, tic: null, headline, summary: null, source: null, url: null, label, time: rows.length });
  });
  return rows;
}

export default async function fpb({ ctx, params }: SourceRequest): Promise<NewsRow[]> {
  const path = params.path!;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(resolveInputPath(ctx, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? String(error)})`);
  }
  return parsePhraseBank(decode(bytes), path);
}
