/**
 * Backend selection: the requested tfjs backend is the one used, or the step fails
 * with a clear message. webgpu needs a GPU adapter: without one its training test
 * prints a SKIP with the reason (hardware, not a service, so also under CI).
 */
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend } from '../../steps/lib/agent/backend.ts';
import ppo from '../../steps/rl.ppo/plugin.ts';
import { runPlugin } from './context.ts';
import { driftMarket } from './market.ts';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const tfjsNode = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');

test('wasm and cpu start and are the active tfjs backend', async () => {
  for (const device of ['wasm', 'cpu'] as const) {
    const backend = await initBackend(device);
    assert.is(backend.name, device);
    assert.is(backend.tf.getBackend(), device);
  }
});

test('auto is tfjs-node when installed, else wasm', async () => {
  const backend = await initBackend('auto');
  assert.is(backend.name, tfjsNode ? 'tensorflow' : 'wasm');
});

test('tfjs-node without the optional package fails with the reason', async () => {
  if (tfjsNode) {
    assert.is((await initBackend('tfjs-node')).name, 'tensorflow');
    return;
  }
  try {
    await initBackend('tfjs-node');
    assert.unreachable('tfjs-node started without being installed');
  } catch (error) {
    assert.is(
      (error as Error).message,
      'device `tfjs-node`: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed ' +
        '(they are optional dependencies whose install downloads libtensorflow); use device `wasm` or `cpu`',
    );
  }
});

test('webgpu trains when a GPU adapter exists, else fails clearly (SKIP)', async () => {
  const data = driftMarket(30, 2);
  const params = { env: { tech_indicator_list: ['trend'] }, total_timesteps: 128, n_steps: 128, batch_size: 64, n_epochs: 1, device: 'webgpu' };
  try {
    const { ctx } = await runPlugin(ppo, params, data);
    assert.is(ctx.recorded.tags.get('tfjs_backend'), 'webgpu');
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, 'device `webgpu`: no GPU adapter available');
    console.log(`SKIP rl.ppo on webgpu: ${message}`);
  }
});

test.run();
