/** `tradepipe show`: print a step's stored output (tables as CSV or JSON). */
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import type { Pipeline } from '../pipeline.ts';
import { EXIT, Exit } from './common.ts';
import { print } from './output.ts';

export async function showCommand(pipeline: Pipeline, target: string, format: 'csv' | 'json' | undefined): Promise<number> {
  const ids = [...pipeline.steps.keys()].sort((a, b) => b.length - a.length);
  const stepId = ids.find((id) => target === id || target.startsWith(`${id}.`));
  const fail = (message: string): never => {
    process.stderr.write(`error: show: ${message}\n`);
    throw new Exit(EXIT.invalid);
  };
  if (!stepId) return fail(`unknown step \`${target.split('.')[0]}\` in ${pipeline.name}; steps: ${[...pipeline.steps.keys()].join(', ')}`);
  const session = openSession(pipeline.root);
  const record = session.view(projectRelative(pipeline.root, pipeline.file)).latest(stepId);
  if (!record) {
    process.stderr.write(`error: show: step \`${stepId}\` has not run yet; run \`tradepipe run ${projectRelative(process.cwd(), pipeline.file)} ${stepId}\`\n`);
    return EXIT.failed;
  }
  const available = { ...record.outputs, ...record.files };
  const names = Object.keys(available);
  const name = target === stepId ? (names.length === 1 ? names[0]! : fail(`step \`${stepId}\` has ${names.length === 0 ? 'no outputs' : `several outputs; name one: ${names.map((n) => `${stepId}.${n}`).join(', ')}`}`)) : target.slice(stepId.length + 1);
  const ref = available[name] ?? fail(`step \`${stepId}\` has no output \`${name}\`; outputs: ${names.join(', ') || 'none'}`);
  switch (ref.kind) {
    case 'table': {
      const { fromParquet } = await import('../table/parquet.ts');
      const table = await fromParquet(await session.store.readBytes(ref.hash));
      if (format === 'json') {
        const { toJsonRows } = await import('../table/rows.ts');
        await print(JSON.stringify(toJsonRows(table), null, 1) + '\n');
      } else {
        const { toCsv } = await import('../table/csv.ts');
        await print(toCsv(table));
      }
      break;
    }
    case 'json':
      await print(JSON.stringify(JSON.parse(new TextDecoder().decode(await session.store.readBytes(ref.hash))), null, 2) + '\n');
      break;
    case 'dir':
      for (const [path, hash] of await session.store.dirListing(ref.hash)) await print(`${hash}  ${path}\n`);
      break;
    default:
      await print(await session.store.readBytes(ref.hash));
  }
  return EXIT.ok;
}
