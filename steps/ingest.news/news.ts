/**
 * The news table: one row per headline, columns date (YYYY-MM-DD, New York date of
 * publication; null for undated labelled text such as Financial PhraseBank), tic (null
 * likewise), headline, summary, source, url, label (positive / negative /
 * neutral, null when unknown); sorted by date, tic, then publication time.
 */
import { table, type Table } from '../../engine/sdk.ts';

export const LABELS = ['positive', 'negative', 'neutral'] as const;
export type Label = (typeof LABELS)[number];

export interface NewsRow {
  date: string | null;
  tic: string | null;
  headline: string;
  summary: string | null;
  source: string | null;
  url: string | null;
  label: Label | null;
  /** Publication instant (ms) to order a day's headlines; not an output column. */
  time: number;
}

export function isLabel(value: string): value is Label {
  return (LABELS as readonly string[]).includes(value);
}

function compareRows(a: NewsRow, b: NewsRow): number {
  if (a.date !== b.date) return (a.date ?? '') < (b.date ?? '') ? -1 : 1;
  if (a.tic !== b.tic) return (a.tic ?? '') < (b.tic ?? '') ? -1 : 1;
  return a.time - b.time;
}

export function newsTable(rows: readonly NewsRow[]): Table {
  const sorted = [...rows].sort(compareRows);
  return table({
    date: sorted.map((r) => r.date),
    tic: sorted.map((r) => r.tic),
    headline: sorted.map((r) => r.headline),
    summary: sorted.map((r) => r.summary),
    source: sorted.map((r) => r.source),
    url: sorted.map((r) => r.url),
    label: sorted.map((r) => r.label),
  });
}
