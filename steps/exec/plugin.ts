/**
 * `exec`: a shell command with declared file deps and outs, like a DVC stage. The
 * engine hashes deps into the key, captures outs into the store after the command,
 * and restores them on a cache hit. Outs and `wdir` stay inside the project. On
 * cancellation the whole process group is killed.
 */
import { confinedPath, definePlugin } from '../../engine/sdk.ts';
import type { ExecParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<ExecParams>({
  name: 'exec',
  version: '1',
  description: 'Run a shell command with declared file deps and outs (like a DVC stage).',
  paramsSchema: schema,
  inputs: {},
  outputs: {},
  files: (params) => ({ deps: params.deps ?? [], outs: params.outs ?? [], wdir: params.wdir ?? '.' }),
  async run(ctx, params) {
    const { execa } = await import('execa');
    const commands = typeof params.cmd === 'string' ? [params.cmd] : params.cmd;
    // Checked again at run time: a symlink may have replaced a folder since validation.
    const cwd = await confinedPath(ctx.projectRoot, params.wdir ?? '.', { folder: true });
    for (const command of commands) {
      ctx.signal.throwIfAborted();
      // detached: the command gets its own process group, so cancelling kills its children too.
      const child = execa({ shell: true, cwd, detached: true, reject: false, stdin: 'ignore', all: true, lines: false })`${command}`;
      const kill = () => {
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      };
      ctx.signal.addEventListener('abort', kill, { once: true });
      let pending = '';
      child.all?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) ctx.log.info(line);
      });
      const result = await child;
      ctx.signal.removeEventListener('abort', kill);
      if (pending) ctx.log.info(pending);
      ctx.signal.throwIfAborted();
      if (result.exitCode !== 0) {
        const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
        throw new Error(`command ${how}: ${command}`);
      }
    }
    return {};
  },
});
