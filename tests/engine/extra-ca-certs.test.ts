/**
 * NODE_EXTRA_CA_CERTS under bin/tradepipe: its shell line defers the certificates to the first TLS context
 * (bin/extra-ca-certs.mjs), and every TLS client the process or its worker threads open trusts them as Node would
 * have; child processes see the variable unchanged. The certificates are a throwaway CA made with openssl here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, project, REPO } from '../helpers/project.ts';

const PROBE = `import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
const tls = createRequire(import.meta.url)('node:tls');
export default (cpu) => ({
  name: cpu ? 'probe-cpu' : 'probe', version: '1', description: 'fetches a URL over TLS', cpu,
  paramsSchema: { type: 'object', properties: { url: { type: 'string' } } },
  inputs: {}, outputs: { result: {} },
  async run(_ctx, params) {
    let body, error;
    try { body = await (await fetch(params.url)).text(); } catch (e) { error = e.cause?.code ?? e.message; }
    const child = execFileSync('sh', ['-c', 'printf %s "$NODE_EXTRA_CA_CERTS"'], { encoding: 'utf8' });
    const value = { body, error, context: tls.createSecureContext.name, env: process.env.NODE_EXTRA_CA_CERTS ?? null, child };
    return { result: { kind: 'json', value } };
  },
});
`;

let dir: string;
let server: Server;
let url: string;
/** A server whose certificate only the second CA signed. */
let otherServer: Server;
let otherUrl: string;

function openssl(...args: string[]) {
  return execa('openssl', args, { cwd: dir });
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tradepipe-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tradepipe test CA');
  await openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  const signedByCa = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-extfile', 'san.ext'];
  await openssl('x509', '-req', '-in', 'server.csr', ...signedByCa, '-out', 'server.pem', '-days', '2');
  // A second CA, for a client that names its own `ca`.
  await openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=another CA');
  const signedByOther = ['-CA', 'other.pem', '-CAkey', 'other.key', '-CAcreateserial', '-extfile', 'san.ext'];
  await openssl('x509', '-req', '-in', 'server.csr', ...signedByOther, '-out', 'other-server.pem', '-days', '2');
  [server, url] = await serve('server.pem', 'hello');
  [otherServer, otherUrl] = await serve('other-server.pem', 'hello from the other');
});

async function serve(cert: string, body: string): Promise<[Server, string]> {
  const s = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, cert)) }, (_req, res) => res.end(body));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return [s, `https://127.0.0.1:${(s.address() as AddressInfo).port}/`];
}

