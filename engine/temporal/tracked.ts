/**
 * `ctx.track` across machines: on a worker, a plugin's tracking calls are recorded (its
 * artifacts stored and uploaded to the remote); the CLI replays them into the run's own
 * tracking, so a step's metrics land in the same MLflow run as a local run's would.
 */
import { basename } from 'node:path';
import type { Tracker } from '../plugin.ts';
import type { RemoteCache } from '../remote/cache.ts';
import type { RunTrackingHooks, StepTracker } from '../step-runner.ts';
import type { ArtifactRef, Store } from '../store.ts';
import type { TrackedCall } from './protocol.ts';

/** Worker side: every executed step's tracker appends to `calls`; an artifact that cannot be shared is a warning, as in local tracking. */
export function trackedCalls(calls: TrackedCall[], share: (path: string) => Promise<ArtifactRef>, warn: (message: string) => void): RunTrackingHooks {
  const sharing: Promise<void>[] = [];
  const tracker: StepTracker = {
    params: (values) => void calls.push({ op: 'params', values }),
    metric: (name, value, step) => void calls.push({ op: 'metric', name, value, ...(step === undefined ? {} : { step }) }),
    tag: (name, value) => void calls.push({ op: 'tag', name, value }),
    artifact(path, name) {
      const shared = share(path).then(
        (ref) => void calls.push({ op: 'artifact', name: name ?? basename(path), ref }),
        (error: Error) => warn(`tracking: artifact ${path} not shared: ${error.message}`),
      );
      sharing.push(shared);
    },
    // Before the step's scratch dir goes: its artifacts must be in the store and the remote.
    async finish() {
      await Promise.all(sharing);
    },
  };
  return { step: () => tracker, cached() {} };
}

/** CLI side: the calls, in order, into this run's tracker; artifacts are downloaded (verified) first. */
export async function replayTracked(calls: readonly TrackedCall[], tracker: Tracker, remote: RemoteCache, store: Store): Promise<void> {
  const artifacts = calls.flatMap((c) => (c.op === 'artifact' ? [c.ref] : []));
  if (artifacts.length > 0) await remote.download(artifacts);
  for (const call of calls) {
    if (call.op === 'params') tracker.params(call.values);
    else if (call.op === 'metric') tracker.metric(call.name, call.value, call.step);
    else if (call.op === 'tag') tracker.tag(call.name, call.value);
    else tracker.artifact(call.ref.kind === 'dir' ? await store.materialize(call.ref.hash) : store.objectPath(call.ref.hash), call.name);
  }
}
