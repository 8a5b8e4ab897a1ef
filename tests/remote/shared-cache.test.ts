/**
 * The shared cache end to end, on a real S3 server (SeaweedFS) and on a `file://` remote:
 * read-through, write-behind, tampering, signing, push/pull, an interrupted push, gc.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { BIN, withStatus } from '../helpers/project.ts';
import { objectKey } from '../../engine/remote/transfer.ts';
import { hashFile } from '../../engine/hash.ts';
import { readText } from '../../engine/remote/backend.ts';
import { clone, remoteKeys, smallPipeline, testRemote, type RemoteKind, type TestRemote } from './support.ts';

const FILE = 'pipelines.d/p.yaml';
const KINDS: RemoteKind[] = ['file', 's3'];

async function withRemote(kind: RemoteKind, body: (remote: TestRemote) => Promise<void>, opts: { read?: boolean; write?: boolean } = {}) {
  const remote = await testRemote(kind, opts);
  if (!remote) return;
  try {
    await body(remote);
  } finally {
    remote.cleanup();
  }
}

/** Every record in the remote has all of its objects there (dir listings' files included). */
async function assertRecordsComplete(remote: TestRemote): Promise<number> {
  const records = (await remoteKeys(remote.backend, 'records/')).filter((k) => k.endsWith('.json'));
  for (const key of records) {
    const { record } = JSON.parse((await readText(remote.backend, key))!) as {
      record: { outputs: Record<string, { hash: string; kind: string }>; files: Record<string, { hash: string; kind: string }> };
    };
    for (const ref of [...Object.values(record.outputs), ...Object.values(record.files)]) {
      assert.ok(await remote.backend.stat(objectKey(ref.hash)), `${key} references ${ref.hash}, which the remote lacks`);
      if (ref.kind === 'dir')
        for (const [, h] of JSON.parse((await readText(remote.backend, objectKey(ref.hash)))!) as [string, string][])
          assert.ok(await remote.backend.stat(objectKey(h)), `dir file ${h} missing`);
    }
  }
  return records.length;
}

