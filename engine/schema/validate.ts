/**
 * JSON Schema validation (ajv) turned into positioned, human diagnostics:
 * "unknown param `lr` for plugin `rl.ppo` (did you mean `learning_rate`?)" at the key,
 * "param `n_steps` must be integer" at the value.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { closest, distance } from 'fastest-levenshtein';
import type { Diagnostic } from '../errors.ts';
import { diagnosticAt, type Path, type Positions } from '../yaml-source.ts';
import { loadOrCompile } from './validator-cache.ts';

const compiled = new WeakMap<object, ValidateFunction>();

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = loadOrCompile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

export interface Subject {
  /** How a field is named in messages: `param`, `field`. */
  noun: string;
  /** Appended to messages, e.g. ` for plugin \`exec\``. */
  context: string;
}

/**
 * Validates `value` (found at `base` in the positioned document) and applies schema
 * defaults in place. Returns one diagnostic per problem.
 */
export function validateFillingDefaults(
  schema: Record<string, unknown>,
  value: unknown,
  base: Path,
  positions: Positions,
  subject: Subject,
): Diagnostic[] {
  const validate = compileSchema(schema);
  if (validate(value)) return [];
  return dedupe(validate.errors ?? []).map((e) => describe(e, base, positions, subject));
}

function dedupe(errors: ErrorObject[]): ErrorObject[] {
  // oneOf/anyOf explode into one error per branch; keep the most specific per location.
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const id = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(e);
  }
  // Alternatives of different types at one place become one "must be a string or an array".
  const types = new Map<string, ErrorObject>();
  const merged: ErrorObject[] = [];
  for (const e of out) {
    if (e.keyword !== 'type') {
      merged.push(e);
      continue;
    }
    const first = types.get(e.instancePath);
    if (first) (first.params as { type: string }).type += ` or ${article((e.params as { type: string }).type)}`;
    else {
      const copy = { ...e, params: { type: article((e.params as { type: string }).type) } };
      types.set(e.instancePath, copy);
      merged.push(copy);
    }
  }
  const hasSpecific = new Set(merged.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf').map((e) => e.instancePath));
  return merged.filter((e) => !((e.keyword === 'anyOf' || e.keyword === 'oneOf') && hasSpecific.has(e.instancePath)));
}

function splitPointer(ptr: string): string[] {
  return ptr === '' ? [] : ptr.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fieldName(path: string[]): string {
  return path.join('.');
}

function describe(e: ErrorObject, base: Path, positions: Positions, subject: Subject): Diagnostic {
  const rel = splitPointer(e.instancePath).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const at = [...base, ...rel];
  const name = fieldName(rel.map(String));
  const where = positions.nearest(at);
  const { noun, context } = subject;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const field = name ? `${name}.${extra}` : extra;
      const hint = allowed.length > 0 ? suggestion(extra, allowed) : '';
      const expected = allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : '';
      return diagnosticAt(positions.get([...at, extra]) ?? where, noun === 'param' ? 'unknown-param' : 'unknown-field', `unknown ${noun} \`${field}\`${context}${hint || expected}`, 'key');
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      return diagnosticAt(where, 'missing-param', `missing required ${noun} \`${name ? `${name}.${missing}` : missing}\`${context}`, 'key');
    }
    case 'type':
      return diagnosticAt(where, 'wrong-type', `${noun} \`${name}\`${context} must be ${(e.params as { type: string }).type}, got ${describeValue(e.data)}`);
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
      return diagnosticAt(where, 'not-allowed-value', `${noun} \`${name}\`${context} must be one of ${allowed.join(', ')}, got ${describeValue(e.data)}${typeof e.data === 'string' ? suggestion(e.data, (e.params as { allowedValues: unknown[] }).allowedValues.map(String)) : ''}`);
    }
    case 'const':
      return diagnosticAt(where, 'not-allowed-value', `${noun} \`${name}\`${context} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, got ${describeValue(e.data)}`);
    case 'propertyNames': {
      const bad = String((e.params as { propertyName: string }).propertyName);
      return diagnosticAt(positions.get([...at, bad]) ?? where, 'invalid-value', `invalid name \`${bad}\`${context}: ${e.message ?? ''}`, 'key');
    }
    default: {
      const label = name ? `${noun} \`${name}\`` : 'value';
      return diagnosticAt(where, 'invalid-value', `${label}${context} ${e.message ?? 'is invalid'}`);
    }
  }
}

export function suggestion(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, [...candidates]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean \`${best}\`?)` : '';
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  return `${typeof v} ${String(v)}`;
}
