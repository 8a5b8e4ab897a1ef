/**
 * What one target has received of one outbox segment: an append-only log,
 * `<storeDir>/tracking/shipped/<target>/<segment>.jsonl`, one JSON object per line:
 *
 *   {"run":"<local run id>","id":"<run id>","uri":"<artifact uri>"}  the run exists on the target
 *   {"rejected":{"fromSeq":3,"toSeq":9,"error":"…"}}                   records the target refused for good
 *   {"seq":N,"offset":B}                                               records up to seq N (byte B) are shipped
 *   {"reset":true}                                                     the target lost its runs: forget the above
 *
 * Progress costs one append and one fdatasync per batch of shipped records, never a
 * rewrite of the whole state; the last commit line wins.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRef } from './backend.ts';
import { appendLines, parseJsonLines, readLog } from './files.ts';

export interface Rejection {
  fromSeq: number;
  toSeq: number;
  error: string;
}

export interface ShipState {
  shippedSeq: number;
  /** Byte offset just past the last shipped record. */
  offset: number;
  /** Local run id → the target's run. */
  runs: Record<string, RunRef>;
  /** Records the target refused for good (bad data); skipped so they cannot block the rest. */
  rejected: Rejection[];
  /** The pipeline run's end record is shipped: nothing more will come. */
  closed: boolean;
}

type LogLine = { run: string; id: string; uri: string } | { rejected: Rejection } | { seq: number; offset: number; closed?: true } | { reset: true };

const emptyShipState = (): ShipState => ({ shippedSeq: 0, offset: 0, runs: {}, rejected: [], closed: false });

export function shipStatePath(storeDir: string, targetKey: string, segmentId: string): string {
  return join(storeDir, 'tracking', 'shipped', targetKey, `${segmentId}.jsonl`);
}

function fold(lines: LogLine[]): ShipState {
  let state = emptyShipState();
  for (const line of lines) {
    if ('reset' in line) state = emptyShipState();
    else if ('run' in line) state.runs[line.run] = { runId: line.id, artifactUri: line.uri };
    else if ('rejected' in line) state.rejected.push(line.rejected);
    else if ('seq' in line) {
      state.shippedSeq = line.seq;
      state.offset = line.offset;
      state.closed ||= line.closed === true;
    }
  }
  return state;
}

export async function readShipState(storeDir: string, targetKey: string, segmentId: string): Promise<ShipState> {
  return fold(parseJsonLines<LogLine>(await readLog(shipStatePath(storeDir, targetKey, segmentId))));
}

/**
 * The shipped byte offset, from the log's tail: a commit line ends every successful
 * pass, so this rarely reads more than a few hundred bytes. For deciding cheaply
 * whether a segment has anything pending.
 */
export async function shippedOffset(storeDir: string, targetKey: string, segmentId: string): Promise<number> {
  const path = shipStatePath(storeDir, targetKey, segmentId);
  let tail: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, 4096);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      tail = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  // The first line of the tail may be cut: it never parses as a commit, so it is skipped.
  const lines = parseJsonLines<LogLine>(tail);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if ('seq' in line) return line.offset;
    if ('reset' in line) return 0;
  }
  return (await readShipState(storeDir, targetKey, segmentId)).offset;
}

function completePath(storeDir: string, targetKey: string): string {
  return join(storeDir, 'tracking', 'shipped', targetKey, 'complete.txt');
}

/**
 * Segments the target has received completely (closed and fully shipped), one id a
 * line: run start and `track sync` skip them without opening their files, so their
 * cost does not grow with the history.
 */
export async function completeSegments(storeDir: string, targetKey: string): Promise<Set<string>> {
  return new Set((await readLog(completePath(storeDir, targetKey))).split('\n').filter((id) => id !== ''));
}

export async function markComplete(storeDir: string, targetKey: string, segmentId: string): Promise<void> {
  await appendLines(completePath(storeDir, targetKey), segmentId + '\n');
}

/** The ship state of one (target, segment) while a shipper holds its lock: changes are buffered until `commit`. */
export class ShipLog {
  private buffered = '';

  private constructor(
    private readonly path: string,
    public state: ShipState,
  ) {}

  static async open(path: string): Promise<ShipLog> {
    return new ShipLog(path, fold(parseJsonLines<LogLine>(await readLog(path))));
  }

  /** Something to write: run ids or rejections learnt since the last commit. */
  get dirty(): boolean {
    return this.buffered !== '';
  }

  recordRun(localRunId: string, ref: RunRef): void {
    this.state.runs[localRunId] = ref;
    this.buffered += JSON.stringify({ run: localRunId, id: ref.runId, uri: ref.artifactUri }) + '\n';
  }

  recordRejection(rejection: Rejection): void {
    this.state.rejected.push(rejection);
    this.buffered += JSON.stringify({ rejected: rejection }) + '\n';
  }

  /** Records progress up to `seq` (byte `offset`), and whether that includes the pipeline run's end, with everything buffered: one append, one fdatasync. */
  async commit(seq: number, offset: number, closed: boolean): Promise<void> {
    await appendLines(this.path, this.buffered + JSON.stringify(closed ? { seq, offset, closed } : { seq, offset }) + '\n');
    this.buffered = '';
    this.state.shippedSeq = seq;
    this.state.offset = offset;
    this.state.closed ||= closed;
  }

  /** The target lost its runs (a wiped server): start over, from the segment's first record. */
  reset(): void {
    this.state = emptyShipState();
    this.buffered = JSON.stringify({ reset: true }) + '\n';
  }
}
