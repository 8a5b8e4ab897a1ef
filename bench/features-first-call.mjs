// Run by features.bench.ts in a fresh `node` process: the indicator step's first call there, the
// way the CLI runs it: modules from the CLI's transpiled mirror (bin/compiled.mjs), with the SDK
// already loaded as when the engine calls the plugin. argv[2] is the bench table as JSON columns.
// Prints `{ "importMs", "callMs", "cpuMs" }`: wall times, and the main thread's CPU time for both (Linux).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mirrorPath, prepareMirror, ROOT } from '../bin/compiled.mjs';

await prepareMirror();
const load = (source) => import(pathToFileURL(mirrorPath(join(ROOT, source))).href);
const { table } = await load('engine/sdk.ts');
const columns = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const prices = table(Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, typeof values[0] === 'number' ? Float64Array.from(values) : values])));

const threadCpuMs = () => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
};
const cpu0 = threadCpuMs();
const t0 = performance.now();
const { engineerFeatures } = await load('steps/lib/indicators/feature-engineer.ts');
const { FINRL_INDICATORS, parseIndicator } = await load('steps/lib/indicators/catalog.ts');
const t1 = performance.now();
const indicators = FINRL_INDICATORS.map((name) => parseIndicator(name));
engineerFeatures(prices, { indicators, clean: true, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: true });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, cpuMs: threadCpuMs() - cpu0 }));
