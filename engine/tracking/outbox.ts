/**
 * The durable outbox: one append-only JSONL segment per pipeline run, under
 * `<storeDir>/tracking/outbox/<local run id>.jsonl`. Every tracking write lands
 * here before anything is sent anywhere, so a dead server or a crash loses nothing.
 *
 * Durability: each record is written to the kernel at once (a crash of the process
 * loses nothing); fdatasync runs for every structural record (run start/end,
 * artifact) and otherwise at most `syncIntervalMs` after a metric, so a power loss
 * can only lose that last window of metrics.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxRecord, RecordBody } from './records.ts';

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

/** Parses records starting at byte `from` (reading only from there); a torn or unparsable final line is left out. */
export function readSegment(path: string, from = 0, maxBytes = Infinity): ParsedSegment {
  const bytes = readRange(path, from, maxBytes);
  const records: ParsedSegment['records'] = [];
  let at = 0;
  while (at < bytes.length) {
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) break;
    const line = bytes.subarray(at, nl).toString('utf8');
    let record: OutboxRecord;
    try {
      record = JSON.parse(line) as OutboxRecord;
    } catch {
      break;
    }
    records.push({ record, offset: from + at, next: from + nl + 1 });
    at = nl + 1;
  }
  return { records, validLength: from + at };
}

/** Segment ids in the outbox, oldest first (by the start time in each segment's first record). */
export function listSegments(storeDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir(storeDir)).filter((n) => n.endsWith(SEGMENT_SUFFIX));
  } catch {
    return [];
  }
  const started = (name: string): number => {
    // The first record (the pipeline run's start) is small: no need to read the whole segment.
    const [first] = readSegment(join(outboxDir(storeDir), name), 0, 64 * 1024).records;
    return first?.record.op === 'run' ? first.record.start : 0;
  };
  return names
    .map((n) => ({ id: n.slice(0, -SEGMENT_SUFFIX.length), start: started(n) }))
    .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
    .map((s) => s.id);
}

/** Appends records to one segment. Reopening an existing segment continues its numbering. */
export class SegmentWriter {
  readonly path: string;
  private fd: number;
  private seq: number;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string, private readonly syncIntervalMs = 200) {
    mkdirSync(join(path, '..'), { recursive: true });
    this.path = path;
    this.fd = openSync(path, 'a+');
    const parsed = readSegment(path);
    // Drop a torn tail so the next record starts on its own line.
    ftruncateSync(this.fd, parsed.validLength);
    this.seq = parsed.records.at(-1)?.record.seq ?? 0;
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(body: RecordBody): number {
    this.seq += 1;
    writeSync(this.fd, JSON.stringify({ seq: this.seq, ...body }) + '\n');
    if (body.op === 'metric' || body.op === 'params' || body.op === 'tags') this.scheduleSync();
    else this.sync();
    return this.seq;
  }

  sync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }

  private scheduleSync(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty && this.fd >= 0) this.sync();
    }, this.syncIntervalMs);
    this.timer.unref();
  }
}
