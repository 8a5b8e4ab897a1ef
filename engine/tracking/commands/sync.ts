/** `tradepipe track sync`: ship whatever the outbox holds that the target has not received. */
import { checkSync } from 'proper-lockfile';
import { listSegments, readSegment, segmentIds, segmentPath, SegmentWriter } from '../outbox.ts';
import { shipSegment } from '../shipper.ts';
import { completeSegments } from '../ship-state.ts';
import { openTarget } from '../target.ts';
import { errorMessage, type CommandIO } from './common.ts';

export interface SyncArgs {
  /** Stop after this many seconds (default 600); what is left stays pending. */
  timeoutS?: number;
}

/**
 * Runs of a segment whose writer died (no live lock) and never recorded an end get
 * one now, KILLED, so the target does not show them RUNNING forever.
 */
export function closeAbandonedRuns(storeDir: string, segmentId: string, now = Date.now()): string[] {
  const path = segmentPath(storeDir, segmentId);
  if (checkSync(path, { realpath: false, stale: 30_000 })) return [];
  const open = new Set<string>();
  for (const { record } of readSegment(path).records) {
    if (record.op === 'run' && !record.ended) open.add(record.run);
    else if (record.op === 'end') open.delete(record.run);
  }
  if (open.size === 0) return [];
  const writer = new SegmentWriter(path);
  try {
    // Steps first, the pipeline run last, as a live run would have ended them.
    for (const run of [...open].sort((a, b) => b.length - a.length)) writer.append({ op: 'end', run, status: 'KILLED', end: now });
  } finally {
    writer.close();
  }
  return [...open];
}

export async function trackSync(args: SyncArgs, io: CommandIO): Promise<number> {
  try {
    const { backend, store, storeDir } = await openTarget(io);
    const deadline = Date.now() + (args.timeoutS ?? 600) * 1000;
    const total = segmentIds(storeDir).length;
    // Segments the target has completely are skipped without being opened.
    const complete = await completeSegments(storeDir, backend.targetKey);
    let shipped = 0;
    let failed = false;
    for (const segment of listSegments(storeDir, (id) => !complete.has(id))) {
      const closed = closeAbandonedRuns(storeDir, segment);
      if (closed.length > 0) io.stderr.write(`warning: run ${segment} was interrupted; marked ${closed.length} unfinished run(s) KILLED\n`);
      const result = await shipSegment(segment, { storeDir, backend, store, deadline });
      for (const r of result.rejected) io.stderr.write(`warning: ${backend.description} refused records of run ${segment} (${r}); skipped\n`);
      if (result.shipped > 0) io.stdout.write(`${segment}: shipped ${result.shipped} record(s)\n`);
      shipped += result.shipped;
      if (!result.done) {
        io.stderr.write(`error: ${segment}: ${result.pending} record(s) still pending for ${backend.description}: ${result.error ?? 'time limit reached'}\n`);
        failed = true;
        break;
      }
    }
    io.stdout.write(failed ? `stopped; run \`tradepipe track sync\` again once ${backend.description} is reachable\n` : `up to date with ${backend.description} (${total} run(s), ${shipped} record(s) shipped now)\n`);
    return failed ? 1 : 0;
  } catch (err) {
    io.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}
