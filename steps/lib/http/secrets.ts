/**
 * API keys for data providers. They come from ctx.secret (environment or the
 * git-ignored config/api_keys.yaml), never from params; they travel in request
 * headers only, so no URL or message built here can carry one (the engine also
 * masks every value it handed out in whatever it prints).
 */
import type { StepContext } from '../../../engine/sdk.ts';

export function requireSecrets<K extends string>(ctx: Pick<StepContext, 'secret'>, source: string, names: readonly K[]): Record<K, string> {
  const missing = names.filter((name) => !ctx.secret(name));
  if (missing.length > 0) {
    const list = missing.join(' and ');
    throw new Error(`source ${source} needs ${list}: set ${missing.length === 1 ? 'it' : 'them'} in the environment or in config/api_keys.yaml`);
  }
  return Object.fromEntries(names.map((name) => [name, ctx.secret(name)!])) as Record<K, string>;
}
