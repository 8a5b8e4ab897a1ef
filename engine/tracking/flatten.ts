/**
 * Turns a step's resolved params into MLflow params: flat string keys and values
 * within MLflow's length limits.
 */
import { createHash } from 'node:crypto';
import { MLFLOW_LIMITS } from './limits.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/**
 * Objects flatten with dots (`ppo.learning_rate`); arrays of scalars stay one
 * JSON value (`["macd","rsi_30"]`), arrays of objects flatten by index
 * (`metric_conditions.0.metric`). Keys come out sorted.
 */
export function flattenParams(params: unknown, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  const visit = (value: unknown, path: string): void => {
    if (value === undefined) return;
    if (isPlainObject(value)) {
      const keys = Object.keys(value).sort();
      if (keys.length === 0 && path) out.push([path, '{}']);
      for (const k of keys) visit(value[k], path ? `${path}.${k}` : k);
    } else if (Array.isArray(value) && !value.every(isScalar)) {
      value.forEach((item, i) => visit(item, `${path}.${i}`));
    } else if (Array.isArray(value)) {
      out.push([path || 'value', JSON.stringify(value)]);
    } else {
      out.push([path || 'value', scalarText(value)]);
    }
  };
  visit(params, prefix);
  return out;
}

const shortHash = (text: string, n: number): string => createHash('sha256').update(text).digest('hex').slice(0, n);

/**
 * A key MLflow accepts for a param, metric or tag: only letters, digits, `_ - . / : space`
 * (other characters become `_`), and no path tricks (`//`, `.`/`..` segments, leading `/`).
 */
export function mlflowKey(key: string): string {
  const cleaned = key
    .replace(/[^\p{L}\p{N}_\-./: ]/gu, '_')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment === '.' || segment === '..' ? '_' : segment))
    .join('/');
  return fitKey(cleaned.startsWith('..') ? `_${cleaned}` : cleaned || '_');
}

/** A key over MLflow's limit keeps its head and gets a hash suffix so distinct keys stay distinct. */
export function fitKey(key: string): string {
  if (key.length <= MLFLOW_LIMITS.keyLength) return key;
  const suffix = `-${shortHash(key, 8)}`;
  return key.slice(0, MLFLOW_LIMITS.keyLength - suffix.length) + suffix;
}

/** A value over `limit` is cut and marked with the hash of the full value, so it can be matched later. */
export function fitValue(value: string, limit: number): string {
  if (value.length <= limit) return value;
  const marker = `...[truncated ${value.length} chars, sha256:${shortHash(value, 16)}]`;
  return value.slice(0, limit - marker.length) + marker;
}
