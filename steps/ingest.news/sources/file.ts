/**
 * Headlines from a local CSV or JSON Lines file, with a column mapping. `date`,
 * `tic` and `headline` are required; `summary`, `source`, `url` and `label` are
 * taken when present (a label must be positive, negative or neutral, or empty).
 */
import { stringColumn } from '../../../engine/sdk.ts';
import { dateCell, openDataFile, resolveColumns } from '../../lib/ingest/files.ts';
import { isLabel, type NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

const REQUIRED = ['date', 'tic', 'headline'] as const;
const OPTIONAL = ['summary', 'source', 'url', 'label'] as const;

export default async function file({ ctx, params }: SourceRequest): Promise<NewsRow[]> {
  const format = params.source === 'jsonl' ? 'jsonl' : 'csv';
  const path = params.path!;
  const file = await openDataFile(ctx, path, format);
  const found = resolveColumns(file.header, params.columns ?? {}, [...REQUIRED, ...OPTIONAL]);
  const missing = REQUIRED.filter((o) => found[o] === undefined);
  if (missing.length > 0) {
    const list = missing.map((m) => `\`${m}\``).join(', ');
    throw new Error(`${path}: no column for ${list}; columns are ${file.header.join(', ')}. Map them with \`columns: { <file column>: <output> }\``);
  }
  const sources = Object.fromEntries(Object.entries(found).filter((e): e is [string, string] => e[1] !== undefined));
  const { table, where } = file.read(sources, {});
  const text = (name: string) => (sources[name] === undefined ? undefined : stringColumn(table, name));
  const [dates, tics, headlines, summaries, origins, urls, labels] = [...REQUIRED, ...OPTIONAL].map(text);
  const rows: NewsRow[] = [];
  for (let i = 0; i < table.rows; i++) {
    const date = dateCell(dates![i]!, sources.date!, () => where(i));
    const tic = tics![i];
    const headline = headlines![i];
    if (!tic) throw new Error(`${where(i)}: column \`${sources.tic}\`: expected a ticker, found an empty cell`);
    if (!headline) throw new Error(`${where(i)}: column \`${sources.headline}\`: expected a headline, found an empty cell`);
    const label = labels?.[i] ?? null;
    if (label !== null && !isLabel(label)) {
      throw new Error(`${where(i)}: column \`${sources.label}\`: expected positive, negative or neutral, found ${JSON.stringify(label)}`);
    }
    rows.push({ date, tic, headline, summary: summaries?.[i] ?? null, source: origins?.[i] ?? null, url: urls?.[i] ?? null, label, time: i });
  }
  return rows;
}
