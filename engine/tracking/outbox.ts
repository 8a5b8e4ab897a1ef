/**
 * The durable outbox: one append-only JSONL segment per pipeline run, under
 * `<storeDir>/tracking/outbox/<local run id>.jsonl`. Every tracking write lands
 * here before anything is sent anywhere, so a dead server or a crash loses nothing.
 *
 * Durability: a record is written to the kernel at once (a crash of the process
 * loses nothing), except records the caller marks as cheap to lose (cached steps come
 * by the thousand: `hold`), which go out in one write at most `holdMs` later and
 * always before any later record. fdatasync runs when the writer is told a record
 * matters now (the sink: a pipeline run's start and end, an executed step's end, an
 * artifact) and otherwise at most `syncIntervalMs` after a record, so a power loss can
 * only lose that last window (metrics, a burst of cached steps).
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OutboxRecord, RecordBody } from './outbox-records.ts';
import { describeWriteErrorSync } from '../write-errors.ts';

export const SEGMENT_SUFFIX = '.jsonl';

export function outboxDir(storeDir: string): string {
  return join(storeDir, 'tracking', 'outbox');
}

export function segmentPath(storeDir: string, segmentId: string): string {
  return join(outboxDir(storeDir), segmentId + SEGMENT_SUFFIX);
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function assertSegmentId(id: string): void {
  if (!SAFE_ID.test(id) || id.length > 200) {
    throw new Error(`tracking: local run id ${JSON.stringify(id)} must match ${SAFE_ID} (it names a file)`);
  }
}

export interface ParsedSegment {
  records: { record: OutboxRecord; offset: number; next: number }[];
  /** Byte length of the well-formed prefix; a torn last line (crash mid-write) lies beyond it. */
  validLength: number;
}

/** Bytes [from, from + length) of a file, or fewer at its end. */
function readRange(path: string, from: number, length = Infinity): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = Math.max(0, Math.min(fstatSync(fd).size - from, length));
    const buffer = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buffer, got, size - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses records starting at byte `from` (reading at most `maxBytes` from there, and
 * parsing at most `maxRecords`); a torn or unparsable final line is left out.
 */
export function readSegment(path: string, from = 0, maxBytes = Infinity, maxRecords = Infinity): ParsedSegment {
  const bytes = readRange(path, from, maxBytes);
  const records: ParsedSegment['records'] = [];
  let at = 0;
  while (at < bytes.length && records.length < maxRecords) {
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) break;
    let record: OutboxRecord;
    try {
      record = JSON.parse(bytes.toString('utf8', at, nl)) as OutboxRecord;
    } catch {
      break;
    }
    records.push({ record, offset: from + at, next: from + nl + 1 });
    at = nl + 1;
  }
  return { records, validLength: from + at };
}

/** A segment's first record (the pipeline run's start), reading little more than that record. */
function firstRecord(path: string): OutboxRecord | undefined {
  for (let maxBytes = 4096; ; maxBytes *= 16) {
    const [first] = readSegment(path, 0, maxBytes).records;
    if (first) return first.record;
    if (statSync(path).size <= maxBytes) return undefined;
  }
}

/** Segment ids in the outbox, in no particular order. */
export function segmentIds(storeDir: string): string[] {
  try {
    return readdirSync(outboxDir(storeDir))
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .map((n) => n.slice(0, -SEGMENT_SUFFIX.length));
  } catch {
    return [];
  }
}

/** Segment ids in the outbox (those `keep` accepts), oldest first (by the start time in each segment's first record). */
export function listSegments(storeDir: string, keep: (segmentId: string) => boolean = () => true): string[] {
  const started = (id: string): number => {
    const first = firstRecord(segmentPath(storeDir, id));
    return first?.op === 'run' ? first.start : 0;
  };
  return segmentIds(storeDir)
    .filter(keep)
    .map((id) => ({ id, start: started(id) }))
    .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
    .map((s) => s.id);
}

