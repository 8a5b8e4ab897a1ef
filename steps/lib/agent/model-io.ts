/**
 * The trained-agent directory: `policy.json` (what the network is, what it was
 * trained on, the observation normaliser, and a tfjs weights manifest) and
 * `weights.bin` (the float32 tensors, little-endian, in manifest order: tfjs's
 * weights format, which tf.io.decodeWeights reads). Written and read without tfjs so
 * loading an agent needs no backend.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildNetwork, type Activation, type Network } from './network.ts';
import type { NormalizerState } from './normalizer.ts';

export const POLICY_FILE = 'policy.json';
export const WEIGHTS_FILE = 'weights.bin';
const FORMAT = 'tradepipe-rl-policy';
const FORMAT_VERSION = 1;

export interface PolicyFile {
  format: typeof FORMAT;
  format_version: number;
  algorithm: 'ppo' | 'a2c';
  observation_dim: number;
  action_dim: number;
  net_arch: { pi: number[]; vf: number[] };
  activation_fn: Activation;
  /** Actions are the Gaussian mean clipped to this box. */
  action_space: { low: number; high: number };
  /** Tickers in action order. */
  tickers: string[];
  tech_indicator_list: string[];
  /** The environment config the agent was trained in (StockTradingEnvConfig, defaults filled in). */
  env: Record<string, unknown>;
  /** SB3 VecNormalize observation statistics, or null when observations were not normalised. */
  observation_normalizer: NormalizerState | null;
  /** tfjs weights manifest for weights.bin. */
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
  training: {
    total_timesteps: number;
    timesteps: number;
    seed: number;
    /** The tfjs backend that trained it. */
    backend: string;
    hyperparameters: Record<string, unknown>;
  };
}

export type PolicyDescription = Omit<PolicyFile, 'format' | 'format_version' | 'observation_dim' | 'action_dim' | 'net_arch' | 'activation_fn' | 'action_space' | 'weightsManifest'>;

export async function saveModel(dir: string, net: Network, params: Float32Array, description: PolicyDescription): Promise<void> {
  const { spec } = net;
  const file: PolicyFile = {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    algorithm: description.algorithm,
    observation_dim: spec.obsDim,
    action_dim: spec.actionDim,
    net_arch: { pi: [...spec.netArch.pi], vf: [...spec.netArch.vf] },
    activation_fn: spec.activation,
    action_space: { low: -1, high: 1 },
    tickers: description.tickers,
    tech_indicator_list: description.tech_indicator_list,
    env: description.env,
    observation_normalizer: description.observation_normalizer,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: net.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' })) }],
    training: description.training,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(params.buffer, params.byteOffset, params.byteLength));
  await writeFile(join(dir, POLICY_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

export async function readModel(dir: string): Promise<{ file: PolicyFile; net: Network; params: Float32Array }> {
  const where = join(dir, POLICY_FILE);
  let file: PolicyFile;
  try {
    file = JSON.parse(await readFile(where, 'utf8')) as PolicyFile;
  } catch (error) {
    throw new Error(`${where}: not a trained agent (${(error as Error).message})`);
  }
  if (file.format !== FORMAT || file.format_version !== FORMAT_VERSION) {
    throw new Error(`${where}: format ${file.format} v${file.format_version}, expected ${FORMAT} v${FORMAT_VERSION}`);
  }
  const net = buildNetwork({
    obsDim: file.observation_dim,
    actionDim: file.action_dim,
    netArch: file.net_arch,
    activation: file.activation_fn,
    logStdInit: 0,
  });
  const manifest = file.weightsManifest.flatMap((group) => group.weights);
  const expected = net.tensors.map((t) => `${t.name}[${t.shape.join(',')}]`).join(' ');
  const found = manifest.map((w) => `${w.name}[${w.shape.join(',')}]${w.dtype === 'float32' ? '' : `:${w.dtype}`}`).join(' ');
  if (found !== expected) throw new Error(`${where}: weights manifest does not match net_arch ${JSON.stringify(file.net_arch)}: expected ${expected}, found ${found}`);
  const bytes = await readFile(join(dir, WEIGHTS_FILE));
  if (bytes.byteLength !== net.size * 4) {
    throw new Error(`${join(dir, WEIGHTS_FILE)}: ${bytes.byteLength} bytes, expected ${net.size * 4} (${net.size} float32 values)`);
  }
  // Copy into a fresh, aligned buffer: a Node Buffer may start at any byte offset.
  const params = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { file, net, params };
}
