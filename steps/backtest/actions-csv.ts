/**
 * The recorded-actions file of `policy: { type: actions, path }`: a header `date,<tic>,...`
 * (every ticker of the data, any order) and one row per date holding raw actions in [-1, 1].
 * Every test date but the last (whose step trades nothing) needs a row; other rows are ignored.
 */
import { readFile } from 'node:fs/promises';

export async function readActionsCsv(file: string, display: string, dates: readonly string[], tickers: readonly string[]): Promise<Float64Array[]> {
  const { parse } = await import('csv-parse/sync');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${display}: cannot read the actions file (${e.code ?? e.message})`);
  });
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (e) {
    throw new Error(`${display}: ${(e as Error).message}`);
  }
  const [header, ...rows] = records;
  if (header?.record[0] !== 'date') throw new Error(`${display}:1:1: the header must start with \`date\` followed by one column per ticker`);
  const columnOf = new Map<string, number>();
  header.record.slice(1).forEach((tic, c) => {
    if (!tickers.includes(tic)) throw new Error(`${display}:1:${column(header.record, c + 1)}: \`${tic}\` is not a ticker of the data (${tickers.join(', ')})`);
    columnOf.set(tic, c + 1);
  });
  const missing = tickers.filter((t) => !columnOf.has(t));
  if (missing.length > 0) throw new Error(`${display}:1:1: no column for ${missing.map((t) => `\`${t}\``).join(', ')}`);

  const byDate = new Map<string, { record: string[]; line: number }>();
  for (const { record, info } of rows) byDate.set(record[0]!, { record, line: info.lines });
  return dates.slice(0, -1).map((date) => {
    const row = byDate.get(date);
    if (!row) throw new Error(`${display}: no actions for ${date} (every test date but the last needs a row)`);
    return Float64Array.from(tickers, (tic) => {
      const c = columnOf.get(tic)!;
      const raw = row.record[c] ?? '';
      const value = raw === '' ? NaN : Number(raw);
      if (!(value >= -1 && value <= 1)) {
        throw new Error(`${display}:${row.line}:${column(row.record, c)}: action for \`${tic}\` on ${date} must be a number in [-1, 1], got \`${raw}\``);
      }
      return value;
    });
  });
}

/** 1-based column of field `index` in an unquoted CSV line. */
function column(record: readonly string[], index: number): number {
  let col = 1;
  for (let i = 0; i < index; i++) col += record[i]!.length + 1;
  return col;
}
