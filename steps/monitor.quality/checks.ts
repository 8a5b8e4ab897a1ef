/**
 * Data quality checks on one table, each a pure function returning whether it passed and
 * what it found. Which checks run and which fail the step is the plugin's business.
 */
import { getHolidays } from 'nyse-holidays';
import type { Column, Table } from '../../engine/sdk.ts';
import { businessDays, formatDay, parseDay } from '../lib/ingest/dates.ts';
import type { MissingValuesCheck, RowCountCheck, StalenessCheck, ValueRange } from './params.ts';

export const CHECKS = ['rows', 'missing', 'ranges', 'duplicates', 'staleness', 'tickers'] as const;
export type CheckName = (typeof CHECKS)[number];

export interface CheckResult {
  check: CheckName;
  passed: boolean;
  /** One line for people: what was expected and what was found. */
  detail: string;
  /** What the check measured, for the report and metrics. */
  facts: Record<string, unknown>;
}

function requireColumn(t: Table, name: string, check: CheckName): Column {
  if (!Object.hasOwn(t.columns, name)) throw new Error(`${check}: the table has no column \`${name}\` (columns: ${t.names.join(', ')})`);
  return t.columns[name]!;
}

function isMissing(v: string | number | null | undefined): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

export function checkRows(t: Table, limits: RowCountCheck): CheckResult {
  const low = limits.min !== undefined && t.rows < limits.min;
  const high = limits.max !== undefined && t.rows > limits.max;
  const range = `[${limits.min ?? 0}, ${limits.max ?? '∞'}]`;
  return { check: 'rows', passed: !low && !high, detail: `${t.rows} rows, expected ${range}`, facts: { rows: t.rows } };
}

export function checkMissing(t: Table, limits: MissingValuesCheck): CheckResult {
  const columns = limits.columns ?? t.names;
  const shares: Record<string, number> = {};
  const over: string[] = [];
  for (const name of columns) {
    const values = requireColumn(t, name, 'missing');
    let missing = 0;
    for (const v of values) if (isMissing(v)) missing += 1;
    const share = t.rows === 0 ? 0 : missing / t.rows;
    shares[name] = share;
    const limit = limits.per_column?.[name] ?? limits.max_share ?? 0;
    if (share > limit) over.push(`${name} ${(share * 100).toFixed(2)}% > ${(limit * 100).toFixed(2)}%`);
  }
  return { check: 'missing', passed: over.length === 0, detail: over.length === 0 ? `no column over its missing-value limit` : `missing values: ${over.join(', ')}`, facts: { missing_share: shares } };
}

export function checkRanges(t: Table, ranges: Record<string, ValueRange>): CheckResult {
  const out: Record<string, { below: number; above: number }> = {};
  const bad: string[] = [];
  for (const [name, { min, max }] of Object.entries(ranges)) {
    const values = requireColumn(t, name, 'ranges');
    if (Array.isArray(values)) throw new Error(`ranges: column \`${name}\` holds text, expected numbers`);
    let below = 0;
    let above = 0;
    for (const v of values) {
      if (Number.isNaN(v)) continue;
      if (min !== undefined && v < min) below += 1;
      if (max !== undefined && v > max) above += 1;
    }
    out[name] = { below, above };
    if (below + above > 0) bad.push(`${name}: ${below} below ${min ?? '-∞'}, ${above} above ${max ?? '∞'}`);
  }
  return { check: 'ranges', passed: bad.length === 0, detail: bad.length === 0 ? 'every value in range' : `out of range: ${bad.join('; ')}`, facts: { out_of_range: out } };
}

export function checkDuplicates(t: Table, keys: readonly string[]): CheckResult {
  const columns = keys.map((k) => requireColumn(t, k, 'duplicates'));
  const seen = new Set<string>();
  const examples: string[] = [];
  let duplicates = 0;
  for (let row = 0; row < t.rows; row++) {
    const key = JSON.stringify(columns.map((c) => c[row] ?? null));
    if (seen.has(key)) {
      duplicates += 1;
      if (examples.length < 5) examples.push(keys.map((k, i) => `${k}=${String(columns[i]![row])}`).join(' '));
    } else seen.add(key);
  }
  const detail = duplicates === 0 ? `(${keys.join(', ')}) unique` : `${duplicates} rows repeat a (${keys.join(', ')}) key, e.g. ${examples.join('; ')}`;
  return { check: 'duplicates', passed: duplicates === 0, detail, facts: { duplicate_rows: duplicates } };
}

/** The sessions of a calendar in [start, end) (day numbers). */
export function sessions(calendar: 'NYSE' | 'weekdays', start: number, end: number): number[] {
  const days = businessDays(start, end);
  if (calendar === 'weekdays') return days;
  const holidays = new Set<number>();
  for (let year = Number(formatDay(start).slice(0, 4)); year <= Number(formatDay(Math.max(start, end - 1)).slice(0, 4)); year++) {
    for (const h of getHolidays(year)) holidays.add(parseDay(h.dateString)!);
  }
  return days.filter((d) => !holidays.has(d));
}

/**
 * Stale when more than `max_sessions_behind` trading sessions lie strictly between the last
 * date in the table and today (a daily bar for today arrives after the close).
 */
export function checkStaleness(t: Table, options: StalenessCheck, today: string): CheckResult {
  const name = options.date_column ?? 'date';
  const dates = requireColumn(t, name, 'staleness');
  if (!Array.isArray(dates)) throw new Error(`staleness: column \`${name}\` holds numbers, expected YYYY-MM-DD dates`);
  let last: string | undefined;
  for (const d of dates) if (d !== null && (last === undefined || d > last)) last = d;
  const calendar = options.calendar ?? 'NYSE';
  const allowed = options.max_sessions_behind ?? 0;
  if (last === undefined) return { check: 'staleness', passed: false, detail: `no dates in \`${name}\``, facts: { as_of: today, sessions_behind: null } };
  const lastDay = parseDay(last.slice(0, 10));
  if (lastDay === undefined) throw new Error(`staleness: \`${name}\` holds ${JSON.stringify(last)}, expected YYYY-MM-DD`);
  const missed = sessions(calendar, lastDay + 1, parseDay(today)!).map(formatDay);
  const passed = missed.length <= allowed;
  const detail = passed
    ? `last date ${last}: ${missed.length} ${calendar} sessions behind ${today} (allowed ${allowed})`
    : `last date ${last} is stale: ${missed.length} ${calendar} sessions before ${today} are missing (${missed.slice(0, 5).join(', ')}${missed.length > 5 ? ', ...' : ''}; allowed ${allowed})`;
  return { check: 'staleness', passed, detail, facts: { last_date: last, as_of: today, sessions_behind: missed.length } };
}

export function checkTickers(t: Table, expected: readonly string[], column: string): CheckResult {
  const values = new Set<string | number | null>(requireColumn(t, column, 'tickers'));
  const absent = expected.filter((tic) => !values.has(tic));
  return {
    check: 'tickers',
    passed: absent.length === 0,
    detail: absent.length === 0 ? `all ${expected.length} tickers present` : `missing tickers: ${absent.join(', ')}`,
    facts: { missing_tickers: absent },
  };
}
