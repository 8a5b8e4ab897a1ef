/**
 * Apache Arrow (~70 ms to load) and parquet-wasm (5 MB of wasm, compiled on load)
 * are required on first use, synchronously, so that commands which never touch a
 * table start fast while the codecs keep a synchronous API.
 */
import { createRequire } from 'node:module';
import type * as ArrowModule from 'apache-arrow';
import type * as ParquetWasmModule from 'parquet-wasm';

const require = createRequire(import.meta.url);

let arrow: typeof ArrowModule | undefined;
let parquetWasm: typeof ParquetWasmModule | undefined;

export function apacheArrow(): typeof ArrowModule {
  return (arrow ??= require('apache-arrow') as typeof ArrowModule);
}

/** The Node build of parquet-wasm: CommonJS, instantiates its wasm synchronously when required. */
export function parquetWasmLibrary(): typeof ParquetWasmModule {
  return (parquetWasm ??= require('parquet-wasm') as typeof ParquetWasmModule);
}
