/**
 * `ingest.table`: any CSV or Parquet file (project-relative or absolute) as a table, e.g. an equity curve
 * exported from a broker that `backtest.stats` analyses later. The file is a declared
 * dependency, so editing it invalidates the step (and only it, via early cutoff).
 */
import { readFile } from 'node:fs/promises';
import { csvCodec, definePlugin, parquetCodec, type ParamIssue, resolveInputPath, type Table } from '../../engine/sdk.ts';
import type { IngestTableParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

type Format = NonNullable<IngestTableParams['format']>;

function formatOf(params: IngestTableParams): Format | undefined {
  if (params.format) return params.format;
  const extension = /\.([^./\\]+)$/.exec(params.path)?.[1]?.toLowerCase();
  if (extension === 'csv') return 'csv';
  if (extension === 'parquet' || extension === 'pq') return 'parquet';
  return undefined;
}

/** Errors name the file as the pipeline wrote it: `data/prices.csv:17: ...`. */
async function readTable(bytes: Buffer, params: IngestTableParams): Promise<Table> {
  const types = params.types ?? {};
  if (formatOf(params) === 'csv') {
    const { parseCsv } = await csvCodec();
    return parseCsv(bytes.toString('utf8'), { file: params.path, types });
  }
  const { fromParquet } = await parquetCodec();
  const { withDeclaredTypes } = await import('./declared-types.ts');
  try {
    return withDeclaredTypes(fromParquet(bytes), types);
  } catch (error) {
    throw new Error(`${params.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export default definePlugin<IngestTableParams>({
  name: 'ingest.table',
  version: '1',
  description: 'Read a local CSV or Parquet file as a table.',
  paramsSchema: schema,
  inputs: {},
  outputs: { table: { description: 'The file\'s rows, columns in file order.' } },
  files: (params) => ({ deps: [params.path] }),
  check(params) {
    const issues: ParamIssue[] = [];
    if (formatOf(params) === undefined) {
      issues.push({ path: ['format'], message: `cannot tell the format of ${params.path} from its extension: set format to csv or parquet` });
    }
    return issues;
  },
  async run(ctx, params) {
    const where = resolveInputPath(ctx, params.path);
    const bytes = await readFile(where).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new Error(`${params.path}: no such file${where === params.path ? '' : ` (${where})`}`) : error;
    });
    const table = await readTable(bytes, params);
    ctx.log.info(`${table.rows} rows, ${table.names.length} columns from ${params.path}`);
    return { table: { kind: 'table', table } };
  },
});
