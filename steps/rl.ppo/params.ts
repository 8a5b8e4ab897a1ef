/* Generated from steps/rl.ppo/params.schema.json by `npm run gen:types`. Do not edit. */
import type {StockTradingEnvConfig} from '../../schemas/stock_trading_env_config.ts';

/**
 * Train a PPO agent (Stable-Baselines3 semantics and defaults) in FinRL's StockTradingEnv on a feature table.
 */
export interface PpoParams {
  env?: StockTradingEnvConfig;
  /**
   * State features; overrides env.tech_indicator_list. Stored with the model: backtests must use the same list.
   *
   * @minItems 1
   */
  tech_indicator_list?: [string, ...string[]];
  /**
   * Environment steps to train for (SB3 learn(total_timesteps)); rounded up to a multiple of n_steps, as SB3 does.
   */
  total_timesteps: number;
  /**
   * Seeds weight init, action sampling and minibatch order. Same seed, data and device: bit-identical weights.
   */
  seed?: number;
  /**
   * tfjs backend for the gradient updates: `wasm` (default, XNNPACK SIMD), `cpu` (pure JS), `webgpu` (Dawn; needs a GPU adapter), `tfjs-node` (needs the optional @tensorflow/tfjs-node[-gpu]), `auto` (tfjs-node-gpu, then tfjs-node when installed, else wasm). A backend that cannot start is an error, never a silent fallback.
   */
  device?: 'auto' | 'cpu' | 'wasm' | 'webgpu' | 'tfjs-node';
  /**
   * Adam learning rate: a number, or `lin_<x>` for x * remaining progress (linear decay to 0, as in rl-baselines3-zoo).
   */
  learning_rate?: number | string;
  /**
   * Environment steps per rollout (per update).
   */
  n_steps?: number;
  /**
   * Minibatch size.
   */
  batch_size?: number;
  /**
   * Passes over each rollout.
   */
  n_epochs?: number;
  /**
   * Discount factor.
   */
  gamma?: number;
  /**
   * GAE lambda.
   */
  gae_lambda?: number;
  /**
   * PPO clipping parameter: a number or `lin_<x>`.
   */
  clip_range?: number | string;
  /**
   * Value clipping around the old values (a number or `lin_<x>`); null: no value clipping (SB3's default). Depends on the reward scale.
   */
  clip_range_vf?: null | number | string;
  /**
   * Normalise advantages per minibatch.
   */
  normalize_advantage?: boolean;
  /**
   * Entropy coefficient.
   */
  ent_coef?: number;
  /**
   * Value loss coefficient.
   */
  vf_coef?: number;
  /**
   * Global gradient norm clip.
   */
  max_grad_norm?: number;
  /**
   * Stop an update's epochs early when approx_kl exceeds 1.5 * target_kl; null: no limit.
   */
  target_kl?: null | number;
  /**
   * Network options (SB3 policy_kwargs).
   */
  policy_kwargs?: {
    /**
     * Hidden layer sizes: a list for both the policy and the value network (SB3 >= 1.8: separate networks), or `{ pi: [...], vf: [...] }`. Default [64, 64].
     */
    net_arch?:
      | number[]
      | {
          pi: number[];
          vf: number[];
        };
    /**
     * Hidden activation (SB3 default nn.Tanh).
     */
    activation_fn?: 'tanh' | 'relu';
    /**
     * Initial log standard deviation of the Gaussian policy.
     */
    log_std_init?: number;
    /**
     * Orthogonal init (gain sqrt(2) hidden, 0.01 policy head, 1 value head, zero biases); false: torch's default Linear init.
     */
    ortho_init?: boolean;
  };
  /**
   * Normalise observations with running mean/variance as SB3 VecNormalize(norm_obs=True, norm_reward=False, clip_obs=10); the statistics are stored with the model and applied when it acts.
   */
  normalize_observation?: boolean;
  /**
   * Updates between rows of `curve` and logged metrics (SB3 learn(log_interval)).
   */
  log_interval?: number;
}
