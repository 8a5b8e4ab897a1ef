/**
 * `run --executor temporal` end to end on real servers: Temporal's dev server
 * (.ci/services/temporal.sh), SeaweedFS as the remote (.ci/services/seaweedfs.sh), and two
 * `tradepipe worker` processes, each in its own clone with its own store, so every
 * artifact a step needs moves through the remote.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { readText } from '../../engine/remote/backend.ts';
import { objectKey } from '../../engine/remote/transfer.ts';
import { openSession } from '../../engine/cache-session.ts';
import { TAG } from '../../engine/tracking/backend.ts';
import { localBackend } from '../../engine/tracking/local-backend.ts';
import { fsRegistry } from '../../engine/tracking/registry/fs-registry.ts';
import { BIN, REPO, withStatus, type Project } from '../helpers/project.ts';
import { ADD_PLUGIN, clone, remoteKeys, s3OrSkip, testRemote, type TestRemote } from '../remote/support.ts';

const FILE = 'pipelines.d/sweep.yaml';
const address = process.env.TRADEPIPE_TEMPORAL_ADDRESS;
const ready = temporalOrSkip() && s3OrSkip('temporal');

function temporalOrSkip(): boolean {
  if (address) return true;
  if (process.env.CI === 'true') throw new Error('temporal: TRADEPIPE_TEMPORAL_ADDRESS not set under CI=true (source .ci/services/temporal.sh)');
  console.log('SKIP temporal (cluster): TRADEPIPE_TEMPORAL_ADDRESS not set (start a dev server with .ci/services/temporal.sh)');
  return false;
}

/** src, then 8 sweep instances reading it, then a slow step, and a long one for the kill test. */
const PIPELINE = `plugins: { add: ${ADD_PLUGIN} }
steps:
  src: { uses: add, with: { amount: 10 } }
  sweep:
    uses: add
    matrix: { amount: [1, 2, 3, 4, 5, 6, 7, 8] }
    inputs: { x: src.value }
    with: { amount: "\${matrix.amount}" }
`;
const LONG = (seconds: number, marker: string) => `${PIPELINE}  long:
    uses: exec
    needs: [src]
    with: { cmd: "mkdir -p out && sleep ${seconds}.${marker} && echo done > out/long.txt", outs: [out/long.txt] }
`;

/** \`long\`, then \`after\`, which reads its out: a chain the workflow schedules on its own. */
const CHAIN = (seconds: number, marker: string) => `${LONG(seconds, marker)}  after:
    uses: exec
    with: { cmd: "cat out/long.txt > out/after.txt", deps: [out/long.txt], outs: [out/after.txt] }
`;

/** \`long\`, then \`after\`, each appending its name (\`long\` its \`label\`) to \`counter\` when it starts: how often each ran. */
const COUNTED = (counter: string, label: string, seconds: number, marker: string) => `steps:
  long:
    uses: exec
    with: { cmd: "echo ${label} >> ${counter} && mkdir -p out && sleep ${seconds}.${marker} && echo done > out/long.txt", outs: [out/long.txt] }
  after:
    uses: exec
    with: { cmd: "echo after >> ${counter} && cat out/long.txt > out/after.txt", deps: [out/long.txt], outs: [out/after.txt] }
`;

/** A step that fails until its third attempt (a counter file outside every clone, shared by the workers). */
const FLAKY = (counter: string, retries: number) => `steps:
  flaky:
    uses: exec
    retries: ${retries}
    with: { cmd: "n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; test $n -ge 2 && mkdir -p out && echo ok > out/flaky.txt", outs: [out/flaky.txt] }
`;

const PROBE = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/probe.ts'));

interface Worker {
  name: string;
  project: Project;
  process: ResultPromise;
  log(): string;
}

let remote: TestRemote;
let queue: string;
const workers: Worker[] = [];

