"""The Python side of bench/features.bench.ts: stockstats 0.6.8 and FinRL's turbulence on the bench table.

Run by the bench with the venv's python (see the bench for how to create it); prints one JSON line:
  {"indicators_ms", "indicators_cpu_ms": median of 3 after a warm-up (wall, process CPU),
   "turbulence_ms", "turbulence_cpu_ms": one run}
The table is tests/features/synthetic-walk.ts's seeded walk, built by the fixtures' generate.py
(same arithmetic, same doubles). The indicators are timed the way FinRL computes them: each
ticker's frame through stockstats, the eight default names read from it.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures", "features"))

from generate import FINRL_INDICATORS, FeatureEngineer, synthetic_walk  # noqa: E402
from stockstats import StockDataFrame as Sdf  # noqa: E402


def indicators(df):
    for tic in df.tic.unique():
        frame = Sdf.retype(df[df.tic == tic].copy())
        for name in FINRL_INDICATORS:
            frame[name]


def timed_ms(run):
    """Wall and process CPU time of one call, in ms."""
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    return (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000


def main():
    tickers = [f"T{k:02d}" for k in range(30)]
    df = synthetic_walk(tickers, 2520, 7)
    indicators(df)
    runs = [timed_ms(lambda: indicators(df)) for _ in range(3)]
    turbulence, turbulence_cpu = timed_ms(lambda: FeatureEngineer().calculate_turbulence(df))
    print(json.dumps({
        "indicators_ms": sorted(wall for wall, _ in runs)[1],
        "indicators_cpu_ms": sorted(cpu for _, cpu in runs)[1],
        "turbulence_ms": turbulence,
        "turbulence_cpu_ms": turbulence_cpu,
    }))


if __name__ == "__main__":
    main()