/** Appends records to one segment. Reopening an existing segment continues its numbering. */
const fdatasyncAsync = promisify(fdatasync);

export class SegmentWriter {
  readonly path: string;
  private fd: number;
  private seq: number;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** Encoded records accepted by `hold` and not written yet. */
  private held = '';
  private holdTimer: NodeJS.Timeout | undefined;
  /** The fdatasync under way (`synced`), and the next one, shared by everyone who asks before it starts. */
  private syncRunning: Promise<void> | undefined;
  private syncNext: Promise<void> | undefined;
  /** A write or sync that failed on a timer (full disk), thrown to the next caller. */
  private failure: unknown;

  constructor(
    path: string,
    private readonly syncIntervalMs = 200,
    private readonly holdMs = 50,
  ) {
    this.path = path;
    try {
      mkdirSync(join(path, '..'), { recursive: true });
      this.fd = openSync(path, 'a+');
    } catch (error) {
      throw describeWriteErrorSync(error, path);
    }
    const parsed = readSegment(path);
    // Drop a torn tail so the next record starts on its own line.
    ftruncateSync(this.fd, parsed.validLength);
    this.seq = parsed.records.at(-1)?.record.seq ?? 0;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Appends records (after any held ones) in one write; `durable` syncs them to disk before returning, else within `syncIntervalMs`. */
  append(records: RecordBody | readonly RecordBody[], durable = false): number {
    this.write(this.encode(records));
    if (durable) this.sync();
    return this.seq;
  }

  /** Numbers records now and writes them within `holdMs`, together with whatever else comes meanwhile: one write for a burst. */
  hold(records: RecordBody | readonly RecordBody[]): number {
    this.held += this.encode(records);
    if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => this.later(() => this.flush()), this.holdMs);
      this.holdTimer.unref();
    }
    return this.seq;
  }

  /** Writes held records now (a reader of the segment is about to look). */
  flush(): void {
    this.throwFailure();
    if (this.held !== '' && this.fd >= 0) this.write('');
  }

  /**
   * Resolves once everything written so far is on disk, without blocking the event loop;
   * callers that ask while a sync runs share the next one (group commit).
   */
  synced(): Promise<void> {
    this.flush();
    this.syncNext ??= (async () => {
      await this.syncRunning;
      this.syncNext = undefined;
      if (this.fd < 0) return;
      this.dirty = false;
      this.syncRunning = fdatasyncAsync(this.fd);
      try {
        await this.syncRunning;
      } finally {
        this.syncRunning = undefined;
      }
    })();
    return this.syncNext;
  }

  /** Resolves when no `synced()` is under way (close() must not pull the file from under one). */
  async idle(): Promise<void> {
    while (this.syncNext ?? this.syncRunning) await (this.syncNext ?? this.syncRunning);
  }

  sync(): void {
    this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw describeWriteErrorSync(error, this.path);
    }
    this.dirty = false;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.sync();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private encode(records: RecordBody | readonly RecordBody[]): string {
    let text = '';
    // `{"seq":N,` + the body's own members: no copy of the record just to number it.
    for (const body of Array.isArray(records) ? records : [records]) text += `{"seq":${++this.seq},${JSON.stringify(body).slice(1)}\n`;
    return text;
  }

  private write(text: string): void {
    this.throwFailure();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const bytes = Buffer.from(this.held + text, 'utf8');
    this.held = '';
    const before = fstatSync(this.fd).size;
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      // A full disk mid-write: cut the torn records off so the segment stays well-formed.
      try {
        ftruncateSync(this.fd, before);
      } catch {
        // Readers drop a torn tail anyway.
      }
      throw describeWriteErrorSync(error, this.path);
    }
    this.scheduleSync();
  }

  /** Timers have no caller to throw to: keep the failure for the next append, flush or sync. */
  private later(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failure ??= error;
    }
  }

  private throwFailure(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  private scheduleSync(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty && this.fd >= 0) this.later(() => this.sync());
    }, this.syncIntervalMs);
    this.timer.unref();
  }
}