function executorYaml(): string {
  return `executor:\n  address: ${address}\n  task_queue: ${queue}\n`;
}

/** A pipeline in the CLI's clone and, as in a shared checkout, in every worker's. */
function everywhere(text: string): Project {
  onWorkers(text);
  return cloneWith({ [FILE]: text });
}

function onWorkers(text: string): void {
  for (const w of workers) w.project.write(FILE, text);
}

function cloneWith(files: Record<string, string>): Project {
  const p = clone(remote, files);
  p.write('tradepipe.yaml', `${remote.yaml}${executorYaml()}`);
  return p;
}

async function startWorker(name: string, files: Record<string, string>, extra: string[] = []): Promise<Worker> {
  const project = cloneWith(files);
  let log = '';
  const child = execa(BIN, ['worker', '--concurrency', '1', ...extra], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', TRADEPIPE_TRACKING: 'off' }, all: true, buffer: false });
  child.all!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  for (let i = 0; !/Worker state changed[\s\S]*?RUNNING/.test(log); i++) {
    if (i > 600 || child.exitCode !== null) throw new Error(`worker ${name} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const worker = { name, project, process: child, log: () => log };
  workers.push(worker);
  return worker;
}

async function stopWorker(w: Worker): Promise<void> {
  w.process.kill('SIGINT');
  await w.process;
  w.project.cleanup();
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; the workers logged:\n${workers.map((w) => w.log()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What each worker logs from now on. */
function logsFromNow(): (w: Worker) => string {
  const since = new Map(workers.map((w) => [w, w.log().length]));
  return (w) => w.log().slice(since.get(w));
}

const attempts = (w: Worker) => (w.log().match(/: attempt \d+$/gm) ?? []).length;

/** Every record in the remote has its objects there. */
async function assertRemoteComplete(): Promise<number> {
  const records = (await remoteKeys(remote.backend, 'records/')).filter((k) => k.endsWith('.json'));
  for (const key of records) {
    const { record } = JSON.parse((await readText(remote.backend, key))!) as { record: { outputs: Record<string, { hash: string }>; files: Record<string, { hash: string }> } };
    for (const ref of [...Object.values(record.outputs), ...Object.values(record.files)])
      assert.ok(await remote.backend.stat(objectKey(ref.hash)), `${key} references ${ref.hash}, which the remote lacks`);
  }
  return records.length;
}

if (ready) {
  test.before(async () => {
    remote = (await testRemote('s3'))!;
    queue = `tp-${randomBytes(4).toString('hex')}`;
    await Promise.all([startWorker('w1', { [FILE]: PIPELINE }), startWorker('w2', { [FILE]: PIPELINE })]);
  });
  test.after(async () => {
    for (const w of workers) if (w.process.exitCode === null) await stopWorker(w);
    remote?.cleanup();
  });

  test('an 8-instance sweep runs across both workers with the hashes of a local run; a rerun starts no activity', async () => {
    const cli = cloneWith({ [FILE]: PIPELINE });
    const local = cloneWith({ [FILE]: PIPELINE });
    try {
      const run = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--jobs', '8']);
      assert.is(run.code, 0, run.stderr);
      assert.is(withStatus(run.statuses, 'executed').length, 9);
      for (const w of workers) assert.ok(attempts(w) > 0, `worker ${w.name} did no work:\n${w.log()}`);
      assert.is(attempts(workers[0]!) + attempts(workers[1]!), 9);
      assert.is(await assertRemoteComplete(), 9);

      const here = await local.runJson(FILE, ['--no-remote', '--no-track']);
      assert.is(here.code, 0, here.stderr);
      const hashes = (r: typeof run) => Object.fromEntries(r.result.steps.map((s) => [s.id, s.outputs]));
      assert.equal(hashes(run), hashes(here));

      const before = workers.map(attempts);
      const again = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track']);
      assert.is(again.code, 0, again.stderr);
      assert.equal(withStatus(again.statuses, 'cached').length, 9);
      assert.equal(workers.map(attempts), before);
      assert.not.match(again.stderr, /on worker/);
    } finally {
      cli.cleanup();
      local.cleanup();
    }
  });

  test('a step that uses the model registry runs in the CLI after a step on the workers; the version has its content hash; a rerun starts no activity', async () => {
    const marker = randomBytes(4).toString('hex');
    const pipeline = `plugins: { add: ${ADD_PLUGIN} }
steps:
  train: { uses: add, with: { amount: ${parseInt(marker, 16) % 1000} } }
  register:
    uses: registry.register
    inputs: { artifact: train.value }
    with: { name: model-${marker} }
`;
    const cli = everywhere(pipeline);
    try {
      const before = workers.map(attempts);
      const run = await cli.runJson(FILE, ['--executor', 'temporal']);
      assert.is(run.code, 0, run.stderr);
      assert.equal(run.statuses, { train: 'executed', register: 'executed' });
      // train on a worker, register in the CLI process (its activity's log lines are the CLI's).
      assert.is(workers.reduce((n, w, i) => n + attempts(w) - before[i]!, 0), 1);
      for (const w of workers) assert.not.match(w.log(), /register: attempt/);
      assert.match(run.stderr, /register: attempt 1$/m);
      assert.match(run.stderr, /temporal: workflow \S+ schedules 2 steps/);

      const trained = run.result.steps.find((s) => s.id === 'train')!.outputs.value;
      const version = await fsRegistry(openSession(cli.dir).store).getVersion(`model-${marker}`, '1');
      assert.ok(version, run.stderr);
      assert.is(version.contentHash, trained);
      assert.is(await fsRegistry(openSession(cli.dir).store).getVersion(`model-${marker}`, '2'), undefined);

      const after = workers.map(attempts);
      const again = await cli.runJson(FILE, ['--executor', 'temporal']);
      assert.is(again.code, 0, again.stderr);
      assert.equal(again.statuses, { train: 'cached', register: 'cached' });
      assert.equal(workers.map(attempts), after);
      assert.not.match(again.stderr, /attempt|schedules/);
    } finally {
      cli.cleanup();
    }
  });

  test('kill -9 of the CLI: the registry step waits in the queue while the workers finish; a rerun follows the workflow and runs it in its own process', async () => {
    const marker = randomBytes(2).readUInt16BE().toString();
    const pipeline = `plugins: { add: ${ADD_PLUGIN} }
steps:
  long: { uses: exec, with: { cmd: "mkdir -p out && sleep 2.${marker} && echo done > out/long.txt", outs: [out/long.txt] } }
  train: { uses: add, needs: [long], with: { amount: ${marker} } }
  register:
    uses: registry.register
    inputs: { artifact: train.value }
    with: { name: model-${marker} }
`;
    const cli = everywhere(pipeline);
    try {
      const fresh = logsFromNow();
      const workflow = await killCliOnceLongRuns(cli, ['run', FILE, '--executor', 'temporal'], 3);
      await until('train to finish on a worker', () => workers.some((w) => /train: executed/m.test(fresh(w))), 60_000);
      // No CLI serves the registry step: the workflow waits, and no worker takes it.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.is(workflowStatus(workflow!), 'WORKFLOW_EXECUTION_STATUS_RUNNING');
      assert.not.match(workers.map(fresh).join('\n'), /register/);

      const again = await cli.runJson(FILE, ['--executor', 'temporal']);
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`temporal: workflow ${workflow} \\(run \\S+, started \\S+ on ${hostname()}\\) is still running this pipeline; following it for 1 step`));
      assert.equal(again.statuses, { long: 'cached', train: 'cached', register: 'executed' });
      assert.match(again.stderr, /register: attempt 1$/m);
      assert.is(workflowStatus(workflow!), 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
      const version = await fsRegistry(openSession(cli.dir).store).getVersion(`model-${marker}`, '1');
      assert.is(version?.contentHash, again.result.steps.find((s) => s.id === 'train')!.outputs.value);
    } finally {
      cli.cleanup();
    }
  });

  test('the workflow applies --jobs (two free workers, one step at a time) and sends a gpu-tagged step to the gpu task queue', async () => {
    const marker = randomBytes(4).toString('hex');
    const timed = (id: string, salt: string) => `  ${id}: { uses: exec, with: { cmd: "mkdir -p out && date +%s%N > out/${id}.txt && sleep 1.5 && date +%s%N >> out/${id}.txt # ${salt}", outs: [out/${id}.txt] } }\n`;
    const pipeline = (salt: string) => `steps:\n${timed('one', salt)}${timed('two', salt)}  cuda: { uses: exec, resources: { gpu: 1 }, with: { cmd: "echo ${marker}" } }\n`;
    const gpu = await startWorker('gpu', {}, ['--task-queue', `${queue}-gpu`]);
    const cli = everywhere(pipeline(marker));
    /** Whether the two timed steps ran at the same time, from the times they wrote. */
    const overlapped = () => {
      const [a, b] = ['one', 'two'].map((id) => readFileSync(join(cli.dir, `out/${id}.txt`), 'utf8').trim().split('\n').map(BigInt));
      return a![0]! < b![1]! && b![0]! < a![1]!;
    };
    try {
      const fresh = logsFromNow();
      const serial = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--jobs', '1']);
      assert.is(serial.code, 0, serial.stderr);
      assert.equal(serial.statuses, { one: 'executed', two: 'executed', cuda: 'executed' });
      assert.not.ok(overlapped(), 'two steps ran at once under --jobs 1');
      assert.match(fresh(gpu), /cuda: executed/);
      for (const w of workers.filter((w) => w !== gpu)) assert.not.match(fresh(w), /cuda: attempt/);
      // The control: with room for both, the two free workers run them at once. (New commands rather than
      // --force: a remote record is never replaced, so forced outputs would come back as the first run's.)
      onWorkers(pipeline(`${marker}-2`));
      cli.write(FILE, pipeline(`${marker}-2`));
      const parallel = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--jobs', '2']);
      assert.is(parallel.code, 0, parallel.stderr);
      assert.equal(parallel.statuses, { one: 'executed', two: 'executed', cuda: 'cached' });
      assert.ok(overlapped(), 'the steps did not overlap with --jobs 2: the control proves nothing');
    } finally {
      cli.cleanup();
      await stopWorker(gpu);
      workers.splice(workers.indexOf(gpu), 1);
    }
  });

  test('a failure without --keep-going: the workflow cancels the running step, skips the dependents, and nothing keeps running', async () => {
    const marker = randomBytes(2).readUInt16BE().toString();
    const cli = everywhere(`steps:
  slow: { uses: exec, with: { cmd: "sleep 30.${marker}" } }
  bad: { uses: exec, retries: 0, with: { cmd: "sleep 1 && exit 3 # ${marker}" } }
  after: { uses: exec, needs: [bad], with: { cmd: "echo ${marker}" } }
`);
    try {
      const run = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--jobs', '2']);
      assert.is(run.code, 1, run.stderr);
      assert.equal(run.statuses, { slow: 'skipped', bad: 'failed', after: 'skipped' });
      const reasons = Object.fromEntries(run.result.steps.map((s) => [s.id, s.reason]));
      assert.equal([reasons.slow, reasons.after], ['cancelled', 'upstream `bad` did not complete']);
      assert.match(run.result.steps.find((s) => s.id === 'bad')!.error!, /command exited with code 3/);
      assert.not.ok(running(marker), "the cancelled step's process outlived the run");
    } finally {
      cli.cleanup();
    }
  });

  test('Ctrl-C of the CLI cancels the workflow: the worker kills the step and nothing keeps running', async () => {
    const marker = randomBytes(2).readUInt16BE().toString();
    const cli = everywhere(LONG(60, marker));
    try {
      const fresh = logsFromNow();
      const run = cli.spawn(['run', FILE, 'long', '--executor', 'temporal', '--no-track']);
      await until('the long step to start on a worker', () => workers.some((w) => /long: attempt 1$/m.test(fresh(w))));
      await until('its process', () => running(marker));
      run.kill('SIGINT');
      const done = await run;
      assert.is(done.exitCode, 130, String(done.stderr));
      assert.match(String(done.stderr), /long: skipped \(cancelled\)|long.*cancelled/);
      assert.ok(workers.some((w) => /long: cancelled$/m.test(fresh(w))), workers.map(fresh).join('\n'));
      assert.not.ok(running(marker), 'the step\'s process outlived the cancelled run');
    } finally {
      cli.cleanup();
    }
  });

  test('kill -9 of the worker running a long step: the other worker retries it and the run succeeds', async () => {
    const marker = randomBytes(2).readUInt16BE().toString();
    const cli = everywhere(LONG(4, marker));
    try {
      const records = await assertRemoteComplete();
      const fresh = logsFromNow();
      const run = cli.spawn(['run', FILE, 'long', '--executor', 'temporal', '--no-track', '--json']);
      await until('the long step to start on a worker', () => workers.some((w) => /long: attempt 1$/m.test(fresh(w))));
      const victim = workers.find((w) => /long: attempt 1$/m.test(fresh(w)))!;
      const survivor = workers.find((w) => w !== victim)!;
      victim.process.kill('SIGKILL');
      const done = await run;
      assert.ok(done.exitCode === 0, `exit ${done.exitCode}: ${String(done.stderr)}\n${survivor.log()}`);
      assert.match(fresh(survivor), /long: attempt 2$/m);
      assert.match(fresh(survivor), /long: executed/m);
      const result = JSON.parse(String(done.stdout)) as { steps: { id: string; status: string }[] };
      assert.equal(result.steps.find((s) => s.id === 'long')?.status, 'executed');
      assert.is(await assertRemoteComplete(), records + 1);
    } finally {
      cli.cleanup();
    }
  });
  test('early cutoff on the cluster: a forced upstream step with the same output leaves its downstream step cached by the worker', async () => {
    const amount = randomBytes(2).readUInt16BE();
    const cli = everywhere(`plugins: { add: ${ADD_PLUGIN} }\nsteps:\n  top: { uses: add, with: { amount: ${amount} } }\n  down: { uses: add, inputs: { x: top.value }, with: { amount: 1 } }\n`);
    try {
      const first = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track']);
      assert.is(first.code, 0, first.stderr);
      assert.equal(first.statuses, { top: 'executed', down: 'executed' });
      const fresh = logsFromNow();
      const again = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--force', 'top']);
      assert.is(again.code, 0, again.stderr);
      assert.equal(again.statuses, { top: 'executed', down: 'cached' });
      assert.match(again.stderr, /workflow tradepipe-\S+ schedules 2 steps/);
      const log = workers.map(fresh).join('\n');
      assert.match(log, /down: attempt 1$/m);
      assert.match(log, /down: cached/m);
      assert.not.match(log, /down: executed/m);
      assert.equal(again.result.steps.map((s) => s.outputs), first.result.steps.map((s) => s.outputs));
    } finally {
      cli.cleanup();
    }
  });

  test('kill -9 of the CLI mid-run: the workflow still runs every step on the workers; a rerun finds all cached and starts no activity', async () => {
    const marker = randomBytes(2).readUInt16BE().toString();
    const cli = everywhere(CHAIN(3, marker));
    try {
      const fresh = logsFromNow();
      const workflow = await killCliOnceLongRuns(cli, ['run', FILE, 'after', '--executor', 'temporal', '--no-track'], 2);
      await until('`after` to finish on a worker', () => workers.some((w) => /after: executed/m.test(fresh(w))), 60_000);
      await until('the workflow to complete', () => workflowStatus(workflow!) === 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
      assert.ok(workers.some((w) => /long: executed/m.test(fresh(w))));

      const before = workers.map(attempts);
      const again = await cli.runJson(FILE, ['after', '--executor', 'temporal', '--no-track']);
      assert.is(again.code, 0, again.stderr);
      assert.equal(again.statuses, { src: 'cached', long: 'cached', after: 'cached' });
      assert.equal(workers.map(attempts), before);
      assert.not.match(again.stderr, /temporal: workflow/);
      assert.is(readFileSync(join(cli.dir, 'out/after.txt'), 'utf8'), 'done\n');
    } finally {
      cli.cleanup();
    }
  });

  test('kill -9 of the CLI, then a rerun at once: it follows the running workflow, no step runs twice, and a third run is all cached', async () => {
    await afterCliKilled(6, async ({ cli, workflow, counter }) => {
      const fresh = logsFromNow();
      const again = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track']);
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`temporal: workflow ${workflow} \\(run \\S+, started \\S+ on ${hostname()}\\) is still running this pipeline; following it for 2 steps`));
      assert.not.match(again.stderr, /schedules/);
      assert.equal(again.statuses, { long: 'executed', after: 'executed' });
      assert.is(readFileSync(counter, 'utf8'), 'long\nafter\n');
      assert.is(readFileSync(join(cli.dir, 'out/after.txt'), 'utf8'), 'done\n');
      // No retry either: the long step's one attempt was the one the killed CLI's workflow started.
      assert.not.match(workers.map(fresh).join('\n'), /long: attempt/);

      const third = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track']);
      assert.is(third.code, 0, third.stderr);
      assert.equal(third.statuses, { long: 'cached', after: 'cached' });
      assert.not.match(third.stderr, /temporal: workflow/);
      assert.is(readFileSync(counter, 'utf8'), 'long\nafter\n');
    });
  });

  test('a rerun after the pipeline changed waits for the running workflow (TP0600; Ctrl-C stops waiting and leaves it), then runs what changed', async () => {
    await afterCliKilled(10, async ({ cli, workflow, marker, counter }) => {
      const edited = COUNTED(counter, 'long2', 1, marker);
      cli.write(FILE, edited);
      // Ctrl-C while waiting stops waiting and leaves the workflow running.
      const impatient = cli.spawn(['run', FILE, '--executor', 'temporal', '--no-track']);
      const told = stderrOf(impatient);
      await until('the first rerun to say it waits', () => /TP0600/.test(told()));
      impatient.kill('SIGINT');
      assert.is((await impatient).exitCode, 130, told());
      assert.match(told(), new RegExp(`temporal: stopped waiting; workflow ${workflow} \\(.*\\) goes on \\(cancel it with --cancel-running\\)`));
      assert.is(workflowStatus(workflow), 'WORKFLOW_EXECUTION_STATUS_RUNNING');
      const rerun = cli.spawn(['run', FILE, '--executor', 'temporal', '--no-track', '--json']);
      const rerunStderr = stderrOf(rerun);
      await until('the rerun to say it waits', () => /TP0600/.test(rerunStderr()));
      // The workers' checkouts follow (only \`long\` changed, which the old workflow already runs).
      onWorkers(edited);
      const done = await rerun;
      const stderr = rerunStderr();
      assert.is(done.exitCode, 0, stderr);
      assert.match(stderr, new RegExp(`^warning TP0600: workflow ${workflow} \\(run \\S+, started \\S+ on ${hostname()}\\) runs another version of step \`long\`: the pipeline changed since it started\\. Waiting for it to end`, 'm'));
      assert.match(stderr, new RegExp(`temporal: workflow ${workflow} ended; planning again\ntemporal: workflow ${workflow} schedules 2 steps`));
      const result = JSON.parse(String(done.stdout)) as { steps: { id: string; status: string }[] };
      // The old workflow ran both steps; the new \`long\` writes the same bytes, so \`after\` is cached (early cutoff).
      assert.equal(Object.fromEntries(result.steps.map((s) => [s.id, s.status])), { long: 'executed', after: 'cached' });
      assert.is(readFileSync(counter, 'utf8'), 'long\nafter\nlong2\n');
    });
  });

  test('--cancel-running cancels the running workflow (its step is killed), then runs the pipeline afresh', async () => {
    await afterCliKilled(6, async ({ cli, workflow, marker, counter }) => {
      const fresh = logsFromNow();
      const again = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track', '--cancel-running']);
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`temporal: cancelling workflow ${workflow} \\(run \\S+, started \\S+ on ${hostname()}\\), still running this pipeline \\(--cancel-running\\)\ntemporal: workflow ${workflow} schedules 2 steps`));
      assert.ok(workers.some((w) => /long: cancelled$/m.test(fresh(w))), workers.map(fresh).join('\n'));
      assert.equal(again.statuses, { long: 'executed', after: 'executed' });
      assert.is(readFileSync(counter, 'utf8'), 'long\nlong\nafter\n');
      assert.not.ok(running(marker), "the cancelled step's process outlived its workflow");
    });
  });

  test('retries: a step that fails twice succeeds on its third attempt; with retries: 0 it fails after one', async () => {
    const counter = join(tmpdir(), `tradepipe-flaky-${randomBytes(4).toString('hex')}`);
    try {
      const fresh = logsFromNow();
      const cli = everywhere(FLAKY(counter, 2));
      try {
        const run = await cli.runJson(FILE, ['--executor', 'temporal', '--no-track']);
        assert.is(run.code, 0, run.stderr);
        assert.equal(run.statuses, { flaky: 'executed' });
        assert.is(readFileSync(counter, 'utf8'), '3\n');
        const log = workers.map(fresh).join('\n');
        assert.equal(log.match(/flaky: attempt \d+$/gm)?.map((l) => l.slice(-1)), ['1', '2', '3'], log);
        assert.is((log.match(/flaky: failed/g) ?? []).length, 2);
      } finally {
        cli.cleanup();
      }
      // Another counter, so another command: \`retries:\` is not part of the key, and the step above is cached.
      const once = everywhere(FLAKY(`${counter}-once`, 0));
      try {
        const run = await once.runJson(FILE, ['--executor', 'temporal', '--no-track']);
        assert.is(run.code, 1, run.stderr);
        assert.equal(run.statuses, { flaky: 'failed' });
        assert.match(run.result.steps[0]!.error ?? '', /command exited with code 1/);
        assert.is(readFileSync(`${counter}-once`, 'utf8'), '1\n');
      } finally {
        once.cleanup();
      }
    } finally {
      rmSync(counter, { force: true });
      rmSync(`${counter}-once`, { force: true });
    }
  });

  test("a worker's ctx.progress reaches the CLI's progress lines, its ctx.track the run's tracking, with the worker's host", async () => {
    const amount = randomBytes(2).readUInt16BE();
    const cli = everywhere(`plugins: { probe: ${PROBE} }\nsteps:\n  probe: { uses: probe, with: { amount: ${amount}, wait_ms: 3000 } }\n`);
    try {
      // Progress lines as a local run prints them: not under --json, and without a TTY only with --verbose.
      const run = await cli.run(['run', FILE, '--executor', 'temporal', '--verbose']);
      assert.is(run.code, 0, run.stderr);
      assert.match(run.stderr, /^ {2}> probe: running \(never run\)$/m);
      assert.match(run.stderr, /^ {4}probe: 50% halfway$/m);
      assert.match(run.stderr, new RegExp(`^ {4}probe: executed on worker ${hostname()}$`, 'm'));
      assert.match(run.stderr, /^ {2}✓ probe: executed /m);

      const backend = localBackend(openSession(cli.dir).paths.store);
      const [step] = await backend.searchRuns({ tags: { [TAG.stepId]: 'probe' } });
      assert.ok(step, 'the step has no tracking run');
      assert.is(step.status, 'FINISHED');
      assert.is(step.tags['tradepipe.worker_host'], hostname());
      assert.is(step.tags.probe, 'yes');
      assert.is(step.params.amount, String(amount));
      assert.equal([step.metrics.score?.value, step.metrics.score?.step], [amount * 2, 2]);
      assert.equal((await backend.metricHistory(step.runId, 'score')).map((m) => [m.step, m.value]), [[1, amount], [2, amount * 2]]);
      assert.equal((await backend.listArtifacts(step)).map((a) => a.path), ['notes.txt']);
    } finally {
      cli.cleanup();
    }
  });
}

