"""Time a one-million-configuration frontier sweep against a plain per-configuration loop.

Usage:
    python tools/benchmark_sweep.py [--model llama-3-70b] [--accelerator h100-sxm]
                                    [--constants paper] [--configs 1000000] [--loop-sample 0]

Both sides evaluate the *same* step model on the *same* configurations (every valid split of
every device count up to 1,024 H100s, times enough log-spaced whole batch sizes from 1 to
16,384 to reach ``--configs``):

- vectorized: :func:`inferecon.serving.frontier.sweep` (numpy broadcasting, no per-point Python);
- loop: ``reference_model`` of ``tests/_reference_step.py``, one configuration at a time in plain
  Python, computing the same three outputs (time per token, $ per million tokens,
  utilization).

The loop runs over every configuration by default; ``--loop-sample N`` times only ``N``
evenly spaced ones and extrapolates (said so in the output). The script also checks that the
two agree, and times the Pareto frontier separately. Timings are wall-clock on this machine
(median of five runs for the vectorized sweep).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _reference_step import reference_model  # noqa: E402  (test-only reference code)

from inferecon.serving import frontier, parallelism
from inferecon.units import HOUR_S, TOKENS_PER_MILLION


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="llama-3-70b")
    ap.add_argument("--accelerator", default="h100-sxm")
    ap.add_argument("--constants", default="erdil-paper")
    ap.add_argument("--configs", type=int, default=1_000_000)
    ap.add_argument("--max-devices", type=int, default=1024)
    ap.add_argument("--loop-sample", type=int, default=0, help="time only this many loop points (0: all)")
    args = ap.parse_args(argv)

    counts = frontier.default_device_counts(args.max_devices, 8)
    structural = frontier.structural_configurations(args.accelerator, args.model, counts)
    k = structural.size
    need = math.ceil(args.configs / k)             # whole batch sizes, log-spaced from 1 to 16,384
    n_b = need
    while (batches := frontier.default_batches(16384, n_b)).size < need:
        n_b += 1
    kw = dict(constants=args.constants, device_counts=counts, batches=batches)

    frontier.sweep(args.accelerator, args.model, **kw)          # warm caches (enumeration, imports)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        sw = frontier.sweep(args.accelerator, args.model, **kw)
        runs.append(time.perf_counter() - t0)
    t_vec = statistics.median(runs)
    t0 = time.perf_counter()
    fr = sw.frontier()
    t_front = time.perf_counter() - t0

    cs = parallelism.get_constants(args.constants)
    acc = cs.accelerator(args.accelerator)
    step = reference_model(args.accelerator, args.model, constants=args.constants)
    from inferecon.specs.models import get_model
    flop = float(get_model(args.model).flop_per_token(0.0))
    price, peak = acc.price_usd_per_hour, acc.peak_flop_per_s("bf16")
    n = sw.size
    idx = np.arange(n) if args.loop_sample <= 0 else np.linspace(0, n - 1, args.loop_sample).astype(int)
    cols = [sw.tp[idx].tolist(), sw.tp_heads[idx].tolist(), sw.pp[idx].tolist(), sw.ep[idx].tolist(),
            sw.batch[idx].tolist(), sw.n_devices[idx].tolist()]
    out_t, out_usd, out_u = [], [], []
    t0 = time.perf_counter()
    for tp, th, pp, ep, b, nd in zip(*cols):
        t = step(tp, th, pp, ep, b)
        if math.isinf(t):
            out_t.append(t), out_usd.append(math.inf), out_u.append(0.0)
        else:
            out_t.append(t)
            out_usd.append(TOKENS_PER_MILLION * nd * t / b * price / HOUR_S)
            out_u.append(b * flop / (nd * peak * t))
    t_loop_sample = time.perf_counter() - t0
    t_loop = t_loop_sample * n / idx.size

    ref_t = np.array(out_t)
    finite = np.isfinite(ref_t)
    agree = bool(np.array_equal(finite, np.isfinite(sw.token_seconds[idx])))
    rel = float(np.max(np.abs(sw.token_seconds[idx][finite] / ref_t[finite] - 1))) if finite.any() else 0.0
    rel_usd = float(np.max(np.abs(sw.usd_per_million_tokens[idx][finite] / np.array(out_usd)[finite] - 1)))

    print(f"model {args.model} on {args.accelerator}, {args.constants} constants")
    print(f"configurations: {n:,} ({k:,} device splits x {batches.size} batch sizes), "
          f"{int(sw.feasible.sum()):,} feasible, frontier of {fr.index.size} points")
    print(f"vectorized sweep (numpy): {t_vec:.3f} s  ({t_vec / n * 1e9:.0f} ns per configuration, median of 5)")
    print(f"Pareto frontier:          {t_front:.3f} s")
    how = "all configurations" if idx.size == n else f"{idx.size:,} sampled configurations, extrapolated"
    print(f"plain Python loop:        {t_loop:.1f} s  ({t_loop / n * 1e6:.1f} us per configuration; {how})")
    print(f"speed-up: {t_loop / t_vec:,.0f}x")
    print(f"agreement: same feasibility = {agree}, max relative difference in time {rel:.1e}, in cost {rel_usd:.1e}")
    return 0 if agree and rel < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
