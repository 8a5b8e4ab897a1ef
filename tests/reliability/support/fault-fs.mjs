/**
 * Fault injection for the reliability tests, loaded into the tradepipe process with
 * `node --import` when the machine does not let a test mount a small file system.
 * Configured by TRADEPIPE_TEST_FAULT = {"under": dir, "when": flagFile, "code": "ENOSPC"}:
 * while `when` exists, every write of a file under `under` made through node:fs writes
 * half its bytes (a torn temp file, as a real full disk leaves) and then fails with
 * `code`, like the kernel would. Removing the flag file "frees the space".
 * Plain JavaScript: it runs before tsx is registered.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

const config = JSON.parse(process.env.TRADEPIPE_TEST_FAULT ?? '{}');
const under = resolve(config.under) + sep;
const code = config.code ?? 'ENOSPC';
const MESSAGES = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system' };

const hit = (path) => typeof path === 'string' && resolve(path).startsWith(under) && (!config.when || fs.existsSync(config.when));
const failure = (syscall, path) => Object.assign(new Error(`${code}: ${MESSAGES[code] ?? code}, ${syscall} '${path}'`), { code, errno: -28, syscall, path });
const half = (data) => (typeof data === 'string' ? data.slice(0, Math.floor(data.length / 2)) : data.subarray(0, Math.floor(data.byteLength / 2)));

const p = fs.promises;
const { writeFile, copyFile, open } = p;
p.writeFile = async (path, data, ...rest) => {
  if (!hit(path)) return writeFile(path, data, ...rest);
  await writeFile(path, half(data));
  throw failure('write', path);
};
p.copyFile = async (src, dest, ...rest) => {
  if (!hit(dest)) return copyFile(src, dest, ...rest);
  await writeFile(dest, half(await p.readFile(src)));
  throw failure('copyfile', dest);
};
p.open = async (path, flags, ...rest) => {
  const handle = await open(path, flags, ...rest);
  if (typeof flags === 'string' && /[wa]/.test(flags)) {
    const own = handle.writeFile.bind(handle);
    handle.writeFile = async (data, ...more) => {
      if (!hit(path)) return own(data, ...more);
      await own(half(data));
      throw failure('write', path);
    };
  }
  return handle;
};

const paths = new Map();
const { openSync, closeSync, writeSync, writeFileSync } = fs;
fs.openSync = (path, ...rest) => {
  const fd = openSync(path, ...rest);
  paths.set(fd, String(path));
  return fd;
};
fs.closeSync = (fd) => {
  paths.delete(fd);
  return closeSync(fd);
};
fs.writeSync = (fd, buffer, offset, ...rest) => {
  const path = paths.get(fd);
  if (!hit(path)) return writeSync(fd, buffer, offset, ...rest);
  const start = typeof offset === 'number' ? offset : 0;
  writeSync(fd, buffer, start, Math.floor((buffer.length - start) / 2));
  throw failure('write', path);
};
fs.writeFileSync = (path, data, ...rest) => {
  if (!hit(path)) return writeFileSync(path, data, ...rest);
  writeFileSync(path, half(data));
  throw failure('write', path);
};
syncBuiltinESMExports();
