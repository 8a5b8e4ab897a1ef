/**
 * Secrets (API keys) come from the environment or the git-ignored
 * config/api_keys.yaml. They are handed to plugins on request only, never hashed
 * into keys, and every value handed out is masked in anything the engine prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Secrets {
  get(name: string): string | undefined;
  /** Replaces every secret value handed out so far with `***`. */
  redact(text: string): string;
}

export function openSecrets(root: string, env: NodeJS.ProcessEnv): Secrets {
  let file: Record<string, unknown> | undefined;
  const handedOut = new Set<string>();
  const fromFile = (name: string) => {
    if (file === undefined) {
      try {
        const parsed = parse(readFileSync(join(root, 'config', 'api_keys.yaml'), 'utf8')) as unknown;
        file = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
      } catch {
        file = {};
      }
    }
    const v = file[name];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  };
  return {
    get(name) {
      const value = env[name] ?? fromFile(name);
      if (value && value.length >= 4) handedOut.add(value);
      return value;
    },
    redact: (text) => maskValues(text, handedOut, '***'),
  };
}

/** Replaces every occurrence of each value, in the order given, with `mask`: the one masking routine of the engine. */
export function maskValues(text: string, values: Iterable<string>, mask: string): string {
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(mask);
  return out;
}
