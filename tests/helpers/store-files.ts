/** Small waits and store listings shared by the tests that kill, corrupt or time runs. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Polls `check` every 25 ms; throws after `ms`. */
export async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every object file in a project's store. */
export function objectFiles(dir: string): string[] {
  const root = join(dir, '.tradepipe', 'objects');
  return readdirSync(root).flatMap((p) => readdirSync(join(root, p)).map((f) => join(root, p, f)));
}
