/**
 * The pipeline's `summary:`: a few outputs printed at the end of `run`, so a person
 * sees the result (a report path, a comparison table) without digging in the store.
 */
import { join } from 'node:path';
import type { Diagnostic } from './errors.ts';
import { diagnosticAt, type Positions } from './yaml-source.ts';
import { suggestion } from './schema/validate.ts';
import type { Session } from './cache-session.ts';
import type { RunRecord } from './records.ts';
import type { Table } from './table/table.ts';

export type SummaryItem = { kind: 'output'; step: string; output: string } | { kind: 'out'; step: string; path: string };

export function resolveSummary(entries: readonly string[], steps: ReadonlyMap<string, { outputs: readonly string[]; outs: readonly string[] }>, positions: Positions): { items: SummaryItem[]; diagnostics: Diagnostic[] } {
  const items: SummaryItem[] = [];
  const diagnostics: Diagnostic[] = [];
  entries.forEach((entry, i) => {
    const owner = [...steps].find(([, s]) => s.outs.includes(entry.replace(/^\.\//, '')));
    if (owner) return void items.push({ kind: 'out', step: owner[0], path: entry.replace(/^\.\//, '') });
    const dot = entry.lastIndexOf('.');
    const step = steps.get(entry.slice(0, dot));
    if (dot > 0 && step?.outputs.includes(entry.slice(dot + 1))) return void items.push({ kind: 'output', step: entry.slice(0, dot), output: entry.slice(dot + 1) });
    const known = [...steps].flatMap(([id, s]) => [...s.outputs.map((o) => `${id}.${o}`), ...s.outs]);
    diagnostics.push(diagnosticAt(positions.get(['summary', i]), 'unknown-summary-entry', `summary entry \`${entry}\` is neither a step output nor a declared out${suggestion(entry, known)}`));
  });
  return { items, diagnostics };
}

export async function renderSummary(items: readonly SummaryItem[], latest: (step: string) => RunRecord | undefined, session: Session): Promise<string> {
  const blocks: string[] = [];
  for (const item of items) {
    const record = latest(item.step);
    if (!record) continue;
    if (item.kind === 'out') {
      blocks.push(`${item.step}: ${join(session.paths.root, item.path)}`);
      continue;
    }
    const ref = record.outputs[item.output];
    if (!ref) continue;
    const label = `${item.step}.${item.output}`;
    if (ref.kind === 'table') {
      const { fromParquet } = await import('./table/parquet.ts');
      blocks.push(`${label}:\n${textTable(fromParquet(await session.store.readBytes(ref.hash)))}`);
    } else if (ref.kind === 'json') {
      const value = JSON.parse(new TextDecoder().decode(await session.store.readBytes(ref.hash))) as unknown;
      const lines = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).map(([k, v]) => `  ${k}: ${formatCell(v)}`) : [`  ${JSON.stringify(value)}`];
      blocks.push(`${label}:\n${lines.join('\n')}`);
    } else blocks.push(`${label}: ${ref.kind === 'dir' ? await session.store.materialize(ref.hash) : session.store.objectPath(ref.hash)}`);
  }
  return blocks.join('\n\n');
}

function formatCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toFixed(4) : v.toPrecision(4);
  if (v === null || v === undefined) return 'NaN';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** An aligned plain-text table (numbers right-aligned, 4 decimals), at most 40 rows. */
export function textTable(t: Table, maxRows = 40): string {
  const rows = Math.min(t.rows, maxRows);
  const cells = t.names.map((name) => {
    const col = t.columns[name]!;
    const values: string[] = [];
    for (let r = 0; r < rows; r++) {
      const v = col[r];
      values.push(typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : formatCell(v)) : (v ?? ''));
    }
    const numeric = !Array.isArray(col);
    const width = Math.max(name.length, ...values.map((v) => v.length));
    return { header: numeric ? name.padStart(width) : name.padEnd(width), values: values.map((v) => (numeric ? v.padStart(width) : v.padEnd(width))) };
  });
  const lines = [`  ${cells.map((c) => c.header).join('  ')}`];
  for (let r = 0; r < rows; r++) lines.push(`  ${cells.map((c) => c.values[r]).join('  ')}`);
  if (t.rows > rows) lines.push(`  … ${t.rows - rows} more rows`);
  return lines.join('\n');
}
