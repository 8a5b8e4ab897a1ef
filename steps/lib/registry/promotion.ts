/**
 * The champion/challenger rule: a challenger is promoted only when every metric
 * condition holds against the current champion.
 */

export type ComparisonOp = '>' | '>=' | '<' | '<=';

export interface MetricCondition {
  metric: string;
  /** How the challenger must compare with the champion. */
  op: ComparisonOp;
  /**
   * Absolute slack granted to the challenger: with `>=` and 0.05 the challenger passes
   * when challenger >= champion - 0.05; with `<=` when challenger <= champion + 0.05.
   */
  tolerance?: number;
}

export interface ConditionCheck {
  metric: string;
  op: ComparisonOp;
  tolerance: number;
  challenger: number;
  champion: number | null;
  passed: boolean;
}

export interface PromotionDecision {
  promoted: boolean;
  reason: string;
  checks: ConditionCheck[];
}

export type Stats = Record<string, unknown>;

/** A stats JSON (e.g. backtest.stats' output): a flat object of numbers, or null where a statistic is undefined. */
export function parseStats(value: unknown, what: string): Record<string, number | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object of numbers, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' && v !== null) throw new Error(`${what}: ${JSON.stringify(k)} must be a number or null, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

export function statValue(stats: Stats, metric: string): number | undefined {
  const v = stats[metric];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

function holds(op: ComparisonOp, challenger: number, champion: number, tolerance: number): boolean {
  switch (op) {
    case '>':
      return challenger > champion - tolerance;
    case '>=':
      return challenger >= champion - tolerance;
    case '<':
      return challenger < champion + tolerance;
    case '<=':
      return challenger <= champion + tolerance;
  }
}

const fmt = (n: number): string => String(Number(n.toPrecision(12)));

function describe(c: ConditionCheck): string {
  const slack = c.tolerance ? ` (tolerance ${fmt(c.tolerance)})` : '';
  return `${c.metric} ${fmt(c.challenger)} ${c.passed ? '' : 'not '}${c.op} ${fmt(c.champion ?? NaN)}${slack}`;
}

/**
 * `champion` is undefined when the model has no champion yet: the challenger is then
 * promoted. A metric absent from the challenger's stats is an error (a misspelt
 * condition, say); one that is null there, or missing from the champion's stored
 * stats, rejects the promotion, since nothing shows the challenger is at least as good.
 */
export function decidePromotion(conditions: MetricCondition[], challenger: Stats, champion: { version: string; stats: Stats } | undefined): PromotionDecision {
  const absent = conditions.filter((c) => !(c.metric in challenger)).map((c) => c.metric);
  if (absent.length > 0) {
    throw new Error(`challenger stats have no ${absent.map((m) => JSON.stringify(m)).join(', ')} (keys: ${Object.keys(challenger).join(', ') || 'none'})`);
  }
  const undefinedStats = conditions.filter((c) => statValue(challenger, c.metric) === undefined).map((c) => c.metric);
  if (undefinedStats.length > 0) {
    // Present but null/NaN (a degenerate backtest): nothing shows the challenger is good.
    return { promoted: false, reason: `challenger's ${undefinedStats.map((m) => JSON.stringify(m)).join(', ')} is not a number`, checks: [] };
  }
  if (!champion) {
    return {
      promoted: true,
      reason: 'no current champion',
      checks: conditions.map((c) => ({ metric: c.metric, op: c.op, tolerance: c.tolerance ?? 0, challenger: statValue(challenger, c.metric)!, champion: null, passed: true })),
    };
  }
  const checks: ConditionCheck[] = [];
  const unknown: string[] = [];
  for (const c of conditions) {
    const mine = statValue(challenger, c.metric)!;
    const theirs = statValue(champion.stats, c.metric);
    const tolerance = c.tolerance ?? 0;
    if (theirs === undefined) unknown.push(c.metric);
    checks.push({ metric: c.metric, op: c.op, tolerance, challenger: mine, champion: theirs ?? null, passed: theirs !== undefined && holds(c.op, mine, theirs, tolerance) });
  }
  if (unknown.length > 0) {
    return { promoted: false, reason: `champion version ${champion.version} has no stored ${unknown.map((m) => JSON.stringify(m)).join(', ')}`, checks };
  }
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) return { promoted: false, reason: `against champion version ${champion.version}: ${failed.map(describe).join('; ')}`, checks };
  return { promoted: true, reason: `against champion version ${champion.version}: ${checks.map(describe).join('; ')}`, checks };
}
