/**
 * Keeps credentials out of everything tracking writes: params, tags, warnings.
 * Two guards: keys that look like secrets get their value replaced, and the
 * literal values of credentials found in the environment are masked wherever
 * they appear.
 */
import { maskValues } from '../secrets.ts';

export const REDACTED = '[redacted]';

const SECRET_KEY = /key|token|secret|password/i;
/** Shorter values would mask innocent substrings ("abc") everywhere. */
const MIN_MASKED_LENGTH = 6;

export function looksSecret(key: string): boolean {
  return SECRET_KEY.test(key);
}

export interface Redactor {
  /** Masks credential values inside free text. */
  text(value: string): string;
  /** Value to record for a user-chosen key: fully redacted when the key looks secret. */
  entry(key: string, value: string): string;
}

export function redactorFromEnv(env: NodeJS.ProcessEnv): Redactor {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < MIN_MASKED_LENGTH) continue;
    if (looksSecret(name) || name === 'MLFLOW_TRACKING_PASSWORD' || name === 'MLFLOW_TRACKING_TOKEN') secrets.add(value);
  }
  // Longest first so a secret containing another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const text = (value: string): string => maskValues(value, ordered, REDACTED);
  return { text, entry: (key, value) => (looksSecret(key) ? REDACTED : text(value)) };
}

/** A tracking URI fit for messages: user info (user:password@) removed. */
export function displayUri(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return uri.replace(/\/\/[^/@]*@/, '//');
  }
}
