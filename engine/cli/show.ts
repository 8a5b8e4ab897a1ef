/** `tradepipe show`: print a step's stored output (tables as CSV or JSON), of its latest run or of every kept run. */
import { projectRelative } from '../project.ts';
import { openSession, type Session } from '../cache-session.ts';
import type { Pipeline } from '../pipeline.ts';
import type { RunRecord } from '../records.ts';
import type { ArtifactRef } from '../store.ts';
import { EXIT, Exit } from './common.ts';
import { print as out } from './output.ts';

type Format = 'csv' | 'json' | undefined;

export async function showCommand(pipeline: Pipeline, target: string, format: Format, history = false): Promise<number> {
  const ids = [...pipeline.steps.keys()].sort((a, b) => b.length - a.length);
  const stepId = ids.find((id) => target === id || target.startsWith(`${id}.`));
  const fail = (message: string): never => {
    process.stderr.write(`error: show: ${message}\n`);
    throw new Exit(EXIT.invalid);
  };
  if (!stepId) return fail(`unknown step \`${target.split('.')[0]}\` in ${pipeline.name}; steps: ${[...pipeline.steps.keys()].join(', ')}`);
  const session = openSession(pipeline.root);
  const pipelineRel = projectRelative(pipeline.root, pipeline.file);
  const record = session.view(pipelineRel).latest(stepId);
  if (!record) {
    process.stderr.write(`error: show: step \`${stepId}\` has not run yet; run \`tradepipe run ${projectRelative(process.cwd(), pipeline.file)} ${stepId}\`\n`);
    return EXIT.failed;
  }
  const outputsOf = (r: RunRecord): Record<string, ArtifactRef> => ({ ...r.outputs, ...r.files });
  const names = Object.keys(outputsOf(record));
  const name = target === stepId ? (names.length === 1 ? names[0]! : fail(`step \`${stepId}\` has ${names.length === 0 ? 'no outputs' : `several outputs; name one: ${names.map((n) => `${stepId}.${n}`).join(', ')}`}`)) : target.slice(stepId.length + 1);
  if (!(name in outputsOf(record))) fail(`step \`${stepId}\` has no output \`${name}\`; outputs: ${names.join(', ') || 'none'}`);
  if (!history) {
    await printArtifact(session, outputsOf(record)[name]!, format);
    return EXIT.ok;
  }
  // Newest first: the step's pointer history, one entry per distinct key still on record.
  const runs = (session.records.pointer(pipelineRel, stepId)?.history ?? [])
    .map((h) => session.records.read(h.key))
    .filter((r): r is RunRecord => r !== undefined && outputsOf(r)[name] !== undefined);
  if (format === 'json') {
    const entries = [];
    for (const r of runs) entries.push({ run: r.runId, finished_at: r.finishedAt, value: await artifactJson(session, outputsOf(r)[name]!) });
    await out(JSON.stringify(entries, null, 1) + '\n');
    return EXIT.ok;
  }
  for (const [i, r] of runs.entries()) {
    await out(`${i > 0 ? '\n' : ''}# run ${r.runId} finished ${r.finishedAt}\n`);
    await printArtifact(session, outputsOf(r)[name]!, format);
  }
  return EXIT.ok;
}

async function artifactJson(session: Session, ref: ArtifactRef): Promise<unknown> {
  switch (ref.kind) {
    case 'table': {
      const { fromParquet } = await import('../table/parquet.ts');
      const { toJsonRows } = await import('../table/rows.ts');
      return toJsonRows(await fromParquet(await session.store.readBytes(ref.hash)));
    }
    case 'json':
      return JSON.parse(new TextDecoder().decode(await session.store.readBytes(ref.hash)));
    default:
      return ref.hash;
  }
}

async function printArtifact(session: Session, ref: ArtifactRef, format: Format): Promise<void> {
  switch (ref.kind) {
    case 'table': {
      if (format === 'json') {
        await out(JSON.stringify(await artifactJson(session, ref), null, 1) + '\n');
      } else {
        const { fromParquet } = await import('../table/parquet.ts');
        const { toCsv } = await import('../table/csv.ts');
        await out(toCsv(await fromParquet(await session.store.readBytes(ref.hash))));
      }
      break;
    }
    case 'json':
      await out(JSON.stringify(await artifactJson(session, ref), null, 2) + '\n');
      break;
    case 'dir':
      for (const [path, hash] of await session.store.dirListing(ref.hash)) await out(`${hash}  ${path}\n`);
      break;
    default:
      await out(await session.store.readBytes(ref.hash));
  }
}
