/**
 * Compiled JSON Schema validators kept on disk. Compiling a schema with ajv costs more
 * than the rest of a small pipeline's start-up, and the schemas (the pipeline's, each
 * plugin's params) rarely change: the first compile writes ajv's standalone code to a
 * file keyed by the schema's content and ajv's version and settings; later processes
 * require that file and never load ajv's compiler.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { hashJson } from '../hash.ts';

const require = createRequire(import.meta.url);
/** Inside the package's node_modules, so the generated code's `require('ajv/...')` resolves. */
const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.cache', 'tradepipe', 'validators');
const OPTIONS = { allErrors: true, useDefaults: true, strict: false, verbose: true, code: { source: true } } as const;
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

type Ajv = import('ajv/dist/2020.js').default;
let ajv: Ajv | undefined;

function compiler(): Ajv {
  if (!ajv) {
    const Ajv2020 = (require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).default;
    const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
    ajv = new Ajv2020(OPTIONS);
    addFormats(ajv);
  }
  return ajv;
}

export function loadOrCompile(schema: Record<string, unknown>): ValidateFunction {
  const file = join(CACHE_DIR, `${hashJson({ schema, ajv: AJV_VERSION, options: OPTIONS, formats: 'ajv-formats' }).slice(7, 47)}.cjs`);
  try {
    return require(file) as ValidateFunction;
  } catch {
    // Not compiled yet (or the cache is unreadable): compile below.
  }
  const validate = compiler().compile(schema);
  store(file, validate);
  return validate;
}

/** Written to a temporary name and renamed, so a concurrent process never requires half a file. Failing to store only costs speed. */
function store(file: string, validate: ValidateFunction): void {
  try {
    const standaloneCode = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
    const code = standaloneCode(compiler(), validate);
    mkdirSync(CACHE_DIR, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, file);
  } catch {
    // A schema ajv cannot emit standalone code for is compiled in each process.
  }
}
