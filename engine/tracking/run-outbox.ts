/** The pipeline run's own outbox segment while the run writes it (see outbox.ts for the format). */
import { lockSync } from 'proper-lockfile';
import { SegmentWriter } from './outbox.ts';
import type { RecordBody } from './outbox-records.ts';

/** The run's outbox segment, locked while the run writes it; every tracking write goes through `append`. */
export class RunOutbox {
  private writer: SegmentWriter | undefined;
  private releaseLock: (() => void) | undefined;
  closed = false;

  constructor(private readonly warn: (message: string) => void) {}

  get opened(): boolean {
    return this.writer !== undefined;
  }

  open(file: string): void {
    this.writer = new SegmentWriter(file);
    this.releaseLock = lockSync(file, { realpath: false, stale: 30_000, update: 10_000, onCompromised: () => undefined });
  }

  /**
   * `durable`: on disk before returning (a boundary worth an fdatasync), else within 200 ms.
   * `held`: cheap to lose in a crash (a cached step: its outcome is in the engine's run
   * records too), so written with the next record or within 50 ms, one write per burst.
   */
  append(body: RecordBody | RecordBody[], how: { durable?: boolean; held?: boolean } = {}): void {
    if (!this.writer) throw new Error('tracking: start() must come before anything else');
    const bodies = Array.isArray(body) ? body : [body];
    if (this.closed) {
      // A plugin's stray async work after the pipeline run ended: nothing to attach it to.
      for (const b of bodies) this.warn(`tracking: ${b.op} for ${b.run} after the pipeline run finished is ignored`);
      return;
    }
    if (how.held) this.writer.hold(bodies);
    else this.writer.append(bodies, how.durable);
  }

  flush(): void {
    this.writer?.flush();
  }

  synced(): Promise<void> {
    return this.writer!.synced();
  }

  /** Closes the segment after its last write and releases the lock. */
  async close(): Promise<void> {
    await this.writer!.idle();
    this.writer!.close();
    this.releaseLock?.();
  }
}
