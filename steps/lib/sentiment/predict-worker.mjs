// Worker entry: workers do not inherit tsx's loader from the CLI, so register it here first.
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('./predict-worker.ts');
await serve();
