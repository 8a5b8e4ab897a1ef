/** The `remote:` section of tradepipe.yaml: both forms, the default, and clear errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInput, formatDiagnostic } from '../../engine/errors.ts';
import { chooseRemote, loadRemotes } from '../../engine/remote/config.ts';

function load(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-remote-config-'));
  try {
    writeFileSync(join(dir, 'tradepipe.yaml'), yaml);
    return loadRemotes(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function messages(yaml: string): string[] {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof InvalidInput)
      return error.diagnostics.map((d) =>
        formatDiagnostic(d, { color: false })
          .split('\n')[0]!
          .replace(/^.*?tradepipe\.yaml/, 'tradepipe.yaml'),
      );
    throw error;
  }
  return [];
}

test('one remote: named `default`, read and write on unless turned off, S3 bucket and prefix parsed', () => {
  const [r] = load('remote:\n  url: s3://team-bucket/tradepipe/cache/\n  endpoint: http://127.0.0.1:8333\n  region: eu-west-1\n  write: false\n');
  assert.equal(r, {
    name: 'default',
    url: 's3://team-bucket/tradepipe/cache/',
    location: { kind: 's3', bucket: 'team-bucket', prefix: 'tradepipe/cache', endpoint: 'http://127.0.0.1:8333', region: 'eu-west-1' },
    read: true,
    write: false,
  });
  assert.equal(load(''), []);
  assert.equal(load('other: 1\n'), []);
});

test('several named remotes: `default: true` picks the default, else the first; --remote picks by name, --no-remote none', () => {
  const remotes = load('remote:\n  team: { url: s3://team-bucket }\n  mount: { url: "file:///mnt/shared/cache", default: true }\n');
  assert.equal(
    remotes.map((r) => r.name),
    ['mount', 'team'],
  );
  assert.equal(remotes[0]!.location, { kind: 'file', dir: '/mnt/shared/cache' });
  assert.is(chooseRemote(remotes, undefined)!.name, 'mount');
  assert.is(chooseRemote(remotes, 'team')!.name, 'team');
  assert.is(chooseRemote(remotes, false), undefined);
  assert.throws(() => chooseRemote(remotes, 'nope'), /unknown remote `nope`; configured: mount, team/);
});

test('bad sections: one message each, at the offending line and column', () => {
  assert.equal(messages('remote:\n  url: s3://b\n  endpont: http://x\n'), [
    'tradepipe.yaml:3:3: unknown field `endpont` of `remote` in tradepipe.yaml (did you mean `endpoint`?)',
  ]);
  assert.equal(messages('remote:\n  url: s3://Bad_Bucket/x\n'), [
    'tradepipe.yaml:2:8: remote `default`: `s3://Bad_Bucket/x` is not an S3 URL (s3://bucket/prefix with a valid bucket name)',
  ]);
  assert.equal(messages('remote:\n  a: { url: s3://bucket, default: true }\n  b: { url: s3://bucket, default: true }\n'), [
    'tradepipe.yaml:3:35: only one remote may be the default; `a` already is',
  ]);
  assert.equal(messages('remote:\n  url: file:///x\n  region: us-east-1\n'), [
    'tradepipe.yaml:2:8: remote `default`: `endpoint` and `region` apply to s3:// remotes only',
  ]);
  assert.equal(messages('remote:\n  team: { url: s3://bucket, read: yes please }\n'), [
    'tradepipe.yaml:2:35: field `team.read` of `remote` in tradepipe.yaml must be a boolean, got string "yes please"',
  ]);
});

test.run();
