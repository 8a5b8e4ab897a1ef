/** What the tracking commands share: their IO, error handling and plain-text formatting. */
import type { Store } from '../../store.ts';
import { openTarget, type TrackingTarget } from '../target.ts';

export interface Output {
  write(text: string): unknown;
}

export interface CommandIO {
  /** The project's store (engine/store.ts), e.g. `openSession(root).store`. */
  store: Store;
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
}

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Prefixes every line of `text` with two spaces. */
export function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** `2026-01-31 14:05:09` in UTC. */
export function timestamp(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${rest}s` : `${m}m${rest}s`;
}

/** A metric value as MLflow's UI would show it, without float noise. */
export function number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(10)));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a command against the configured target: exit code 0, or 1 with `error: <message>` on stderr. */
export async function guarded(io: CommandIO, body: (target: TrackingTarget) => Promise<void>): Promise<number> {
  try {
    await body(await openTarget(io));
    return 0;
  } catch (err) {
    io.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}
