// A plugin worker's entry. Under bin/tradepipe the worker imports as the CLI does (the transpiled mirror, user
// plugins' transpiled copies; bin/modules.mjs), given the mirror's file list by the pool; elsewhere (tests, tools
// under tsx) TypeScript loads through tsx.
import { workerData } from 'node:worker_threads';

const workerEntry = new URL('./plugin-worker.ts', import.meta.url).href;
if (workerData?.mirrored) {
  const { moduleImporter } = await import('../../bin/modules.mjs');
  const importModule = moduleImporter(new Set(workerData.mirrored));
  globalThis[Symbol.for('tradepipe.importModule')] = importModule;
  await importModule(workerEntry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(workerEntry);
}
