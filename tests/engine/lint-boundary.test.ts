/**
 * The plugin boundary is a lint rule (biome.json): files under steps/ import only the SDK,
 * their own folder, steps/lib/, schemas/ and packages. Lints sample files with the
 * project's own config in a temp tree shaped like the repository.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const biome = join(repo, 'node_modules', '.bin', 'biome');

/** Lints `files` (path -> source) and returns the restricted imports found, as `path:line`. */
async function restrictedImports(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-lint-'));
  try {
    const config = JSON.parse(readFileSync(join(repo, 'biome.json'), 'utf8')) as Record<string, unknown>;
    delete config.$schema;
    delete config.vcs;
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    const run = await execa(biome, ['lint', '--reporter=json', ...Object.keys(files)], { cwd: dir, reject: false });
    const report = JSON.parse(run.stdout) as { diagnostics: { category: string; location: { path: string; start: { line: number } } }[] };
    return report.diagnostics
      .filter((d) => d.category === 'lint/style/noRestrictedImports')
      .map((d) => `${d.location.path}:${d.location.start.line}`)
      .sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a plugin that imports an engine internal or another plugin fails the lint', async () => {
  const found = await restrictedImports({
    'steps/demo/plugin.ts': [
      "import { openSession } from '../../engine/cache-session.ts';",
      "import other from '../backtest/plugin.ts';",
      "import { definePlugin } from '../../engine/sdk.ts';",
      "import { Draws } from '../lib/random.ts';",
      "import type { StockTradingEnvConfig } from '../../schemas/stock_trading_env_config.ts';",
      "import { helper } from './helper.ts';",
      "import { parse } from 'yaml';",
      'export type { StockTradingEnvConfig };',
      'export { openSession, other, definePlugin, Draws, helper, parse };',
      '',
    ].join('\n'),
    'steps/demo/sources/file.ts': [
      "import { putPath } from '../../../engine/tracking/objects.ts';",
      "import { fill } from '../../features.indicators/plugin.ts';",
      "import { helper } from '../helper.ts';",
      "import { column } from '../../../engine/sdk.ts';",
      "import { retrying } from '../../lib/http/retry.ts';",
      'export { putPath, fill, helper, column, retrying };',
      '',
    ].join('\n'),
    'steps/lib/demo/shared.ts': [
      "import { decide } from '../../../engine/planner.ts';",
      "import plugin from '../../backtest/plugin.ts';",
      "import { Draws } from '../random.ts';",
      'export { decide, plugin, Draws };',
      '',
    ].join('\n'),
  });
  assert.equal(found, [
    'steps/demo/plugin.ts:1',
    'steps/demo/plugin.ts:2',
    'steps/demo/sources/file.ts:1',
    'steps/demo/sources/file.ts:2',
    'steps/lib/demo/shared.ts:1',
    'steps/lib/demo/shared.ts:2',
  ]);
});

test('the shipped plugins pass the boundary rule', async () => {
  const run = await execa(biome, ['lint', '--reporter=json', 'steps'], { cwd: repo, reject: false });
  const report = JSON.parse(run.stdout) as { diagnostics: { category: string; location: { path: string } }[] };
  assert.equal(report.diagnostics.filter((d) => d.category === 'lint/style/noRestrictedImports').map((d) => d.location.path), []);
});

test.run();
