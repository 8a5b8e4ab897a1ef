/**
 * Tables as Parquet: the format of every table in the cache and of `ingest.table`
 * inputs. parquet-wasm (the Rust `parquet` crate) does the encoding, Apache Arrow
 * carries the columns in between. Both load on the first call (see ./libraries.ts).
 *
 * The same table always gives the same bytes: the schema depends only on column
 * types, every NaN is written with one bit pattern, the writer settings are fixed and
 * the writer embeds no timestamp. (A new parquet-wasm version may change the bytes,
 * e.g. its `created_by` string: caches then rerun once.)
 */
import type * as ParquetWasm from 'parquet-wasm';
import { apacheArrow, parquetWasmLibrary } from './libraries.ts';
import { fromArrow, toArrow } from './arrow.ts';
import type { Table } from './table.ts';

export function toParquet(t: Table): Uint8Array {
  const arrow = apacheArrow();
  const parquet = parquetWasmLibrary();
  const stream = arrow.tableToIPC(toArrow(t), 'stream');
  return parquet.writeParquet(parquet.Table.fromIPCStream(stream), writerProperties(parquet, t));
}

/**
 * Snappy, as pandas and pyarrow default to: about as small as zstd on our tables and
 * several times faster to write here. Dictionary encoding only for strings (dates,
 * tickers repeat; floats rarely do and would pay for a dictionary they then discard).
 */
function writerProperties(parquet: typeof ParquetWasm, t: Table): ParquetWasm.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setDictionaryEnabled(false);
  for (const name of t.names) {
    if (Array.isArray(t.columns[name])) builder = builder.setColumnDictionaryEnabled(name, true);
  }
  return builder.build();
}

/** Throws when the bytes are not a Parquet file, or hold a column type tables cannot (see fromArrow). */
export function fromParquet(bytes: Uint8Array): Table {
  const arrow = apacheArrow();
  const parquet = parquetWasmLibrary();
  let stream: Uint8Array;
  try {
    stream = parquet.readParquet(bytes).intoIPCStream();
  } catch (error) {
    throw new Error(`not a readable Parquet file: ${error instanceof Error ? error.message : String(error)}`);
  }
  return fromArrow(arrow.tableFromIPC(stream));
}