test.after(() => {
  for (const s of [server, otherServer]) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a script in a fresh Node with no NODE_EXTRA_CA_CERTS of its own and no options, as bin/tradepipe's shell
 * line leaves it (a worker inherits its parent's options; `--input-type` would be refused there).
 */
async function nodeScript(script: string, options: string[] = [], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '', ...extraEnv };
  writeFileSync(join(dir, 'script.mjs'), script);
  const r = await execa(process.execPath, [...options, 'script.mjs'], { env, extendEnv: false, cwd: dir });
  return { stdout: r.stdout, stderr: r.stderr };
}

const MODULE = JSON.stringify(join(REPO, 'bin', 'extra-ca-certs.mjs'));
const FETCH = `const probe = (u, o) => fetch(u, o).then((r) => r.text(), (e) => e.cause?.code ?? e.message);`;

test('trustExtraCaCerts: contexts with the default roots trust the file, one context serves them all', async () => {
  const { stdout } = await nodeScript(`
    import tls from 'node:tls';
    import { trustExtraCaCerts } from ${MODULE};
    ${FETCH}
    const before = await probe(${JSON.stringify(url)});
    trustExtraCaCerts('ca.pem');
    const after = await probe(${JSON.stringify(url)});
    const shared = tls.createSecureContext() === tls.createSecureContext({ servername: 'x' });
    const ownCiphers = tls.createSecureContext({ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }) !== tls.createSecureContext();
    console.log(JSON.stringify({ before, after, shared, ownCiphers }));`);
  assert.equal(JSON.parse(stdout), { before: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', after: 'hello', shared: true, ownCiphers: true });
});

test("trustExtraCaCerts: the default store stays what it is (here OpenSSL's, the other CA's), the file's certificates added", async () => {
  const script = (trust: boolean) => `
    import { trustExtraCaCerts } from ${MODULE};
    ${FETCH}
    if (${trust}) trustExtraCaCerts('ca.pem');
    console.log(JSON.stringify([await probe(${JSON.stringify(url)}), await probe(${JSON.stringify(otherUrl)})]));`;
  const openSslStore = async (trust: boolean) =>
    JSON.parse((await nodeScript(script(trust), ['--use-openssl-ca'], { SSL_CERT_FILE: join(dir, 'other.pem') })).stdout);
  assert.equal(await openSslStore(false), ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'hello from the other']);
  assert.equal(await openSslStore(true), ['hello', 'hello from the other']);
});

test("trustExtraCaCerts: an explicit `ca` replaces the defaults, extra certificates included (Node's rule)", async () => {
  const { stdout } = await nodeScript(`
    import https from 'node:https';
    import { readFileSync } from 'node:fs';
    import { trustExtraCaCerts } from ${MODULE};
    trustExtraCaCerts('ca.pem');
    const get = (ca) => new Promise((resolve) => https.get(${JSON.stringify(url)}, { ca }, (r) => { r.resume(); resolve(r.statusCode); }).on('error', (e) => resolve(e.code)));
    console.log(JSON.stringify([await get(readFileSync('other.pem')), await get(readFileSync('ca.pem')), await get(undefined)]));`);
  assert.equal(JSON.parse(stdout), ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 200, 200]);
});

test('trustExtraCaCerts: worker threads started from a file, and theirs, trust the file; named ES imports see it', async () => {
  writeFileSync(
    join(dir, 'worker.mjs'),
    `import { Worker, parentPort, workerData } from 'node:worker_threads';
    import { createSecureContext } from 'node:tls';
    const body = await fetch(workerData.url).then((r) => r.text(), (e) => e.cause?.code ?? e.message);
    const nested = workerData.depth > 0 ? null : await new Promise((resolve) => new Worker(new URL(import.meta.url), { workerData: { ...workerData, depth: 1 } }).once('message', resolve));
    parentPort.postMessage({ body, named: createSecureContext.name, nested });`,
  );
  const { stdout } = await nodeScript(`
    import { Worker } from 'node:worker_threads';
    import { trustExtraCaCerts } from ${MODULE};
    trustExtraCaCerts('ca.pem');
    const worker = new Worker(new URL('./worker.mjs', 'file://${dir}/'), { workerData: { url: ${JSON.stringify(url)}, depth: 0 } });
    worker.once('message', (m) => { console.log(JSON.stringify(m)); worker.terminate(); });`);
  const inWorker = { body: 'hello', named: 'createSecureContextWithExtraCaCerts' };
  assert.equal(JSON.parse(stdout), { ...inWorker, nested: { ...inWorker, nested: null } });
});

test("trustExtraCaCerts: a file that cannot be read gets Node's warning and is ignored", async () => {
  const { stdout, stderr } = await nodeScript(`
    import { trustExtraCaCerts } from ${MODULE};
    ${FETCH}
    trustExtraCaCerts('missing.pem');
    console.log(await probe(${JSON.stringify(url)}));`);
  assert.is(stdout, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.match(stderr, /^Warning: Ignoring extra certs from `missing\.pem`, load failed: ENOENT/);
});

function probeProject() {
  const p = project({
    'package.json': '{ "type": "module" }\n',
    'plugins/probe.mjs': PROBE,
    'plugins/in-process.mjs': `import probe from './probe.mjs';\nexport default probe(false);\n`,
    'plugins/worker.mjs': `import probe from './probe.mjs';\nexport default probe(true);\n`,
  });
  p.write(
    'p.yaml',
    `plugins: { probe: ./plugins/in-process.mjs, probe-cpu: ./plugins/worker.mjs }\nsteps:\n  main: { uses: probe, with: { url: "${url}" } }\n  worker: { uses: probe-cpu, with: { url: "${url}" } }\n`,
  );
  return p;
}

async function results(p: ReturnType<typeof project>, env: Record<string, string>) {
  const run = await p.run(['run', 'p.yaml', '--no-track'], { env });
  assert.is(run.code, 0, run.stderr);
  const show = async (step: string) => JSON.parse((await p.run(['show', 'p.yaml', `${step}.result`], { env })).stdout);
  return { main: await show('main'), worker: await show('worker') };
}

test('bin/tradepipe: the main thread, `cpu` plugin workers and child processes trust NODE_EXTRA_CA_CERTS', async () => {
  const p = probeProject();
  try {
    const ca = join(dir, 'ca.pem');
    const expected = { body: 'hello', context: 'createSecureContextWithExtraCaCerts', env: ca, child: ca };
    assert.equal(await results(p, { NODE_EXTRA_CA_CERTS: ca }), { main: expected, worker: expected });
  } finally {
    p.cleanup();
  }
});

test('bin/tradepipe: without NODE_EXTRA_CA_CERTS the certificate is not trusted and nothing is patched', async () => {
  const p = probeProject();
  try {
    const expected = { error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', context: 'createSecureContext', env: '', child: '' };
    assert.equal(await results(p, { NODE_EXTRA_CA_CERTS: '' }), { main: expected, worker: expected });
  } finally {
    p.cleanup();
  }
});

test('`node bin/tradepipe` (no shell line): Node loads NODE_EXTRA_CA_CERTS itself', async () => {
  const p = probeProject();
  try {
    const ca = join(dir, 'ca.pem');
    const r = await execa(process.execPath, [BIN, 'run', 'p.yaml', '--no-track'], {
      cwd: p.dir,
      reject: false,
      env: { NODE_EXTRA_CA_CERTS: ca, MLFLOW_TRACKING_URI: '' },
    });
    assert.is(r.exitCode, 0, r.stderr);
    const show = await execa(process.execPath, [BIN, 'show', 'p.yaml', 'main.result'], { cwd: p.dir, env: { MLFLOW_TRACKING_URI: '' } });
    assert.equal(JSON.parse(show.stdout), { body: 'hello', context: 'createSecureContext', env: ca, child: ca });
  } finally {
    p.cleanup();
  }
});

test.run();
