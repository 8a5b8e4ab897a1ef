/**
 * tfjs backend selection for the RL agents. tfjs has one global backend per process
 * and the engine may run several steps in one process, so a backend is initialised
 * once, a request that cannot be honoured fails loudly, and nothing ever falls back
 * silently to another backend.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type Device = 'auto' | 'cpu' | 'wasm' | 'webgpu' | 'tfjs-node';

export interface Backend {
  /** The tfjs backend actually in use: `wasm`, `cpu`, `webgpu` or `tensorflow` (tfjs-node). */
  readonly name: string;
  /** The package that provides it, e.g. `@tensorflow/tfjs-node-gpu`. */
  readonly provider: string;
  readonly tf: Tf;
}

const require = createRequire(import.meta.url);
const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** `auto` picks tfjs-node-gpu, then tfjs-node when installed, else wasm. */
export async function initBackend(device: Device): Promise<Backend> {
  const tf = await import('@tensorflow/tfjs-core');
  switch (device) {
    case 'auto': {
      const installed = NODE_PACKAGES.find(isInstalled);
      return installed === undefined ? useWasm(tf) : useTfjsNode(tf, installed);
    }
    case 'tfjs-node': {
      const installed = NODE_PACKAGES.find(isInstalled);
      if (installed === undefined) {
        throw new Error(
          'device `tfjs-node`: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed ' +
            '(they are optional dependencies whose install downloads libtensorflow); use device `wasm` or `cpu`',
        );
      }
      return useTfjsNode(tf, installed);
    }
    case 'wasm':
      return useWasm(tf);
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return activate(tf, 'cpu', '@tensorflow/tfjs-backend-cpu');
    case 'webgpu':
      return useWebgpu(tf);
  }
}

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

let wasmPathsSet = false;

async function useWasm(tf: Tf): Promise<Backend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // In Node the .wasm binaries are read from disk; the package's dist/ folder holds them.
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    wasmPathsSet = true;
  }
  return activate(tf, 'wasm', '@tensorflow/tfjs-backend-wasm');
}

async function useTfjsNode(tf: Tf, pkg: string): Promise<Backend> {
  try {
    await import(pkg);
  } catch (error) {
    throw new Error(`${pkg} is installed but failed to load (is libtensorflow missing?): ${(error as Error).message}`);
  }
  if (tf.findBackend('tensorflow') === null) {
    throw new Error(`${pkg} loaded but registered no \`tensorflow\` backend with this @tensorflow/tfjs-core: their versions must match`);
  }
  return activate(tf, 'tensorflow', pkg);
}

async function useWebgpu(tf: Tf): Promise<Backend> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null || adapter === undefined) {
    throw new Error(
      'device `webgpu`: no GPU adapter available (Dawn found no Vulkan/Metal/D3D GPU on this machine); use device `wasm` or `cpu`',
    );
  }
  // tfjs-backend-webgpu looks for navigator.gpu, which Node does not provide.
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return activate(tf, 'webgpu', '@tensorflow/tfjs-backend-webgpu');
}

async function activate(tf: Tf, name: string, provider: string): Promise<Backend> {
  const current = tf.engine().backendName;
  if (current !== null && current !== undefined && current !== name && tf.memory().numTensors > 0) {
    throw new Error(
      `tfjs backend \`${name}\` requested while \`${current}\` holds ${tf.memory().numTensors} tensors in this process: ` +
        'steps that share a process must use the same device',
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Error(`tfjs backend \`${name}\` failed to initialise: ${(error as Error).message}`);
  }
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tfjs backend \`${name}\` failed to initialise (tf.setBackend returned ${ok}, active backend: ${tf.getBackend()})`);
  }
  return { name, provider, tf };
}
