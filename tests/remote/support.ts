/**
 * Shared-cache test support: a fresh remote per test, on the S3 server that
 * .ci/services/seaweedfs.sh starts (TRADEPIPE_S3_ENDPOINT, TRADEPIPE_S3_BUCKET, AWS_*),
 * or in a temp folder for `file://`. Tests inspect and tamper with the remote through
 * the engine's own backend, the code under test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { openBackend, type RemoteBackend } from '../../engine/remote/backend.ts';
import { loadRemotes } from '../../engine/remote/config.ts';
import { project, REPO, type Project } from '../helpers/project.ts';

export type RemoteKind = 's3' | 'file';

export interface TestRemote {
  kind: RemoteKind;
  /** The `remote:` section for tradepipe.yaml. */
  yaml: string;
  backend: RemoteBackend;
  /** s3 only: where the remote lives in the bucket. */
  s3?: { endpoint: string; bucket: string; prefix: string };
  cleanup(): void;
}

/** The S3 server's settings, or undefined after a visible SKIP (a failure under CI=true). */
export function s3OrSkip(topic: string): { endpoint: string; bucket: string } | undefined {
  const endpoint = process.env.TRADEPIPE_S3_ENDPOINT;
  const bucket = process.env.TRADEPIPE_S3_BUCKET;
  if (endpoint && bucket) return { endpoint, bucket };
  if (process.env.CI === 'true')
    throw new Error(`remote/${topic}: TRADEPIPE_S3_ENDPOINT/TRADEPIPE_S3_BUCKET not set under CI=true (source .ci/services/seaweedfs.sh)`);
  console.log(`SKIP remote/${topic} (s3): TRADEPIPE_S3_ENDPOINT not set (start one with .ci/services/seaweedfs.sh)`);
  return undefined;
}

export async function testRemote(kind: RemoteKind, opts: { read?: boolean; write?: boolean } = {}): Promise<TestRemote | undefined> {
  const flags = `    read: ${opts.read ?? true}\n    write: ${opts.write ?? true}\n`;
  let yaml: string;
  let dir: string | undefined;
  let s3: TestRemote['s3'];
  if (kind === 'file') {
    dir = mkdtempSync(join(tmpdir(), 'tradepipe-remote-'));
    yaml = `remote:\n  shared:\n    url: ${pathToFileURL(dir).href}\n${flags}`;
  } else {
    const server = s3OrSkip('shared-cache');
    if (!server) return undefined;
    s3 = { ...server, prefix: `test-${randomBytes(6).toString('hex')}` };
    yaml = `remote:\n  shared:\n    url: s3://${s3.bucket}/${s3.prefix}\n    endpoint: ${s3.endpoint}\n${flags}`;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'tradepipe-remote-cfg-'));
  writeFileSync(join(scratch, 'tradepipe.yaml'), yaml);
  const backend = await openBackend(loadRemotes(scratch)[0]!);
  rmSync(scratch, { recursive: true, force: true });
  return { kind, yaml, backend, s3, cleanup: () => dir && rmSync(dir, { recursive: true, force: true }) };
}

/** A project (a clone) using the remote; `files` are the pipeline files. */
export function clone(remote: TestRemote, files: Record<string, string>): Project {
  const p = project(files);
  p.write('tradepipe.yaml', remote.yaml);
  return p;
}

export async function remoteKeys(backend: RemoteBackend, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of backend.list(prefix)) out.push(e.key);
  return out.sort();
}

export const ADD_PLUGIN = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/add.ts'));

/** A small pipeline with every kind of output: a file out, a dir out, JSON outputs through ports. */
export function smallPipeline(files = 3, bigBytes = 0): string {
  const big = bigBytes > 0 ? ` && head -c ${bigBytes} /dev/urandom > out/big.bin` : '';
  const outs = bigBytes > 0 ? '[out/raw.txt, out/d, out/big.bin]' : '[out/raw.txt, out/d]';
  return `plugins: { add: ${ADD_PLUGIN} }
steps:
  raw:
    uses: exec
    with:
      cmd: mkdir -p out/d && echo 21 > out/raw.txt && for i in $(seq 1 ${files}); do echo "file $i" > out/d/f$i.txt; done${big}
      outs: ${outs}
  src: { uses: add, with: { amount: 10 } }
  down: { uses: add, inputs: { x: src.value }, with: { amount: 1 } }
  report:
    uses: exec
    needs: [down]
    with: { cmd: cat out/raw.txt out/d/f1.txt, deps: [out/raw.txt, out/d], outs: [] }
`;
}
