/**
 * `/api/steps/:id/outputs/:name`: a preview of one stored output of the step's current
 * record. Tables come a page at a time from the Parquet object, with column types.
 */
import { statSync } from 'node:fs';
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import { columnType, type ColumnType, type Table } from '../table/table.ts';
import type { ArtifactKind } from '../plugin.ts';
import type { Pipeline } from '../pipeline.ts';
import { NotFound } from './catalogue.ts';

export type OutputPreview =
  | { kind: 'table'; name: string; hash: string; columns: { name: string; type: ColumnType }[]; total: number; offset: number; rows: (number | string | null)[][] }
  | { kind: 'json'; name: string; hash: string; value: unknown }
  | { kind: 'dir'; name: string; hash: string; entries: { path: string; hash: string; size: number | null }[] }
  | { kind: Exclude<ArtifactKind, 'table' | 'json' | 'dir'>; name: string; hash: string; size: number; text: string | null; truncated: boolean };

const TEXT_PREVIEW = 16 * 1024;
/** Parsed tables by object hash: paging through one must not reparse it each page. */
const tables = new Map<string, Table>();
const TABLES_KEPT = 4;

async function tableOf(hash: string, read: () => Promise<Uint8Array>): Promise<Table> {
  const hit = tables.get(hash);
  if (hit) return hit;
  const { fromParquet } = await import('../table/parquet.ts');
  const t = fromParquet(await read());
  tables.set(hash, t);
  if (tables.size > TABLES_KEPT) tables.delete(tables.keys().next().value!);
  return t;
}

function looksLikeText(bytes: Uint8Array): boolean {
  return !bytes.includes(0);
}

export async function outputPreview(pipeline: Pipeline, stepId: string, name: string, page: { offset: number; limit: number }): Promise<OutputPreview> {
  if (!pipeline.steps.has(stepId)) throw new NotFound(`no step \`${stepId}\` in ${pipeline.name}`);
  const session = openSession(pipeline.root);
  const record = session.view(projectRelative(pipeline.root, pipeline.file)).latest(stepId);
  if (!record) throw new NotFound(`step \`${stepId}\` has not run yet`);
  const ref = record.outputs[name] ?? record.files[name];
  if (!ref) throw new NotFound(`step \`${stepId}\` has no output \`${name}\``);
  const read = () => session.store.readBytes(ref.hash);
  switch (ref.kind) {
    case 'table': {
      const t = await tableOf(ref.hash, read);
      const offset = Math.min(Math.max(0, page.offset), Math.max(0, t.rows - 1));
      const end = Math.min(t.rows, offset + page.limit);
      const rows: (number | string | null)[][] = [];
      for (let i = offset; i < end; i++) rows.push(t.names.map((c) => t.columns[c]![i] ?? null));
      return { kind: 'table', name, hash: ref.hash, columns: t.names.map((c) => ({ name: c, type: columnType(t.columns[c]!) })), total: t.rows, offset, rows };
    }
    case 'json':
      return { kind: 'json', name, hash: ref.hash, value: JSON.parse(new TextDecoder().decode(await read())) };
    case 'dir': {
      const entries = (await session.store.dirListing(ref.hash)).map(([path, hash]) => ({ path, hash, size: session.store.has(hash) ? statSync(session.store.objectPath(hash)).size : null }));
      return { kind: 'dir', name, hash: ref.hash, entries };
    }
    default: {
      const bytes = await read();
      const head = bytes.subarray(0, TEXT_PREVIEW);
      return { kind: ref.kind, name, hash: ref.hash, size: bytes.length, text: looksLikeText(head) ? new TextDecoder().decode(head) : null, truncated: bytes.length > TEXT_PREVIEW };
    }
  }
}
