/**
 * Compiles the MLP training kernel (assembly/index.ts, AssemblyScript) to WebAssembly and writes
 * the binary, base64, into mlp-wasm.ts (steps/lib/wasm/assemblyscript-build.ts). Run this after
 * editing the source (`npx tsx steps/lib/agent/kernel/build.ts`); tests/rl/kernel.test.ts checks
 * that the committed bytes are what the source compiles to.
 */
import { fileURLToPath } from 'node:url';
import { compileAssemblyScript, writeBase64Module } from '../../wasm/assemblyscript-build.ts';

const SOURCE = fileURLToPath(new URL('./assembly/index.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('./mlp-wasm.ts', import.meta.url));

export function compileKernel(): Promise<Uint8Array> {
  return compileAssemblyScript(SOURCE, ['--enable', 'simd']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeBase64Module(MODULE, 'MLP_WASM_BASE64', 'The MLP training kernel', await compileKernel());
}
