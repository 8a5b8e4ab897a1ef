/** Test plugin: runs a shell command that fills the disk, then logs `metrics` tracking metrics (outbox writes). */
import { execSync } from 'node:child_process';
import { definePlugin } from '../../../engine/sdk.ts';

export default definePlugin<{ fill: string; metrics: number }>({
  name: 'fill-then-track',
  version: '1',
  description: 'Fills the disk (once), then logs many metrics.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['fill', 'metrics'],
    properties: { fill: { type: 'string' }, metrics: { type: 'integer', minimum: 1 } },
  },
  inputs: {},
  outputs: {},
  async run(ctx, params) {
    execSync(params.fill, { cwd: ctx.projectRoot, shell: '/bin/sh' });
    for (let i = 0; i < params.metrics; i++) ctx.track.metric('loss', 1 / (i + 1), i);
    return {};
  },
});
