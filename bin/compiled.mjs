// The engine's and built-in plugins' TypeScript, transpiled by esbuild into a mirror tree of .mjs
// files under node_modules/.cache/tradepipe/compiled and reused while the sources are unchanged
// (same size, mtime and ctime as when transpiled). A start with unchanged sources loads plain
// JavaScript with no module hooks and without loading esbuild; an edited source is transpiled
// again on the next start, with no build command. Each mirrored module keeps its source's
// import.meta.url (and dirname, filename), so paths, plugin code hashing and `createRequire` see the sources.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['engine', 'steps', 'schemas'];
export const CACHE = join(ROOT, 'node_modules', '.cache', 'tradepipe');
const OUT = join(CACHE, 'compiled');
export const MANIFEST = join(OUT, 'manifest.json');
const versionOf = (pkg) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
/**
 * Packages the mirror imports as one pre-bundled ES module each: `yaml` is 72 CommonJS files, and loading them
 * through Node's ESM loader (a lexer pass per file) was the largest cost of a cached `status`. Its ES build is
 * the same code (warnings go to console.warn instead of process.emitWarning). `commander` (7 CommonJS files)
 * is loaded by every command, `proper-lockfile` (13 with graceful-fs, retry and signal-exit) by every run.
 */
const VENDORED = {
  yaml: 'yaml/browser/dist/index.js',
  commander: 'commander/esm.mjs',
  // CommonJS has no named exports for a bundle to keep: a module that names them.
  'proper-lockfile': {
    wrapper: "import lockfile from 'proper-lockfile'; export default lockfile; export const { lock, unlock, lockSync, unlockSync, check, checkSync } = lockfile;",
  },
  // The rest of what every run imports, one file each: a start resolves no package (and reads one module, not ten, for the queue and the DAG).
  'p-queue': 'p-queue/dist/index.js',
  graphology: 'graphology/dist/graphology.mjs',
  'graphology-dag': {
    wrapper:
      "export { hasCycle, willCreateCycle, forEachNodeInTopologicalOrder, topologicalSort, topologicalGenerations, forEachTopologicalGeneration } from 'graphology-dag';",
  },
  canonicalize: 'canonicalize/lib/canonicalize.js',
  croner: 'croner/dist/croner.js',
  'fastest-levenshtein': { wrapper: "export { closest, distance } from 'fastest-levenshtein';" },
};
/** Part of the manifest: another esbuild, another vendored version or other settings transpile everything afresh. */
export const ESBUILD_VERSION = versionOf('esbuild');
/** How every TypeScript source is transpiled (the mirror's and user modules'). */
export const ESBUILD_OPTIONS = {
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Linked, not inline: an inline map doubles every file that each start reads, decodes and scans.
  sourcemap: 'linked',
  // Less for V8 to scan on every start (10–30 ms of a cached 100-step run); stack traces map to the sources under TRADEPIPE_DEBUG.
  minifyWhitespace: true,
  tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
};
const SETTINGS = `esbuild ${ESBUILD_VERSION}; ${Object.keys(VENDORED).map((pkg) => `${pkg} ${versionOf(pkg)}`).join('; ')}; esm node20 ES2022; import.meta url, dirname and filename of the source; JSON inlined; whitespace minified; v8`;

/** Folders modified this recently may change again within the same timestamp tick: not trusted to be unchanged next time. */
const RACY_MS = 2000;

/** AssemblyScript, compiled to WebAssembly by its own build (tsconfig excludes it too): esbuild rejects its decorators. */
const NOT_NODE_SOURCES = new Set(['steps/lib/agent/kernel/assembly', 'steps/lib/indicators/kernel/assembly']);

/** Adds the sources under `dir` to `out`, and each folder's mtime to `dirs` (null while racy); paths relative to ROOT. */
function listSources(dir, out, dirs) {
  const mtimeMs = statSync(dir).mtimeMs;
  dirs[relative(ROOT, dir)] = Date.now() - mtimeMs < RACY_MS ? null : mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !NOT_NODE_SOURCES.has(relative(ROOT, path))) listSources(path, out, dirs);
    } else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) || entry.name.endsWith('.json')) out.push(relative(ROOT, path));
  }
  return out;
}

/** A path under ROOT: concatenated, as path.join costs more than the stat on every start (~350 sources). */
const underRoot = (rel) => `${ROOT}${sep}${rel}`;

/**
 * The sources (relative to ROOT), and the folders' mtimes. A file added, removed or renamed changes its folder's
 * mtime, so while no folder's has changed the previous list stands, and a start stats the folders instead of reading them.
 */
function trackedSources(previous) {
  const unchanged = previous.dirs && Object.entries(previous.dirs).every(([rel, mtimeMs]) => mtimeMs !== null && statSync(underRoot(rel), { throwIfNoEntry: false })?.mtimeMs === mtimeMs);
  if (unchanged) return { tracked: Object.keys(previous.files), dirs: previous.dirs };
  const dirs = {};
  return { tracked: SOURCE_DIRS.flatMap((dir) => listSources(join(ROOT, dir), [], dirs)), dirs };
}

