/**
 * A run record as stored in a remote: the record, who made it where, and with
 * TRADEPIPE_REMOTE_KEY set an HMAC-SHA256 over both (like Turborepo's artifact
 * signing), so that write access to the bucket alone cannot inject results. Objects
 * need no signature: their names are their hashes, checked on every download.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { canonicalJson } from '../hash.ts';
import { isPlainObject } from '../yaml-source.ts';
import type { RunRecord } from '../records.ts';

export interface Origin {
  host: string;
  user: string;
  at: string;
}

export interface SharedRecord {
  format: 1;
  record: RunRecord;
  origin: Origin;
  /** `hmac-sha256:<hex>` over the canonical JSON of format, record and origin. */
  signature?: string;
}

const SCHEME = 'hmac-sha256:';

function mac(envelope: SharedRecord, key: string): string {
  const { format, record, origin } = envelope;
  return SCHEME + createHmac('sha256', key).update(canonicalJson({ format, record, origin })).digest('hex');
}

export function shareRecord(record: RunRecord, key: string | undefined): SharedRecord {
  const origin: Origin = { host: hostname(), user: safeUser(), at: new Date().toISOString() };
  const envelope: SharedRecord = { format: 1, record, origin };
  return key ? { ...envelope, signature: mac(envelope, key) } : envelope;
}

/** The record in a remote blob, or why it cannot be trusted. */
export function openSharedRecord(
  text: string,
  expectedKey: string,
  signingKey: string | undefined,
): { ok: true; shared: SharedRecord } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'is not JSON' };
  }
  if (!isSharedRecord(value) || value.record.key !== expectedKey) return { ok: false, problem: 'is not a run record for this key' };
  if (!signingKey) return { ok: true, shared: value };
  if (typeof value.signature !== 'string') return { ok: false, problem: 'is unsigned (TRADEPIPE_REMOTE_KEY is set)' };
  const expected = Buffer.from(mac(value, signingKey));
  const actual = Buffer.from(value.signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, problem: 'has a wrong signature (signed with another key, or altered)' };
  return { ok: true, shared: value };
}

function isSharedRecord(v: unknown): v is SharedRecord {
  if (!isPlainObject(v) || v.format !== 1 || !isPlainObject(v.record) || !isPlainObject(v.origin)) return false;
  const r = v.record;
  const refs = [r.outputs, r.files];
  if (typeof r.key !== 'string' || typeof r.runId !== 'string' || typeof r.stepId !== 'string' || !refs.every(isPlainObject)) return false;
  return refs.every((group) =>
    Object.values(group as object).every((ref) => isPlainObject(ref) && typeof ref.hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(ref.hash)),
  );
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
