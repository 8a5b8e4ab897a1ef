/**
 * Planning with a remote. The planner stays pure: it is run again with what the remote
 * turned out to hold, until no planned key is left unasked. A remote hit fixes a step's
 * outputs, which gives its dependents their keys, which are then asked in the next round
 * (one round per level of the graph at most).
 */
import type { CacheView, Decision } from '../planner.ts';
import type { RemoteCache } from './cache.ts';

/** Reasons that no cache entry, local or remote, can change. */
const UNCACHEABLE = new Set(['forced', 'always-run', 'cache-disabled']);

export async function planWithRemote(replan: () => Map<string, Decision>, remote: RemoteCache, local: CacheView): Promise<Map<string, Decision>> {
  for (;;) {
    const decisions = replan();
    const unasked = [...decisions.values()].filter((d) => d.action === 'run' && d.key && !remote.asked(d.key) && !UNCACHEABLE.has(d.reasons[0]!.kind));
    if (unasked.length === 0) return decisions;
    await Promise.all(unasked.map((d) => remote.lookup(d.key!, local)));
  }
}
