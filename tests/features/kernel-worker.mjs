// tests/features/kernel.test.ts's worker thread: the indicators of the table it is given, through
// the TypeScript sources (loaded with tsx, as the engine's plugin workers do outside the CLI).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { table } = await import('../../engine/table/table.ts');
const { parseIndicator } = await import('../../steps/lib/indicators/catalog.ts');
const { engineerFeatures } = await import('../../steps/lib/indicators/feature-engineer.ts');

const indicators = workerData.names.map((name) => parseIndicator(name));
const out = engineerFeatures(table(workerData.columns), { indicators, clean: false, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: false });
parentPort.postMessage(Object.fromEntries(workerData.names.map((name) => [name, out.table.columns[name]])));