for (const kind of KINDS) {
  test(`${kind}: a clone with an empty store reuses a teammate's results (0 executed, same hashes); status shows the remote hits`, () =>
    withRemote(kind, async (remote) => {
      const a = clone(remote, { [FILE]: smallPipeline() });
      const b = clone(remote, { [FILE]: smallPipeline() });
      try {
        const first = await a.runJson(FILE, ['--no-track']);
        assert.is(first.code, 0, first.stderr);
        assert.equal(withStatus(first.statuses, 'executed'), ['down', 'raw', 'report', 'src']);
        assert.match(first.stderr, /remote shared: uploaded \d+ objects/);
        assert.is(await assertRecordsComplete(remote), 4);

        const status = await b.run(['status', FILE]);
        assert.match(status.stdout, /^src +in remote +found in remote shared \(run \S+ on \S+\)$/m);
        const json = JSON.parse((await b.run(['status', FILE, '--json'])).stdout) as { steps: { id: string; status: string; source: string }[] };
        assert.equal(
          json.steps.map((x) => [x.id, x.status, x.source]),
          [
            ['raw', 'up-to-date', 'remote'],
            ['src', 'up-to-date', 'remote'],
            ['down', 'up-to-date', 'remote'],
            ['report', 'up-to-date', 'remote'],
          ],
        );
        const dry = await b.run(['run', FILE, '--dry-run']);
        assert.match(dry.stdout, /^report +in remote +found in remote shared/m);
        const without = await b.run(['status', FILE, '--no-remote']);
        assert.match(without.stdout, /^src +stale +never run$/m);
        const explain = await b.run(['status', FILE, '--explain', 'down']);
        assert.match(explain.stdout, /^down \(plugin `add`\) in p: up-to-date — found in remote shared \(run /);

        const second = await b.runJson(FILE, ['--no-track']);
        assert.is(second.code, 0, second.stderr);
        assert.equal(withStatus(second.statuses, 'executed'), []);
        assert.equal(withStatus(second.statuses, 'cached'), ['down', 'raw', 'report', 'src']);
        assert.match(second.result.steps.find((s) => s.id === 'src')!.reason, /^found in remote shared \(run \d{8}T\d{6}-[0-9a-f]{6} on .+\)$/);
        for (const s of first.result.steps) assert.equal(second.result.steps.find((x) => x.id === s.id)!.outputs, s.outputs, `${s.id}: same output hashes`);
        assert.is(readFileSync(join(b.dir, 'out/d/f3.txt'), 'utf8'), 'file 3\n', 'dir outs restored from the remote');

        // Now local: a rerun asks nothing of the remote.
        const third = await b.runJson(FILE, ['--no-track']);
        assert.equal(withStatus(third.statuses, 'cached'), ['down', 'raw', 'report', 'src']);
        assert.is(third.result.steps.find((s) => s.id === 'src')!.reason, 'up to date');
      } finally {
        a.cleanup();
        b.cleanup();
      }
    }));

  test(`${kind}: a tampered remote object is detected, quarantined, and the step re-executes`, () =>
    withRemote(kind, async (remote) => {
      const a = clone(remote, { [FILE]: smallPipeline() });
      const b = clone(remote, { [FILE]: smallPipeline() });
      const c = clone(remote, { [FILE]: smallPipeline() });
      try {
        const first = await a.runJson(FILE, ['--no-track']);
        assert.is(first.code, 0, first.stderr);
        const hash = first.result.steps.find((s) => s.id === 'src')!.outputs.value!;
        // Same length, other bytes: only hashing can tell.
        const original = (await readText(remote.backend, objectKey(hash)))!;
        const forged = join(mkdtempSync(join(tmpdir(), 'tradepipe-forged-')), 'obj');
        writeFileSync(forged, original.replace('10', '99'));
        await remote.backend.remove(objectKey(hash));
        await remote.backend.upload(objectKey(hash), forged, original.length);

        const r = await b.runJson(FILE, ['--no-track']);
        assert.is(r.code, 0, r.stderr);
        assert.equal(r.statuses, { raw: 'cached', src: 'executed', down: 'cached', report: 'cached' });
        assert.match(
          r.stderr,
          new RegExp(
            `object ${hash} in remote .* is corrupted \\(its bytes hash to sha256:[0-9a-f]{64}\\); kept locally in .tradepipe/corrupt/, moved to quarantine/ in the remote; the step executes instead`,
          ),
        );
        assert.match(r.result.steps.find((s) => s.id === 'src')!.reason, /^remote shared copy unusable: object sha256:/);
        assert.is(r.result.steps.find((s) => s.id === 'src')!.outputs.value, hash, 'the re-executed step produced the true bytes');
        assert.ok(
          readdirSync(join(b.dir, '.tradepipe/corrupt')).some((f) => f.startsWith('remote-')),
          'the bad download is kept locally',
        );
        assert.is((await remoteKeys(remote.backend, 'quarantine/')).length, 1, 'the bad object is moved aside in the remote');
        assert.is(await readText(remote.backend, objectKey(hash)), original, 'write-behind replaced it with the true bytes');

        const again = await c.runJson(FILE, ['--no-track']);
        assert.equal(withStatus(again.statuses, 'executed'), []);
      } finally {
        a.cleanup();
        b.cleanup();
        c.cleanup();
      }
    }));

  test(`${kind}: with TRADEPIPE_REMOTE_KEY, unsigned and wrongly signed records are ignored with a warning`, () =>
    withRemote(kind, async (remote) => {
      const unsigned = clone(remote, { [FILE]: smallPipeline() });
      const keyed = clone(remote, { [FILE]: smallPipeline() });
      try {
        const u = await unsigned.run(['run', FILE, '--no-track', 'src']);
        assert.is(u.code, 0, u.stderr);
        const k = await keyed.run(['run', FILE, '--no-track', '--json', 'src'], { env: { TRADEPIPE_REMOTE_KEY: 'team-secret' } });
        assert.match(
          k.stderr,
          /warning: ignoring record records\/[0-9a-f]{2}\/[0-9a-f]{62}\.json in remote shared: it is unsigned \(TRADEPIPE_REMOTE_KEY is set\)/,
        );
        assert.is(JSON.parse(k.stdout).steps[0].status, 'executed');
        assert.not.match(k.stderr + k.stdout, /team-secret/, 'the key is never printed');
      } finally {
        unsigned.cleanup();
        keyed.cleanup();
      }
    }));

  test(`${kind}: a record signed with another key, or altered after signing, is ignored; the right key is trusted`, () =>
    withRemote(kind, async (remote) => {
      const signer = clone(remote, { [FILE]: smallPipeline() });
      const other = clone(remote, { [FILE]: smallPipeline() });
      const same = clone(remote, { [FILE]: smallPipeline() });
      try {
        const s = await signer.run(['run', FILE, '--no-track', 'down'], { env: { TRADEPIPE_REMOTE_KEY: 'team-secret' } });
        assert.is(s.code, 0, s.stderr);
        const o = await other.run(['run', FILE, '--no-track', '--json', 'down'], { env: { TRADEPIPE_REMOTE_KEY: 'other-secret' } });
        assert.match(o.stderr, /it has a wrong signature \(signed with another key, or altered\)/);
        assert.equal(
          JSON.parse(o.stdout).steps.map((x: { status: string }) => x.status),
          ['executed', 'executed'],
        );
        const m = await same.run(['run', FILE, '--no-track', '--json', 'down'], { env: { TRADEPIPE_REMOTE_KEY: 'team-secret' } });
        assert.equal(
          JSON.parse(m.stdout).steps.map((x: { status: string }) => x.status),
          ['cached', 'cached'],
          m.stderr,
        );
        assert.not.match(m.stderr, /warning/);

        // An attacker with write access rewrites a signed record to point elsewhere: the MAC no longer matches.
        const [key] = await remoteKeys(remote.backend, 'records/');
        const text = (await readText(remote.backend, key!))!;
        const forged = text.replace(/"runId":"[^"]+"/, '"runId":"20990101T000000-forged"');
        assert.ok(forged !== text);
        await remote.backend.remove(key!);
        assert.ok(await remote.backend.create(key!, forged));
        const fresh = clone(remote, { [FILE]: smallPipeline() });
        try {
          const f = await fresh.run(['run', FILE, '--no-track', '--json', 'down'], { env: { TRADEPIPE_REMOTE_KEY: 'team-secret' } });
          assert.match(f.stderr, /it has a wrong signature/);
          assert.not.match(f.stdout, /forged/);
        } finally {
          fresh.cleanup();
        }
      } finally {
        signer.cleanup();
        other.cleanup();
        same.cleanup();
      }
    }));

  test(`${kind}: kill -9 during a push, rerun completes it; a clean pull on a third clone verifies every object`, () =>
    withRemote(
      kind,
      async (remote) => {
        // Many small objects and one large enough for a multipart upload (3 parts).
        const pipeline = smallPipeline(300, 40 * 1024 * 1024);
        const a = clone(remote, { [FILE]: pipeline });
        const c = clone(remote, { [FILE]: pipeline });
        try {
          const first = await a.runJson(FILE, ['--no-track']);
          assert.is(first.code, 0, first.stderr);
          assert.is((await remoteKeys(remote.backend, 'objects/')).length, 0, 'write: false uploads nothing');

          const pushing = execa(BIN, ['push', FILE, '--jobs', '2'], { cwd: a.dir, reject: false, env: { NO_COLOR: '1' } });
          for (let i = 0; i < 1000 && (await remoteKeys(remote.backend, 'objects/')).length < 20; i++) await new Promise((r) => setTimeout(r, 20));
          pushing.kill('SIGKILL');
          const killed = await pushing;
          assert.is(killed.signal, 'SIGKILL', `push was killed mid-way (it printed: ${killed.stderr})`);
          const partial = (await remoteKeys(remote.backend, 'objects/')).length;
          assert.ok(partial > 0, 'some objects were sent before the kill');
          await assertRecordsComplete(remote);

          const rerun = await a.run(['push', FILE]);
          assert.is(rerun.code, 0, rerun.stderr);
          assert.match(rerun.stderr, /objects sent .*, (\d+) already there; \d+ records written/);
          assert.ok(Number(/, (\d+) already there; \d+ records written/.exec(rerun.stderr)![1]) >= partial - 4, 'the rerun skips what arrived');
          assert.is(await assertRecordsComplete(remote), 4);
          const again = await a.run(['push', FILE]);
          assert.match(again.stderr, /: 0 objects sent \(0 B\), 305 already there; 0 records written, 4 already there;/);

          // A pull killed mid-way leaves only whole, verified objects in the store; its rerun completes.
          const pulling = execa(BIN, ['pull', FILE, '--jobs', '2'], { cwd: c.dir, reject: false, env: { NO_COLOR: '1' } });
          const objectsDir = join(c.dir, '.tradepipe/objects');
          const stored = () =>
            existsSync(objectsDir) ? readdirSync(objectsDir).flatMap((d) => readdirSync(join(objectsDir, d)).map((f) => `sha256:${d}${f}`)) : [];
          for (let i = 0; i < 1000 && stored().length < 20; i++) await new Promise((r) => setTimeout(r, 20));
          pulling.kill('SIGKILL');
          assert.is((await pulling).signal, 'SIGKILL');
          const before = stored();
          assert.ok(before.length > 0 && before.length < 305, `killed mid-way (${before.length} objects in)`);
          for (const h of before) assert.is(await hashFile(join(objectsDir, h.slice(7, 9), h.slice(9))), h, 'every stored object is whole');

          const pulled = await c.run(['pull', FILE]);
          assert.is(pulled.code, 0, pulled.stderr);
          assert.match(pulled.stderr, /^pull from shared .*: [1-9]\d* objects received/m);
          assert.is(stored().length, 305, 'the rerun completed the store');
          const status = await c.run(['status', FILE, '--no-remote']);
          assert.equal(
            status.stdout.split('\n').map((l) => l.split(/ +/)[1]),
            ['up-to-date', 'up-to-date', 'up-to-date', 'up-to-date'],
          );
          const run = await c.runJson(FILE, ['--no-track', '--no-remote']);
          assert.equal(withStatus(run.statuses, 'executed'), []);
          for (const s of first.result.steps) assert.equal(run.result.steps.find((x) => x.id === s.id)!.outputs, s.outputs);
          assert.equal(readFileSync(join(c.dir, 'out/big.bin')), readFileSync(join(a.dir, 'out/big.bin')));
        } finally {
          a.cleanup();
          c.cleanup();
        }
      },
      { write: false },
    ));

  test(`${kind}: concurrent writers never clobber: a record is created once, the first one stays`, () =>
    withRemote(kind, async (remote) => {
      const key = `records/00/${'0'.repeat(62)}.json`;
      const results = await Promise.all(['{"n":1}', '{"n":2}', '{"n":3}'].map((body) => remote.backend.create(key, body)));
      assert.equal(results.filter(Boolean).length, 1, 'exactly one conditional create succeeds');
      const winner = ['{"n":1}', '{"n":2}', '{"n":3}'][results.indexOf(true)];
      assert.is(await readText(remote.backend, key), winner);
      assert.is(await remote.backend.create(key, '{"n":4}'), false);
      assert.is(await readText(remote.backend, key), winner);
      await remote.backend.remove(key);

      // Two teammates run the same pipeline at once: both succeed, each key has one whole record.
      const a = clone(remote, { [FILE]: smallPipeline() });
      const b = clone(remote, { [FILE]: smallPipeline() });
      try {
        const [ra, rb] = await Promise.all([a.runJson(FILE, ['--no-track']), b.runJson(FILE, ['--no-track'])]);
        assert.is(ra.code, 0, ra.stderr);
        assert.is(rb.code, 0, rb.stderr);
        assert.not.match(ra.stderr + rb.stderr, /could not share/);
        assert.is(await assertRecordsComplete(remote), 4);
      } finally {
        a.cleanup();
        b.cleanup();
      }
    }));

  test(`${kind}: gc --remote removes only what no remote record references`, () =>
    withRemote(kind, async (remote) => {
      const a = clone(remote, { [FILE]: smallPipeline() });
      const b = clone(remote, { [FILE]: smallPipeline() });
      try {
        assert.is((await a.runJson(FILE, ['--no-track'])).code, 0);
        const orphan = join(mkdtempSync(join(tmpdir(), 'tradepipe-orphan-')), 'obj');
        writeFileSync(orphan, 'left by an interrupted push');
        const orphanKey = objectKey(`sha256:${'ab'.repeat(32)}`);
        await remote.backend.upload(orphanKey, orphan, 27);
        const before = (await remoteKeys(remote.backend, 'objects/')).length;

        const young = await a.run(['gc', '--remote']);
        assert.match(young.stdout, /^remote shared: removed 0 objects/, 'a fresh orphan may be a push in progress');
        const dry = await a.run(['gc', '--remote', '--dry-run', '--grace', '0']);
        assert.match(dry.stdout, /^remote shared: would remove 1 objects \(27 B\), 0 quarantined; 4 records kept$/m);
        assert.is((await remoteKeys(remote.backend, 'objects/')).length, before);
        const real = await a.run(['gc', '--remote', '--grace', '0']);
        assert.match(real.stdout, /^remote shared: removed 1 objects \(27 B\), 0 quarantined, \d+ abandoned uploads; 4 records kept$/m);
        assert.is(await remote.backend.stat(orphanKey), undefined);
        assert.is(await assertRecordsComplete(remote), 4);
        const r = await b.runJson(FILE, ['--no-track']);
        assert.equal(withStatus(r.statuses, 'executed'), []);

        // `pull` without a file repairs the records gc keeps: here, a store that lost its objects.
        rmSync(join(b.dir, '.tradepipe/objects'), { recursive: true, force: true });
        const repaired = await b.run(['pull']);
        assert.is(repaired.code, 0, repaired.stderr);
        assert.match(
          repaired.stderr,
          /^pull from shared .*: 7 objects received \(\d+ B\), 0 already there; 0 records added, 3 already there;/m,
          repaired.stderr,
        );
        const local = await b.runJson(FILE, ['--no-track', '--no-remote']);
        assert.equal(withStatus(local.statuses, 'executed'), []);
      } finally {
        a.cleanup();
        b.cleanup();
      }
    }));
}

test('a bad remote section is reported at its line, with exit 2; --remote names a configured remote', async () => {
  const remote = await testRemote('file');
  const p = clone(remote!, { [FILE]: smallPipeline() });
  try {
    p.write('tradepipe.yaml', 'remote:\n  team:\n    url: ftp://host/x\n');
    const bad = await p.run(['status', FILE]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /tradepipe\.yaml:3:10: field `team\.url` of `remote` in tradepipe\.yaml must match pattern/);
    p.write('tradepipe.yaml', remote!.yaml);
    const unknown = await p.run(['status', FILE, '--remote', 'nope']);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /--remote: unknown remote `nope`; configured: shared/);
  } finally {
    p.cleanup();
    remote!.cleanup();
  }
});

test.run();
