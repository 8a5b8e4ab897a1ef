// `tradepipe --help` as printed by the previous call with the same sources, package versions and terminal,
// kept under node_modules/.cache/tradepipe/help: a repeat prints it without loading commander or the CLI.
// The text is what the CLI itself wrote (captured, never rebuilt here), so it stays byte-identical.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, MANIFEST, ROOT, signature, writeAtomic } from './compiled.mjs';

/** The arguments whose output is cached: the top-level help, which prints to stdout and exits 0. */
export const isTopLevelHelp = (args) => args.length === 1 && (args[0] === '--help' || args[0] === '-h');

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** One file per way commander sees stdout (width, colours); it holds the text and what it was printed from. */
function helpFile() {
  const { stdout, env } = process;
  const terminal = [stdout.isTTY, stdout.isTTY ? stdout.columns : '', stdout.hasColors?.(), env.NO_COLOR, env.FORCE_COLOR, env.CLICOLOR_FORCE];
  return join(CACHE, 'help', `${sha256(JSON.stringify(terminal)).slice(0, 32)}.json`);
}

/** The sources (the mirror's manifest lists each one's signature) and the package's and commander's versions. */
const sourcesKey = () =>
  sha256([readFileSync(MANIFEST, 'utf8'), signature(join(ROOT, 'package.json')), signature(join(ROOT, 'node_modules', 'commander', 'package.json'))].join('\n'));

export function cachedHelp() {
  try {
    const { key, text } = JSON.parse(readFileSync(helpFile(), 'utf8'));
    return key === sourcesKey() ? text : undefined;
  } catch {
    return undefined;
  }
}

export function rememberHelp(text) {
  try {
    writeAtomic(helpFile(), JSON.stringify({ key: sourcesKey(), text }));
  } catch {
    // Printed by the CLI again next time.
  }
}