/** Starts \`run\` of the pipeline and kill -9s the CLI once a worker runs \`long\`; the workflow's id. */
async function killCliMidRun(cli: Project): Promise<string> {
  const workflow = await killCliOnceLongRuns(cli, ['run', FILE, '--executor', 'temporal', '--no-track'], 2);
  assert.is(workflowStatus(workflow), 'WORKFLOW_EXECUTION_STATUS_RUNNING');
  return workflow;
}

/** Starts the CLI with \`args\`, checks it scheduled \`steps\` steps, and kill -9s it once a worker runs \`long\`; the workflow's id. */
async function killCliOnceLongRuns(cli: Project, args: string[], steps: number): Promise<string> {
  const fresh = logsFromNow();
  const run = cli.spawn(args);
  const stderr = stderrOf(run);
  await until('the long step to start on a worker', () => workers.some((w) => /long: attempt 1$/m.test(fresh(w))));
  const workflow = new RegExp(`workflow (tradepipe-\\S+) schedules ${steps} steps`).exec(stderr())?.[1];
  assert.ok(workflow, stderr());
  run.kill('SIGKILL');
  await run;
  return workflow!;
}

/** A marker for a test's \`sleep\` processes, and a file outside every clone where its steps count their executions. */
/**
 * A project whose step `long` (`seconds` long, counting its executions in `counter`, its process
 * findable by `marker`) was started under a workflow whose CLI was then killed; cleaned up after `body`.
 */
