/**
 * Outputs stay inside the project: outs and `wdir` that are absolute, climb out with
 * `..`, or pass through a symlink leading outside are refused at validation (positioned,
 * E_OUTSIDE_PROJECT) and again right before every write or restore; stored directory
 * listings whose entries would escape are refused before anything is written. Inputs may
 * still be read from anywhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { project, type Project } from '../helpers/project.ts';
import { openStore } from '../../engine/store.ts';
import { openStatCache } from '../../engine/statcache.ts';
import { projectPaths } from '../../engine/project.ts';
import { canonicalJson } from '../../engine/hash.ts';
import { OutsideProject, confinedPath } from '../../engine/sdk.ts';
import { UnsafeDirEntry } from '../../engine/confine.ts';

/** A folder beside the project: anything appearing in it was written outside the project. */
function outside(): { dir: string; files(): string[]; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-outside-'));
  return { dir, files: () => readdirSync(dir, { recursive: true }) as string[], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function validate(p: Project, file = 'p.yaml') {
  return p.run(['validate', file]);
}

test('an out that climbs out with `..` is refused at validation, with its position and code, and nothing runs', async () => {
  const p = project({ 'p.yaml': 'steps:\n  a:\n    uses: exec\n    with:\n      cmd: echo x > ../escape.txt\n      outs: ["../escape.txt"]\n' });
  try {
    const v = await validate(p);
    assert.is(v.code, 2);
    assert.is(
      v.stderr,
      'error TP0109: p.yaml:6:14: out `../escape.txt` must stay inside the project: it climbs out of the project with `..` [E_OUTSIDE_PROJECT]\n6 |       outs: ["../escape.txt"]\n  |              ^^^^^^^^^^^^^^^',
    );
    const r = await p.run(['run', 'p.yaml']);
    assert.is(r.code, 2);
    assert.not.ok(existsSync(join(p.dir, '..', 'escape.txt')));
  } finally {
    p.cleanup();
  }
});

test('an absolute out, an out climbing out through a subfolder, the root and .tradepipe are refused', async () => {
  const p = project({
    'p.yaml': `steps:
  a: { uses: exec, with: { cmd: "true", outs: [/tmp/x.txt] } }
  b: { uses: exec, with: { cmd: "true", outs: [sub/../../x.txt] } }
  c: { uses: exec, with: { cmd: "true", outs: [.] } }
  d: { uses: exec, with: { cmd: "true", outs: [.tradepipe/objects] } }
  e: { uses: exec, with: { cmd: "true", outs: [sub/../fine.txt] } }
`,
  });
  try {
    const v = await validate(p);
    assert.is(v.code, 2);
    const lines = v.stderr.split('\n').filter((l) => l.startsWith('error '));
    assert.equal(lines, [
      'error TP0109: p.yaml:2:48: out `/tmp/x.txt` must stay inside the project: it is an absolute path; outputs are written inside the project, relative to its root [E_OUTSIDE_PROJECT]',
      'error TP0109: p.yaml:3:48: out `sub/../../x.txt` must stay inside the project: it climbs out of the project with `..` [E_OUTSIDE_PROJECT]',
      'error TP0109: p.yaml:4:48: out `.` must stay inside the project: it is the project root itself [E_OUTSIDE_PROJECT]',
      'error TP0109: p.yaml:5:48: out `.tradepipe/objects` must stay inside the project: it is inside the cache folder `.tradepipe` [E_OUTSIDE_PROJECT]',
    ]);
  } finally {
    p.cleanup();
  }
});

test('wdir: outside is refused, a subfolder and the root are fine, and the command runs there', async () => {
  const p = project({ 'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "pwd > here.txt", wdir: "../.." } }\n' });
  try {
    const v = await validate(p);
    assert.is(
      v.stderr.split('\n')[0],
      'error TP0109: p.yaml:2:57: wdir `../..` must stay inside the project: it climbs out of the project with `..` [E_OUTSIDE_PROJECT]',
    );
    p.write(
      'p.yaml',
      'steps:\n  a: { uses: exec, with: { cmd: "pwd > here.txt", wdir: sub, outs: [sub/here.txt] } }\n  b: { uses: exec, with: { cmd: "true", wdir: . } }\n',
    );
    mkdirSync(join(p.dir, 'sub'));
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.is(readFileSync(join(p.dir, 'sub', 'here.txt'), 'utf8').trim(), join(p.dir, 'sub'));
  } finally {
    p.cleanup();
  }
});

test('a symlink at any level of an out (or wdir) that leads outside is refused at validation; one staying inside is fine', async () => {
  const out = outside();
  const p = project({
    'p.yaml': `steps:
  a: { uses: exec, with: { cmd: "true", outs: [link/deep/x.txt] } }
  b: { uses: exec, with: { cmd: "true", outs: [inner-link/x.txt] } }
  c: { uses: exec, with: { cmd: "true", outs: [file-link] } }
  d: { uses: exec, with: { cmd: "true", wdir: link } }
`,
  });
  try {
    symlinkSync(out.dir, join(p.dir, 'link'));
    mkdirSync(join(p.dir, 'inner'));
    symlinkSync('inner', join(p.dir, 'inner-link'));
    symlinkSync(join(out.dir, 'target.txt'), join(p.dir, 'file-link')); // dangling, and outside
    const v = await validate(p);
    assert.is(v.code, 2);
    const lines = v.stderr.split('\n').filter((l) => l.startsWith('error '));
    assert.equal(lines, [
      `error TP0109: p.yaml:2:48: out \`link/deep/x.txt\` must stay inside the project: \`link\` is a symlink to ${out.dir}, outside the project [E_OUTSIDE_PROJECT]`,
      `error TP0109: p.yaml:4:48: out \`file-link\` must stay inside the project: \`file-link\` is a symlink to ${join(out.dir, 'target.txt')}, outside the project [E_OUTSIDE_PROJECT]`,
      `error TP0109: p.yaml:5:47: wdir \`link\` must stay inside the project: \`link\` is a symlink to ${out.dir}, outside the project [E_OUTSIDE_PROJECT]`,
    ]);
  } finally {
    p.cleanup();
    out.cleanup();
  }
});

test('a symlink swapped in after validation: the step is refused before its stale out is removed or written', async () => {
  const out = outside();
  writeFileSync(join(out.dir, 'x.txt'), 'precious\n');
  const p = project({
    'p.yaml': `steps:
  swap: { uses: exec, with: { cmd: "rm -rf data && ln -s ${out.dir} data" } }
  write: { uses: exec, needs: [swap], with: { cmd: "echo mine > data/x.txt", outs: [data/x.txt] } }
`,
  });
  try {
    mkdirSync(join(p.dir, 'data'));
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 1);
    assert.equal(r.statuses, { swap: 'executed', write: 'failed' });
    assert.is(r.result.steps[1]!.error, `refusing to write \`data/x.txt\`: \`data\` is a symlink to ${out.dir}, outside the project [E_OUTSIDE_PROJECT]`);
    assert.is(readFileSync(join(out.dir, 'x.txt'), 'utf8'), 'precious\n', 'the file outside was neither removed nor overwritten');
  } finally {
    p.cleanup();
    out.cleanup();
  }
});

test('a cache hit does not restore through a symlink swapped in after validation', async () => {
  const out = outside();
  const p = project({
    'p.yaml': `steps:
  setup: { uses: exec, cache: false, with: { cmd: "if [ -e swap ]; then rm -rf data && ln -s ${out.dir} data; else mkdir -p data; fi" } }
  write: { uses: exec, needs: [setup], with: { cmd: "echo mine > data/x.txt", outs: [data/x.txt] } }
`,
  });
  try {
    assert.equal((await p.runJson('p.yaml')).statuses, { setup: 'executed', write: 'executed' });
    writeFileSync(join(p.dir, 'swap'), '');
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 1);
    assert.equal(r.statuses, { setup: 'executed', write: 'failed' });
    assert.match(r.result.steps[1]!.error!, /^refusing to write `data\/x\.txt`: `data` is a symlink to .*, outside the project \[E_OUTSIDE_PROJECT\]$/);
    assert.equal(out.files(), [], 'nothing was restored outside');
  } finally {
    p.cleanup();
    out.cleanup();
  }
});

