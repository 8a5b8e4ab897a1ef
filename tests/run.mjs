#!/usr/bin/env node
/**
 * `npm test`: every folder under tests/ is one uvu process, and TEST_JOBS of them run at
 * once (default 3). Most suites wait on child processes, servers and timers rather than
 * on the CPU, so lanes cut the wall time even on two cores. Each folder's output is
 * printed whole when it finishes; the closing summary adds up every folder's.
 *
 *   npm test                   all folders
 *   npm test -- engine watch   only these folders
 *   TEST_JOBS=1 npm test       one folder at a time
 *
 * A folder still running after TEST_FOLDER_TIMEOUT_S (default 900) is killed with its whole
 * process group and counted as failed: a test that leaves a server or a watch process running
 * must fail the suite, not hang CI.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = join(import.meta.dirname);
const requested = process.argv.slice(2);
const folders = readdirSync(root)
  .filter((name) => !['fixtures', 'helpers', 'artifacts'].includes(name) && statSync(join(root, name)).isDirectory())
  .filter((name) => requested.length === 0 || requested.includes(name));
const unknown = requested.filter((name) => !folders.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown test folder(s): ${unknown.join(', ')}\n`);
  process.exit(2);
}

// The longest suites start first, so no lane is left with one of them at the end.
const LONGEST_FIRST = ['remote', 'engine', 'sentiment', 'schedule', 'ui', 'monitor', 'reliability', 'trade', 'tracking'];
const rank = (name) => (LONGEST_FIRST.includes(name) ? LONGEST_FIRST.indexOf(name) : LONGEST_FIRST.length);
const queue = [...folders].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const jobs = Math.max(1, Number(process.env.TEST_JOBS ?? 3));
const folderTimeoutMs = Number(process.env.TEST_FOLDER_TIMEOUT_S ?? 900) * 1000;
const totals = { total: 0, passed: 0, skipped: 0, failed: 0 };
const failedFolders = [];
const started = Date.now();

function count(output, label) {
  // uvu colours its summary; the numbers follow the label.
  const match = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(stripVTControlCharacters(output));
  return match ? Number(match[1]) : 0;
}

function runFolder(folder) {
  return new Promise((resolve) => {
    const begin = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', join('tests', folder), '\\.test\\.ts$'], {
      cwd: join(root, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid, 'SIGKILL');
    }, folderTimeoutMs);
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const killed = timedOut ? `\nKILLED: tests/${folder} still running after ${folderTimeoutMs / 1000} s\n` : '';
      const output = Buffer.concat(chunks).toString('utf8') + killed;
      const seconds = ((Date.now() - begin) / 1000).toFixed(1);
      process.stdout.write(`\n=== tests/${folder} (${seconds} s, exit ${code ?? signal})\n${output}`);
      const total = count(output, 'Total');
      const passed = count(output, 'Passed');
      const skipped = count(output, 'Skipped');
      totals.total += total;
      totals.passed += passed;
      totals.skipped += skipped;
      const ok = code === 0 && total > 0 && !timedOut;
      // A folder that crashed or was killed before uvu's summary counts as one failure.
      totals.failed += ok ? 0 : Math.max(1, total - passed - skipped);
      if (!ok) failedFolders.push(folder);
      resolve();
    });
  });
}

async function lane() {
  for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) await runFolder(folder);
}

await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, lane));
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(`\n  Total:     ${totals.total}\n  Passed:    ${totals.passed}\n  Skipped:   ${totals.skipped}\n  Duration:  ${seconds} s\n`);
if (failedFolders.length > 0) process.stdout.write(`  Failed in: ${failedFolders.map((f) => `tests/${f}`).join(', ')}\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failedFolders.length > 0 ? 1 : 0);
