/**
 * bin/compiled.mjs: the transpiled mirror bin/tradepipe loads the engine from. A source it cannot transpile
 * makes every start fall back to the (slow) module hooks without a word, so the whole tree must transpile;
 * and an edited source must be picked up by the next start, with no build command.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO } from '../helpers/project.ts';

/** The checkout's code with its own node_modules/.cache: every package linked, so the real mirror is never touched. */
function checkoutCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-mirror-'));
  for (const name of ['bin', 'engine', 'steps', 'schemas', 'package.json']) cpSync(join(REPO, name), join(dir, name), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name));
  }
  return dir;
}

test('every source under engine/, steps/ and schemas/ transpiles into the mirror, and an edit is picked up on the next start', async () => {
  const dir = checkoutCopy();
  try {
    const { prepareMirror } = (await import(join(dir, 'bin', 'compiled.mjs'))) as { prepareMirror(): Promise<Set<string>> };
    const mirrored = await prepareMirror();
    assert.ok(mirrored.has(join(dir, 'engine', 'cli', 'index.ts')));
    assert.ok(mirrored.has(join(dir, 'steps', 'lib', 'agent', 'kernel', 'mlp-wasm.ts')));
    assert.ok([...mirrored].every((path) => !path.includes('/assembly/')), 'AssemblyScript is not Node code');

    const before = await execa(join(dir, 'bin', 'tradepipe'), ['--help'], { cwd: dir });
    assert.match(before.stdout, 'Declarative YAML pipelines for trading research');
    const cli = join(dir, 'engine', 'cli', 'index.ts');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace('Declarative YAML pipelines for trading research', 'Edited description'));
    const after = await execa(join(dir, 'bin', 'tradepipe'), ['--help'], { cwd: dir });
    assert.match(after.stdout, 'Edited description');
    assert.match(readFileSync(join(dir, 'node_modules', '.cache', 'tradepipe', 'compiled', 'engine', 'cli', 'index.mjs'), 'utf8'), 'Edited description');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