/** A store in a fresh project, holding `listing` as a crafted directory object. */
async function craftedDir(listing: [string, string][]) {
  const root = mkdtempSync(join(tmpdir(), 'tradepipe-crafted-'));
  const paths = projectPaths(root);
  const store = openStore(paths, openStatCache(paths.statCache));
  const file = await store.putBytes('payload\n');
  const hash = await store.putBytes(canonicalJson(listing.map(([path, h]) => [path, h === '*' ? file : h])));
  return { root, store, hash, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

for (const [name, entry] of [
  ['`../` entry', '../evil.txt'],
  ['deep `..` entry', 'a/../../../evil.txt'],
  ['absolute entry', '/tmp/tradepipe-evil.txt'],
  ['empty level', 'a//b'],
] as const) {
  test(`a crafted directory object with a ${name} is refused on restore and on materialise, and nothing is written`, async () => {
    const c = await craftedDir([
      ['a-first.txt', '*'],
      [entry, '*'],
    ]);
    try {
      const target = join(c.root, 'out');
      const error = await c.store.restore({ kind: 'dir', hash: c.hash, size: 0 }, target).catch((e: unknown) => e);
      assert.instance(error, UnsafeDirEntry);
      assert.is((error as UnsafeDirEntry).code, 'E_UNSAFE_DIR_ENTRY');
      assert.match((error as Error).message, `has entry ${JSON.stringify(entry)} that`);
      assert.match((error as Error).message, 'refused, nothing written [E_UNSAFE_DIR_ENTRY]');
      assert.not.ok(existsSync(target), 'not even the safe entry was written');
      assert.not.ok(existsSync(join(c.root, '..', 'evil.txt')));
      assert.not.ok(existsSync('/tmp/tradepipe-evil.txt'));
      assert.instance(await c.store.materialize(c.hash).catch((e: unknown) => e), UnsafeDirEntry);
      assert.not.ok(existsSync(c.store.paths.checkouts) && readdirSync(c.store.paths.checkouts).length > 0);
    } finally {
      c.cleanup();
    }
  });
}

test('restoring a directory under a symlink leading outside is refused (store.restore checks right before writing)', async () => {
  const out = outside();
  const c = await craftedDir([['x.txt', '*']]);
  try {
    symlinkSync(out.dir, join(c.root, 'data'));
    const error = await c.store.restore({ kind: 'dir', hash: c.hash, size: 0 }, join(c.root, 'data', 'out')).catch((e: unknown) => e);
    assert.instance(error, OutsideProject);
    assert.is((error as OutsideProject).code, 'E_OUTSIDE_PROJECT');
    assert.equal(out.files(), []);
  } finally {
    c.cleanup();
    out.cleanup();
  }
});

test('a crafted run record naming a workspace path outside the project is refused on a cache hit', async () => {
  const p = project({ 'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "echo a > a.txt", outs: [a.txt] } }\n' });
  try {
    assert.is((await p.runJson('p.yaml')).code, 0);
    const records = join(p.dir, '.tradepipe', 'records');
    const [sub] = readdirSync(records);
    const [file] = readdirSync(join(records, sub!));
    const path = join(records, sub!, file!);
    const record = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, unknown> };
    record.files = { '../escape.txt': record.files['a.txt'] };
    writeFileSync(path, JSON.stringify(record));
    // The pipeline's snapshot holds a copy of the record, and a run reads that copy: craft it too.
    const snapshotPath = join(p.dir, '.tradepipe', 'snapshots', 'p.yaml.json');
    const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as { records: Record<string, { files: Record<string, unknown> }> };
    for (const copy of Object.values(snapshot.records)) copy.files = record.files;
    writeFileSync(snapshotPath, JSON.stringify(snapshot));
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 1);
    assert.is(r.result.steps[0]!.error, 'refusing to write `../escape.txt`: it climbs out of the project with `..` [E_OUTSIDE_PROJECT]');
    assert.not.ok(existsSync(join(p.dir, '..', 'escape.txt')));
  } finally {
    p.cleanup();
  }
});

test('inputs may be read from outside the project (absolute deps are fine)', async () => {
  const out = outside();
  writeFileSync(join(out.dir, 'in.txt'), 'from outside\n');
  const p = project({
    'p.yaml': `steps:\n  a: { uses: exec, with: { cmd: "cat ${join(out.dir, 'in.txt')} > copy.txt", deps: [${join(out.dir, 'in.txt')}], outs: [copy.txt] } }\n`,
  });
  try {
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.is(readFileSync(join(p.dir, 'copy.txt'), 'utf8'), 'from outside\n');
  } finally {
    p.cleanup();
    out.cleanup();
  }
});

test('confinedPath (SDK, for plugins that write files) resolves inside paths and throws for outside ones', async () => {
  const p = project();
  try {
    assert.is(await confinedPath(p.dir, 'reports/a.html'), join(p.dir, 'reports', 'a.html'));
    assert.is(await confinedPath(p.dir, '.', { folder: true }), p.dir);
    for (const bad of ['../x', '/etc/passwd', '.', '.tradepipe/x']) assert.instance(await confinedPath(p.dir, bad).catch((e: unknown) => e), OutsideProject);
  } finally {
    p.cleanup();
  }
});

test.run();
