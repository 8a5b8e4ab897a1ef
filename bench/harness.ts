/**
 * Bench convention: every bench/*.bench.ts default-exports an async function
 * returning rows; `npm run bench` (bench/index.ts) runs them and prints one table.
 * Targets are data, checked here and printed, never asserted in tests.
 */
export interface BenchRow {
  /** Area, e.g. "engine", "features", "env". */
  bench: string;
  /** What was measured, e.g. "cached rerun, 1,000 steps". */
  case: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "< 1000 ms". */
  target?: string;
  /** Whether the target was met; undefined when there is no target. */
  ok?: boolean;
}

export type Bench = () => Promise<BenchRow[]>;
