"""Answer checks for chapter 10 (choosing what to deploy)."""

from __future__ import annotations

import numpy as np

from inferecon.levers import routing
from inferecon.planning import planner

from . import Answer

_SHAPE = planner.Workload(requests_per_s=1.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250)
_SMALL = planner.ReplicaConfig(model="llama-3-8b")
_LARGE_INT8 = planner.ReplicaConfig(model="llama-3-70b", n_devices=2, weight_format="int8")
_CASE = planner.Multipliers(peak_buffer=1.25, redundancy=1.5, regions=2, development=0.2)


def _ex2() -> float:
    # routed share for 60% savings, c_S/c_L = 0.08, router 2% of a large call
    return float(routing.required_small_share(0.6, 0.08, 0.02))


def _ex3() -> float:
    # cascade cost / large-only: half easy, keep 95% easy / 10% hard, c_S/c_L = 0.1, free check
    return float(routing.cascade_cost(0.1, 1.0, 0.5, 0.95, 0.10))


def _ex4() -> float:
    # GPUs for 70B INT8 on 2 H100 per replica, 50 req/s average, peak x3, 25% headroom
    w = planner.Workload(requests_per_s=50, peak_to_average=3, input_tokens=1000, output_tokens=250)
    return float(planner.plan(w, _LARGE_INT8, planner.Multipliers(peak_buffer=1.25)).devices)


def _ex5() -> float:
    # first traffic at which the 70/30 router is cheaper than 70B INT8 alone (case-study multipliers)
    grid = np.logspace(-1, 3, 400)
    mix = (planner.fleet(_SHAPE, _SMALL, _CASE, 0.7 * grid).usd_per_month
           + planner.fleet(_SHAPE, _LARGE_INT8, _CASE, 0.3 * grid).usd_per_month)
    alone = planner.fleet(_SHAPE, _LARGE_INT8, _CASE, grid).usd_per_month
    return float(grid[np.argmax(mix < alone)])


ANSWERS = {
    "10.2": Answer(_ex2, rtol=0.01, unit="share of traffic (0-1)",
                      hint="Savings = P_S (1 - rho) - rho_R; solve for P_S."),
    "10.3": Answer(_ex3, rtol=0.01, unit="fraction of the large-only cost",
                      hint="Every query pays c_S; the escalated share 1 - P_K also pays c_L."),
    "10.4": Answer(_ex4, rtol=1e-9, unit="GPUs",
                      hint="planner.plan with Multipliers(peak_buffer=1.25); devices = replicas x 2."),
    "10.5": Answer(_ex5, rtol=0.10, unit="requests per second",
                      hint="Compare planner.fleet for the two shares (0.7 and 0.3 of the rate) with 70B INT8 alone."),
}