async function afterCliKilled(seconds: number, body: (run: { cli: Project; workflow: string; counter: string; marker: string }) => Promise<void>): Promise<void> {
  const marker = randomBytes(2).readUInt16BE().toString();
  const counter = join(tmpdir(), `tradepipe-ran-${marker}-${randomBytes(4).toString('hex')}`);
  const cli = everywhere(COUNTED(counter, 'long', seconds, marker));
  try {
    await body({ cli, workflow: await killCliMidRun(cli), counter, marker });
  } finally {
    cli.cleanup();
    rmSync(counter, { force: true });
  }
}

/** What a child has written to stderr so far. */
function stderrOf(child: { stderr: NodeJS.ReadableStream | null }): () => string {
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

/** The workflow's status as the server reports it (`temporal workflow describe`). */
function workflowStatus(id: string): string {
  const cli = process.env.TRADEPIPE_TEMPORAL_CLI ?? 'temporal';
  const out = execFileSync(cli, ['workflow', 'describe', '--address', address!, '-w', id, '-o', 'json'], { encoding: 'utf8' });
  return (JSON.parse(out) as { workflowExecutionInfo: { status: string } }).workflowExecutionInfo.status;
}

/** Whether a `sleep N.<marker>` from a test step is still running. */
function running(marker: string): boolean {
  try {
    return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith('sleep ') && l.includes(`.${marker}`));
  } catch {
    return false;
  }
}

test.run();