export function signature(path) {
  const s = statSync(path);
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

function readManifest() {
  try {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    if (manifest.settings === SETTINGS) return manifest;
  } catch {
    // No mirror yet.
  }
  return { files: {} };
}

export function mirrorPath(source) {
  return join(OUT, relative(ROOT, source)).replace(/\.ts$/, '.mjs');
}

/** Brings the mirror up to date with the sources; returns the mirrored source paths. */
export async function prepareMirror() {
  const manifest = readManifest();
  const previous = manifest.files;
  const { tracked, dirs } = trackedSources(manifest);
  const sources = tracked.filter((rel) => rel.endsWith('.ts')).map(underRoot);
  const files = {};
  let stale = [];
  let dataChanged = false;
  for (const rel of tracked) {
    const path = underRoot(rel);
    files[rel] = signature(path);
    if (previous[rel] === files[rel]) continue;
    if (path.endsWith('.ts')) stale.push(path);
    else dataChanged = true;
  }
  const removed = Object.keys(previous).filter((rel) => files[rel] === undefined);
  if (stale.length === 0 && removed.length === 0 && !dataChanged) {
    // Remembers the folders' mtimes for the next start; only an optimisation where the mirror is read-only.
    if (dirs !== manifest.dirs) tryWrite(MANIFEST, JSON.stringify({ settings: SETTINGS, files, dirs }));
    return new Set(sources);
  }
  // JSON (params schemas) is inlined into the modules that import it: an edit transpiles them all again.
  if (dataChanged || removed.some((rel) => rel.endsWith('.json'))) stale = sources;
  const mirrored = new Set(sources);
  if (stale.length === sources.length) await vendor();
  if (stale.length > 0) await transpile(stale, mirrored);
  for (const rel of removed) {
    if (!rel.endsWith('.ts')) continue;
    rmSync(mirrorPath(join(ROOT, rel)), { force: true });
    rmSync(`${mirrorPath(join(ROOT, rel))}.map`, { force: true });
  }
  writeAtomic(MANIFEST, JSON.stringify({ settings: SETTINGS, files, dirs }));
  return mirrored;
}

const vendorPath = (pkg) => join(OUT, 'vendor', `${pkg}.mjs`);

async function vendor() {
  const { build } = await import('esbuild');
  for (const [pkg, entry] of Object.entries(VENDORED)) {
    const result = await build({
      ...(typeof entry === 'string' ? { entryPoints: [join(ROOT, 'node_modules', entry)] } : { stdin: { contents: entry.wrapper, resolveDir: ROOT } }),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      outfile: vendorPath(pkg),
      minifyWhitespace: true,
      // CommonJS inside the bundle requires Node's built-ins.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    writeAtomic(vendorPath(pkg), result.outputFiles[0].contents);
  }
}

async function transpile(stale, mirrored) {
  const { build } = await import('esbuild');
  const result = await build({
    ...ESBUILD_OPTIONS,
    entryPoints: stale,
    outdir: OUT,
    outbase: ROOT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    write: false,
    logLevel: 'silent',
    absWorkingDir: ROOT,
    plugins: [
      {
        name: 'one-module-per-file',
        setup(b) {
          // Every import stays an import: a mirrored TypeScript module by its .mjs path, anything else (packages, .mjs) as the source.
          // JSON is inlined, as Node 20 would need an import attribute that esbuild does not keep on external imports.
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point' || args.path.endsWith('.json')) return undefined;
            if (VENDORED[args.path] !== undefined) return { path: relativeSpecifier(mirrorPath(args.importer), vendorPath(args.path)), external: true };
            if (!args.path.startsWith('.')) return { path: args.path, external: true };
            const target = join(args.resolveDir, args.path);
            if (mirrored.has(target)) return { path: relativeSpecifier(mirrorPath(args.importer), mirrorPath(target)), external: true };
            return { path: pathToFileURL(target).href, external: true };
          });
          b.onLoad({ filter: /\.ts$/ }, (args) => ({ contents: sourceWithOwnUrls(args.path), loader: 'ts' }));
        },
      },
    ],
  });
  for (const file of result.outputFiles) writeAtomic(file.path, file.contents);
}

/** A source's text with import.meta.url, dirname and filename fixed to the source's own, for a copy that lives elsewhere. */
export function sourceWithOwnUrls(path) {
  return readFileSync(path, 'utf8')
    .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(path).href))
    .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(path)))
    .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(path));
}

function relativeSpecifier(fromFile, toFile) {
  const rel = relative(dirname(fromFile), toFile).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function tryWrite(path, contents) {
  try {
    writeAtomic(path, contents);
  } catch {
    // Written again by the next start.
  }
}

/** Written to a temporary name and renamed, so a concurrent start never reads half a file. */
export function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
