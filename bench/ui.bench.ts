/**
 * `tradepipe ui` on a 1,000-step pipeline (50 layers of 20 `exec` steps, each needing two
 * steps of the layer before), never run: the graph API (planning included) from Node,
 * then the page in headless Chromium: dagre layout plus SVG, measured by the app itself
 * (`performance.measure('graph-render')`), and from navigation to the last node drawn.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUi } from '../tests/ui/support.ts';
import type { BenchRow } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const LAYERS = 50;
const WIDTH = 20;

function pipelineYaml(): string {
  const lines = ['pipeline: wide', 'steps:'];
  for (let i = 0; i < LAYERS * WIDTH; i++) {
    const layer = Math.floor(i / WIDTH);
    const needs = layer === 0 ? [] : [i - WIDTH, (layer - 1) * WIDTH + ((i * 7) % WIDTH)].filter((v, k, a) => a.indexOf(v) === k);
    lines.push(`  s${i}: { uses: exec, ${needs.length ? `needs: [${needs.map((n) => `s${n}`).join(', ')}], ` : ''}with: { cmd: "true", outs: [] } }`);
  }
  return lines.join('\n') + '\n';
}

export default async (): Promise<BenchRow[]> => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-ui-bench-'));
  writeFileSync(join(dir, 'tradepipe.yaml'), '');
  mkdirSync(join(dir, 'pipelines.d'));
  writeFileSync(join(dir, 'pipelines.d', 'wide.yaml'), pipelineYaml());
  const ui = await startUi(dir, []);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await fetch(`${ui.origin}/api/pipelines/wide/graph`); // Warm: loads the plugin, fills the stat cache.
    const t0 = performance.now();
    const graph = (await (await fetch(`${ui.origin}/api/pipelines/wide/graph`)).json()) as { nodes: unknown[] };
    const api = performance.now() - t0;
    if (graph.nodes.length !== LAYERS * WIDTH) throw new Error(`expected ${LAYERS * WIDTH} nodes, got ${graph.nodes.length}`);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const t1 = performance.now();
    await page.goto(ui.url);
    await page.waitForSelector(`g.node[data-step="s${LAYERS * WIDTH - 1}"]`, { timeout: 120_000 });
    const load = performance.now() - t1;
    const [render, layout] = await page.evaluate(() => ['graph-render', 'graph-layout'].map((name) => performance.getEntriesByName(name).at(-1)!.duration));
    const drawn = await page.locator('g.node').count();
    if (drawn !== LAYERS * WIDTH) throw new Error(`expected ${LAYERS * WIDTH} nodes drawn, got ${drawn}`);
    return [
      { bench: 'ui', case: 'graph API, 1,000 steps (plan included, warm)', value: Math.round(api), unit: 'ms' },
      { bench: 'ui', case: 'graph render in Chromium (dagre layout + SVG), 1,000 steps', value: Math.round(render!), unit: 'ms', target: '< 2000 ms', ok: render! < 2000 },
      { bench: 'ui', case: '  of which dagre layout', value: Math.round(layout!), unit: 'ms' },
      { bench: 'ui', case: 'page load to 1,000-step graph drawn (bundle, API, render)', value: Math.round(load), unit: 'ms' },
    ];
  } finally {
    await browser.close();
    await ui.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
