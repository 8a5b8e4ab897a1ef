"""SB3's PPO optimisation phase (PPO.train) on the rl bench's dimensions, for bench/rl.bench.ts.

PPO("MlpPolicy") with SB3's defaults (n_steps 2048, batch 64, 10 epochs, [64, 64] tanh pi and
vf, Adam eps 1e-5, grad-norm clip 0.5), torch on the CPU with 1 thread, on a gymnasium env with
FinRL's dimensions for 30 tickers and 8 indicators (observation 301, action 30). PPO.train's
work does not depend on what the env computes, only on these sizes, so the env draws its
observations from a normal distribution. Prints one JSON line: per-update wall and CPU
milliseconds of train() after the first (warm-up) update.

usage: python rl_sb3_optimisation.py UPDATES
"""
import json
import statistics
import sys
import time

try:
    import gymnasium as gym
    import numpy as np
    import stable_baselines3
    import torch
    from stable_baselines3 import PPO
except ImportError as error:
    print(json.dumps({"missing": str(error)}))
    sys.exit(0)

OBS, ACTIONS, N_STEPS = 301, 30, 2048


class SizedEnv(gym.Env):
    observation_space = gym.spaces.Box(-np.inf, np.inf, (OBS,), np.float32)
    action_space = gym.spaces.Box(-1, 1, (ACTIONS,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.np_random.standard_normal(OBS).astype(np.float32), {}

    def step(self, action):
        obs = self.np_random.standard_normal(OBS).astype(np.float32)
        return obs, float(self.np_random.standard_normal()), False, False, {}


class TimedPPO(PPO):
    def train(self):
        wall, cpu = time.perf_counter(), time.process_time()
        super().train()
        self.timings.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))


def main():
    updates = int(sys.argv[1])
    torch.set_num_threads(1)
    model = TimedPPO("MlpPolicy", SizedEnv(), seed=0, device="cpu", verbose=0)
    model.timings = []
    model.learn(total_timesteps=N_STEPS * (updates + 1))
    timed = model.timings[1:]
    print(json.dumps({
        "sb3": stable_baselines3.__version__,
        "torch": torch.__version__,
        "wall_ms": statistics.median(t[0] for t in timed),
        "cpu_ms": statistics.median(t[1] for t in timed),
    }))


main()
