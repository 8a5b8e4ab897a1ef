/** Background and on-demand shipping of outbox segments to the tracking target, with backoff. */
import { statSync } from 'node:fs';
import { listSegments, segmentPath } from './outbox.ts';
import type { RunOutbox } from './run-outbox.ts';
import { shipSegment, type ShipResult } from './shipper.ts';
import { completeSegments, shippedOffset } from './ship-state.ts';
import type { TrackingTarget } from './target.ts';

/** Ships pending outbox segments to the target: in the background while the run goes on, and on demand. */
export class ShipLoop {
  /** Segments (older first) this run ships; the run's own is last. */
  segments: string[] = [];
  /** The run's own segment, kept until the run ends. */
  own: string | undefined;
  inFlight: Promise<ShipResult | undefined> | undefined;
  lastResult: ShipResult | undefined;
  readonly rejections: string[] = [];
  private loop: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private warnedDown = false;

  constructor(
    private readonly target: TrackingTarget,
    private readonly outbox: RunOutbox,
    private readonly shipIntervalMs: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** Ships the run's own segment, and older ones this target has not received, from now on. */
  begin(own: string): void {
    this.own = own;
    this.segments = [own];
    void this.pendingOlderSegments(own).then(
      (older) => {
        this.segments = [...older, ...this.segments];
      },
      () => undefined,
    );
    this.tick();
  }

  stop(): void {
    if (this.loop) clearTimeout(this.loop);
  }

  ship(deadline: number): Promise<ShipResult | undefined> {
    if (!this.inFlight) {
      this.inFlight = this.shipPass(deadline)
        .catch((err: unknown): ShipResult => ({ done: false, shipped: 0, pending: -1, error: String((err as Error)?.message ?? err), rejected: [] }))
        .then((result) => {
          this.lastResult = result;
          if (result && !result.done && result.error) {
            this.consecutiveFailures += 1;
            this.nextAttemptAt = Date.now() + Math.min(30_000, this.shipIntervalMs * 2 ** this.consecutiveFailures);
            if (!this.warnedDown) {
              this.warnedDown = true;
              const { backend, storeDir } = this.target;
              this.warn(`tracking: cannot ship to ${backend.description} (${result.error}); buffering in ${segmentPath(storeDir, this.own ?? '')} and retrying`);
            }
          } else {
            this.consecutiveFailures = 0;
          }
          return result;
        })
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  /** One pass over the pending segments, oldest first; stops at the first one that cannot finish. */
  private async shipPass(deadline: number): Promise<ShipResult | undefined> {
    const { storeDir, backend, store } = this.target;
    this.outbox.flush();
    let last: ShipResult | undefined;
    for (const segment of [...this.segments]) {
      last = await shipSegment(segment, { storeDir, backend, store, deadline });
      this.rejections.push(...last.rejected);
      if (!last.done) return last;
      if (segment !== this.own) this.segments = this.segments.filter((s) => s !== segment);
    }
    return last;
  }

  private tick(): void {
    if (Date.now() >= this.nextAttemptAt) void this.ship(Date.now() + Math.max(5000, this.shipIntervalMs));
    this.loop = setTimeout(() => this.tick(), this.shipIntervalMs);
    this.loop.unref();
  }

  /** Older segments with records this target has not received (history from before a server was configured, say). */
  private async pendingOlderSegments(own: string): Promise<string[]> {
    const { storeDir, backend } = this.target;
    const out: string[] = [];
    const complete = await completeSegments(storeDir, backend.targetKey);
    for (const segment of listSegments(storeDir, (id) => id !== own && !complete.has(id))) {
      const size = statSync(segmentPath(storeDir, segment), { throwIfNoEntry: false })?.size ?? 0;
      if ((await shippedOffset(storeDir, backend.targetKey, segment)) < size) out.push(segment);
    }
    return out;
  }
}
