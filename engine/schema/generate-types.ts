/**
 * Generates TypeScript types from every JSON Schema in the project:
 *   schemas/<name>.schema.json        -> schemas/<name>.ts (shared by steps; they refer to no step)
 *   config/<name>.schema.json         -> config/<name>.ts (project config, may refer to steps' params)
 *   steps/<plugin>/params.schema.json -> steps/<plugin>/params.ts
 * `--check` writes nothing and exits 1 listing stale files (the test suite runs it).
 */
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function schemaFiles(): Promise<{ schema: string; types: string }[]> {
  const pairs: { schema: string; types: string }[] = [];
  for (const dir of ['schemas', 'config']) {
    for (const f of (await readdir(join(root, dir))).sort()) {
      if (f.endsWith('.schema.json')) pairs.push({ schema: join(dir, f), types: join(dir, f.replace('.schema.json', '.ts')) });
    }
  }
  for (const d of (await readdir(join(root, 'steps'))).sort()) {
    const schema = join('steps', d, 'params.schema.json');
    if (existsSync(join(root, schema))) pairs.push({ schema, types: join('steps', d, 'params.ts') });
  }
  return pairs;
}

/** `$ref`s to other schema files, as `[path relative to the schema, title]`. */
async function externalRefs(schemaPath: string, schema: unknown): Promise<[string, string][]> {
  const refs = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        // A ref into another file's `$defs` (shared definitions) is inlined; a whole-file ref imports that file's type.
        if (k === '$ref' && typeof child === 'string' && !child.includes('#')) refs.add(child);
        else walk(child);
      }
    }
  };
  walk(schema);
  const out: [string, string][] = [];
  for (const ref of [...refs].sort()) {
    const target = JSON.parse(await readFile(join(root, dirname(schemaPath), ref), 'utf8')) as { title?: string };
    if (!target.title) throw new Error(`${schemaPath}: referenced schema ${ref} needs a title to be imported by name`);
    out.push([ref, target.title]);
  }
  return out;
}

/** Replaces refs into another file's `$defs` (shared definitions) by the definitions, so types come out inline. */
async function inlineSharedDefs(schemaPath: string, value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => inlineSharedDefs(schemaPath, v)));
  if (!value || typeof value !== 'object') return value;
  const { $ref, ...rest } = value as Record<string, unknown>;
  const shared = typeof $ref === 'string' ? /^([^#]+)#\/\$defs\/([^/]+)$/.exec($ref) : null;
  if (shared) {
    const file = JSON.parse(await readFile(join(root, dirname(schemaPath), shared[1]!), 'utf8')) as { $defs?: Record<string, unknown> };
    const def = file.$defs?.[shared[2]!];
    if (def === undefined) throw new Error(`${schemaPath}: ${$ref} names no definition`);
    return { ...(def as Record<string, unknown>), ...rest };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = await inlineSharedDefs(schemaPath, v);
  return out;
}

export async function generate(schemaPath: string): Promise<string> {
  const schema = (await inlineSharedDefs(schemaPath, JSON.parse(await readFile(join(root, schemaPath), 'utf8')))) as { title?: string };
  const name = schema.title ?? basename(schemaPath, '.schema.json');
  // Types of other schema files are imported from their own generated module, not copied in.
  const imports = (await externalRefs(schemaPath, schema)).map(([ref, title]) => `import type { ${title} } from '${ref.replace(/^(?!\.)/, './').replace(/params\.schema\.json$/, 'params.ts').replace(/\.schema\.json$/, '.ts')}';`);
  const banner = [`/* Generated from ${schemaPath} by \`npm run gen:types\`. Do not edit. */`, ...imports].join('\n');
  return compile(schema, name, {
    bannerComment: banner,
    cwd: join(root, dirname(schemaPath)),
    additionalProperties: false,
    declareExternallyReferenced: imports.length === 0,
    style: { singleQuote: true },
  });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const { schema, types } of await schemaFiles()) {
    const text = await generate(schema);
    const target = join(root, types);
    const current = existsSync(target) ? await readFile(target, 'utf8') : '';
    if (current === text) continue;
    if (check) stale.push(types);
    else await writeFile(target, text);
  }
  if (stale.length > 0) {
    console.error(`stale generated types (run \`npm run gen:types\`): ${stale.join(', ')}`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
