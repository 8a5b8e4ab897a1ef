/**
 * `npm run bench [-- name...]`: runs bench/<name>.bench.ts (all by default) and prints
 * one table. Targets are checked and marked, never asserted.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
  .sort();

const rows: BenchRow[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: Bench };
  process.stderr.write(`running ${f}...\n`);
  try {
    const got = await mod.default();
    rows.push(...got);
    for (const r of got) process.stderr.write(`  ${r.case}: ${r.value} ${r.unit}\n`);
  } catch (error) {
    process.stderr.write(`  ${f} failed: ${(error as Error).stack}\n`);
    process.exitCode = 1;
  }
}

const header = ['bench', 'case', 'value', 'target', 'ok'];
const body = rows.map((r) => [r.bench, r.case, `${r.value} ${r.unit}`, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']);
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const line of body) console.log(`| ${line.join(' | ')} |`);
