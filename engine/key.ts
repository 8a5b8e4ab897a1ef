/**
 * What goes into a step's cache key, explicitly (like Turborepo's documented hash
 * inputs). Upstream steps count through their output hashes, not their keys, so an
 * upstream rerun that produces identical bytes leaves this key unchanged (early cutoff).
 */
import { hashBytes, hashJson } from './hash.ts';

export interface KeyManifest {
  plugin: string;
  version: string;
  /** Hash of the plugin's source files: editing a plugin reruns its steps. */
  code: string;
  /**
   * Package name -> installed version of every npm package the plugin's code imports, transitively
   * (upgrading a package reruns the steps whose code runs on it). Absent for a plugin that imports none.
   */
  packages?: Record<string, string>;
  /** Resolved params; hashed as RFC 8785 canonical JSON. */
  params: unknown;
  /** Input port -> content hash of the upstream output. */
  inputs: Record<string, string>;
  /** Declared file dep (project-relative) -> content hash. */
  deps: Record<string, string>;
  /** Declared environment variable -> hash of its value, or "unset". Values are never stored. */
  env: Record<string, string>;
  /** Registry URIs in the params -> `name/version contentHash` they resolved to (promoting a new champion reruns). */
  models?: Record<string, string>;
}

export const KEY_FORMAT = 1;

export function cacheKey(manifest: KeyManifest): string {
  return hashJson({ format: KEY_FORMAT, ...manifest });
}

export function envFingerprint(names: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    out[name] = value === undefined ? 'unset' : hashBytes(`${name}=${value}`);
  }
  return out;
}
