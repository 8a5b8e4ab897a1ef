/**
 * `kill -9` of a run while it group-commits records (engine/group-commit.ts), many times at
 * random points of a run of small in-process steps, where a batch commits every few
 * milliseconds: every record that exists is whole and its objects are present and hash to
 * their names, every pointer is whole, and the rerun executes exactly the steps with no
 * record and ends with the bytes of an uninterrupted run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { project, withStatus } from '../helpers/project.ts';
import { waitFor } from '../helpers/store-files.ts';
import { hashFile, hexOf } from '../../engine/hash.ts';

const PURE = join(import.meta.dirname, 'support', 'pure-step.ts');
const STEPS = 150;
const KILLS = 8;

/** A binary tree of steps: s_i reads s_((i-1)/2). */
function pipeline(): string {
  const lines = [`plugins: { pure: ${JSON.stringify(PURE)} }`, 'steps:'];
  for (let i = 0; i < STEPS; i++) {
    const inputs = i === 0 ? '' : `inputs: { in0: s${Math.floor((i - 1) / 2)}.out }, `;
    lines.push(`  s${i}: { uses: pure, ${inputs}with: { name: s${i}, value: ${i} } }`);
  }
  return lines.join('\n') + '\n';
}

/** Seeded, so a failure can be replayed: the seed is printed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name));
}

interface Ref {
  hash: string;
}

/** Every record parses, sits under its key's name, and names objects that exist with the right bytes; every pointer parses. Returns the record keys. */
async function assertWholeStore(dir: string, context: string): Promise<Set<string>> {
  const store = join(dir, '.tradepipe');
  const keys = new Set<string>();
  for (const file of jsonFiles(join(store, 'records'))) {
    const text = readFileSync(file, 'utf8');
    let record: { key: string; outputs: Record<string, Ref>; files: Record<string, Ref> };
    try {
      record = JSON.parse(text) as typeof record;
    } catch {
      assert.unreachable(`${context}: torn record ${file}: ${JSON.stringify(text.slice(0, 80))}`);
      throw new Error('unreachable');
    }
    const hex = hexOf(record.key);
    assert.ok(file.endsWith(join(hex.slice(0, 2), `${hex.slice(2)}.json`)), `${context}: ${file} holds the record of ${record.key}`);
    for (const ref of [...Object.values(record.outputs), ...Object.values(record.files)]) {
      const object = join(store, 'objects', hexOf(ref.hash).slice(0, 2), hexOf(ref.hash).slice(2));
      assert.ok(existsSync(object), `${context}: the record ${record.key} names ${ref.hash}, which is not in the store`);
      assert.is(await hashFile(object), ref.hash, `${context}: object ${ref.hash} is whole`);
    }
    keys.add(record.key);
  }
  for (const file of jsonFiles(join(store, 'steps'))) {
    assert.not.throws(() => JSON.parse(readFileSync(file, 'utf8')), `${context}: torn pointer ${file}`);
  }
  return keys;
}

test('kill -9 at random points while records commit: records whole, objects present, the rerun executes exactly the steps without a record', async () => {
  const seed = Number(process.env.TRADEPIPE_TEST_SEED ?? Date.now() % 100_000);
  console.log(`commit-crash seed: ${seed} (TRADEPIPE_TEST_SEED=${seed} replays it)`);
  const next = random(seed);
  const reference = project({ 'p.yaml': pipeline() });
  const p = project({ 'p.yaml': pipeline() });
  try {
    const clean = await reference.runJson('p.yaml', ['--no-track']);
    assert.is(clean.code, 0, clean.stderr);
    const cleanOutputs = Object.fromEntries(clean.result.steps.map((s) => [s.id, s.outputs]));

    let killedMidRun = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const child = p.spawn(['run', 'p.yaml', '--no-track']);
      // Once this run's journal exists its batches commit back to back: any moment from here on is inside or between batches.
      const journal = (f: string) => f.startsWith('journal-') && f.endsWith(`-${child.pid}.log`);
      await waitFor(() => child.exitCode !== null || (existsSync(join(p.dir, '.tradepipe')) && readdirSync(join(p.dir, '.tradepipe')).some(journal)), 60_000);
      await new Promise((r) => setTimeout(r, next() * 150));
      if (child.exitCode === null) killedMidRun++;
      child.kill('SIGKILL');
      await child;
      await assertWholeStore(p.dir, `after kill ${kill + 1} (seed ${seed})`);
    }
    assert.ok(killedMidRun > 0, 'at least one kill landed mid-run');

    // Opening the project replays what a killed run's journal holds; only then is the set of records final.
    await p.run(['status', 'p.yaml']);
    const recorded = await assertWholeStore(p.dir, `after replay (seed ${seed})`);
    const journals = readdirSync(join(p.dir, '.tradepipe')).filter((f) => f.startsWith('journal-'));
    assert.equal(journals, [], 'the dead runs’ journals were replayed and removed');

    const rerun = await p.runJson('p.yaml', ['--no-track']);
    assert.is(rerun.code, 0, rerun.stderr);
    const keyOf = (id: string) => (JSON.parse(readFileSync(join(p.dir, '.tradepipe', 'steps', 'p.yaml', `${id}.json`), 'utf8')) as { key: string }).key;
    const withoutRecord = Object.keys(rerun.statuses).filter((id) => !recorded.has(keyOf(id)));
    assert.equal(withStatus(rerun.statuses, 'executed'), withoutRecord.sort(), `seed ${seed}: the rerun executes exactly the steps with no record`);
    assert.equal(withStatus(rerun.statuses, 'failed'), []);
    for (const s of rerun.result.steps) assert.equal(s.outputs, cleanOutputs[s.id], `seed ${seed}: ${s.id} has the bytes of an uninterrupted run`);
    await assertWholeStore(p.dir, `after the rerun (seed ${seed})`);
  } finally {
    p.cleanup();
    reference.cleanup();
  }
});

test.run();
