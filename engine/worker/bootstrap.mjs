// A plugin worker's entry: TypeScript sources (the engine's and plugins') load through tsx, as in the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./plugin-worker.ts');
