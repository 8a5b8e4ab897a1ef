/**
 * Calendar dates for ingestion. A date is an integer count of days since
 * 1970-01-01 (UTC) while computing, and `YYYY-MM-DD` in params and tables.
 * Ranges are half-open, [start, end), as in FinRL (yfinance's `end` and
 * `data_split` both exclude the end date).
 */
import type { ParamIssue } from '../../../engine/sdk.ts';

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDay(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Monday ... 6 = Sunday, as pandas' `dayofweek`. 1970-01-01 was a Thursday. */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

export function businessDays(start: number, end: number): number[] {
  const days: number[] = [];
  for (let d = start; d < end; d++) if (weekday(d) < 5) days.push(d);
  return days;
}

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in a time zone: a daily bar stamped 04:00Z is the previous day in New York. */
export function dateInZone(epochMs: number, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format.format(epochMs);
}

export interface DateRange {
  /** YYYY-MM-DD, inclusive. */
  start: string;
  /** YYYY-MM-DD, exclusive. */
  end: string;
}

/** `end: today` stands for the current UTC date. */
export function resolveEnd(end: string, now: Date = new Date()): string {
  return end === 'today' ? todayUtc(now) : end;
}

/** Whether data for the range can still change: its end is today or later (and not pinned). */
export function reachesToday(end: string, now: Date = new Date()): boolean {
  return resolveEnd(end, now) >= todayUtc(now);
}

/** The range as day numbers; an empty range is an error naming both dates. */
export function checkRange(range: DateRange): { start: number; end: number } {
  const start = parseDay(range.start);
  const end = parseDay(range.end);
  if (start === undefined) throw new Error(`start must be a date YYYY-MM-DD, got "${range.start}"`);
  if (end === undefined) throw new Error(`end must be a date YYYY-MM-DD or "today", got "${range.end}"`);
  if (start >= end) throw new Error(`empty date range: start ${range.start} is not before end ${range.end} (end is exclusive)`);
  return { start, end };
}

export function inRange(date: string, range: DateRange): boolean {
  return date >= range.start && date < range.end;
}

/** Validation-time problems of a `start`/`end` pair (a fixed `end` must be a real date after `start`). */
export function rangeIssues(params: { start?: string; end?: string }): ParamIssue[] {
  const { start, end } = params;
  if (start === undefined || end === undefined || end === 'today') return [];
  const endDay = parseDay(end);
  if (endDay === undefined) return [{ path: ['end'], message: `is not a calendar date: ${end}` }];
  const startDay = parseDay(start);
  if (startDay !== undefined && startDay >= endDay) return [{ path: ['end'], message: `must be after start ${start} (end is exclusive)` }];
  return [];
}
