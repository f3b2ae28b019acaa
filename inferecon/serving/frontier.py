"""The Pareto frontier of serving cost against serial speed.

A serving configuration is a device count :math:`N`, its split into pipeline stages
(:math:`p`), a tensor-parallel grid (:math:`t = r_a r_b`) and expert-parallel groups
(:math:`e`), and a batch size :math:`b`. Each one gives a serial speed :math:`v = 1/T`
(tokens per second seen by one request) and a cost

.. math:: \\$/\\mathrm{M} = 10^6\\,\\frac{N\\,T}{b}\\,\\frac{\\text{price per device-hour}}{3600}

(:func:`inferecon.serving.parallelism.decode_step_breakdown` gives :math:`T`). A configuration is
*dominated* if another is at least as fast and at least as cheap, and strictly better in one;
the undominated ones form the **Pareto frontier** :cite:`erdil2025inference`.

Differences from Erdil's notebook (cell 14), which this module otherwise follows:

- device counts are **integers** and every split is a valid divisor split (the notebook's
  grid treats :math:`N_\\mathrm{GPU}` as a continuous variable);
- expert parallelism is searched (the notebook searches TP and PP only);
- the frontier is computed exactly (sort by speed, running minimum of cost) instead of
  taking the cheapest point under 600 latency thresholds;
- infeasible configurations are kept in the sweep with a reason code (never priced).

A customer who values speed and price as :math:`v^\\alpha/\\text{price}` picks the frontier
point that maximizes it (:func:`preferred_point`; the paper's :math:`\\alpha \\approx 3`,
the notebook's 4). A demand cap (tokens per second the service must absorb) excludes
configurations whose single replica would be faster than the demand: with little demand
one cannot fill a large batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, non_negative, positive
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.serving.constants import INFEASIBLE_REASONS, ConstantSet
from inferecon.serving.parallelism import SpeedsMixin, _evaluate, _prepare
from inferecon.specs.precision import NumberFormat

__all__ = ["Sweep", "Frontier", "sweep", "structural_configurations", "default_device_counts",
           "default_batches", "pareto_mask", "preferred_point", "implied_batch", "best_split"]


def default_device_counts(max_devices: int = 512, node_size: int = 8) -> NDArray[np.int64]:
    """Every integer up to two nodes, then whole nodes: 1, 2, ..., 16, 24, 32, ... (<= ``max_devices``).

    Renting capacity comes in whole nodes beyond a node or two; pass an explicit list to
    :func:`sweep` to search other counts.
    """
    at_least_one("max_devices", max_devices, integer=True)
    node = max(1, min(int(node_size), 8))
    small = np.arange(1, min(2 * node, max_devices) + 1)
    big = np.arange(3 * node, max_devices + 1, node)
    return np.unique(np.concatenate([small, big])).astype(np.int64)


def default_batches(max_batch: float = 16384, n: int = 64) -> NDArray[np.int64]:
    """``n`` log-spaced whole batch sizes from 1 to ``max_batch`` (duplicates removed)."""
    at_least_one("max_batch", max_batch)
    return np.unique(np.round(np.geomspace(1, max_batch, int(n)))).astype(np.int64)


def _divisors(n: int) -> NDArray[np.int64]:
    d = np.arange(1, n + 1)
    return d[n % d == 0]


@lru_cache(maxsize=64)
def _structural(device_counts: tuple[int, ...], n_heads: int, n_layers: int, n_routed: int, d_model: int,
                max_pp: int, allow_ep: bool) -> tuple[NDArray[np.int64], ...]:
    n = np.asarray(device_counts, dtype=np.int64)
    pp = np.arange(1, max_pp + 1, dtype=np.int64)
    ok = (n[:, None] % pp[None, :] == 0) & (pp[None, :] <= n_layers)
    i, j = np.nonzero(ok)
    n1, pp1 = n[i], pp[j]
    t1 = n1 // pp1
    heads = _divisors(n_heads)
    eps = _divisors(n_routed) if (n_routed and allow_ep) else np.array([1], dtype=np.int64)
    ok2 = ((t1[:, None, None] % heads[None, :, None] == 0)
           & (d_model % np.maximum(t1[:, None, None] // heads[None, :, None], 1) == 0)
           & (t1[:, None, None] % eps[None, None, :] == 0))
    a, h, e = np.nonzero(ok2)
    return n1[a], pp1[a], t1[a], heads[h], eps[e]


def structural_configurations(model: "str | ModelSpec", device_counts: Sequence[int],
                              max_pp: int = 64, allow_ep: bool = True) -> dict[str, NDArray[np.int64]]:
    """Every valid split of each device count: ``n = tp * pp``, ``tp_heads | gcd(tp, n_heads)``,
    ``(tp / tp_heads) | d_model``, ``ep | gcd(tp, n_routed_experts)``, ``pp <= min(max_pp, n_layers)``.

    Returns arrays ``n_devices, pp, tp, tp_heads, ep`` of equal length (vectorized with
    divisibility masks; cached per model shape).
    """
    m = get_model(model)
    counts = tuple(int(c) for c in at_least_one("device_counts", np.asarray(device_counts), integer=True).ravel())
    at_least_one("max_pp", max_pp, integer=True)
    n, pp, tp, h, e = _structural(counts, m.n_heads, m.n_layers, m.n_routed_experts, m.d_model, int(max_pp),
                                  bool(allow_ep))
    return {"n_devices": n, "pp": pp, "tp": tp, "tp_heads": h, "ep": e}


@dataclass(frozen=True)
class Sweep(SpeedsMixin):
    """Every configuration of a sweep (flat arrays, one entry per configuration).

    ``feasible`` marks the configurations that fit and respect the demand cap; ``reason``
    holds :data:`inferecon.serving.constants.INFEASIBLE_REASONS` bits for the others, whose
    speed is 0 and cost ``inf``.
    """

    n_devices: NDArray[np.int64]
    tp: NDArray[np.int64]
    tp_heads: NDArray[np.int64]
    pp: NDArray[np.int64]
    ep: NDArray[np.int64]
    batch: NDArray[np.int64]
    token_seconds: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]
    utilization: NDArray[np.float64]
    feasible: NDArray[np.bool_]
    reason: NDArray[np.int64]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of configurations evaluated."""
        return int(self.batch.size)


    def row(self, i: int) -> dict[str, float]:
        """Configuration ``i`` as a plain dict."""
        return {"n_devices": int(self.n_devices[i]), "tp": int(self.tp[i]), "tp_heads": int(self.tp_heads[i]),
                "pp": int(self.pp[i]), "ep": int(self.ep[i]), "batch": int(self.batch[i]),
                "tokens_per_s_per_request": float(self.tokens_per_s_per_request[i]),
                "usd_per_million_tokens": float(self.usd_per_million_tokens[i]),
                "utilization": float(self.utilization[i]), "feasible": bool(self.feasible[i]),
                "reason": int(self.reason[i])}

    def reason_counts(self) -> dict[str, int]:
        """How many configurations each infeasibility reason excludes (they can overlap)."""
        return {msg: int(np.count_nonzero(self.reason & bit)) for bit, msg in INFEASIBLE_REASONS.items()}

    def frontier(self) -> "Frontier":
        """The Pareto frontier of the feasible configurations (:func:`pareto_mask`)."""
        idx = np.flatnonzero(self.feasible)
        speed = 1.0 / self.token_seconds[idx]
        cost = self.usd_per_million_tokens[idx]
        keep = pareto_mask(speed, cost)
        sel = idx[keep]
        order = np.argsort(1.0 / self.token_seconds[sel])
        return Frontier(sweep=self, index=sel[order])


@dataclass(frozen=True)
class Frontier:
    """Pareto-optimal configurations of a :class:`Sweep`, by increasing speed (cost increases too)."""

    sweep: Sweep
    index: NDArray[np.int64]

    @property
    def tokens_per_s_per_request(self) -> NDArray[np.float64]:
        """Serial speed of each frontier point."""
        return 1.0 / self.sweep.token_seconds[self.index]

    @property
    def usd_per_million_tokens(self) -> NDArray[np.float64]:
        """Cost of each frontier point."""
        return self.sweep.usd_per_million_tokens[self.index]

    @property
    def utilization(self) -> NDArray[np.float64]:
        """Model FLOP utilization of each frontier point (against the uncapped peak)."""
        return self.sweep.utilization[self.index]

    def column(self, name: str) -> NDArray[Any]:
        """Any :class:`Sweep` array restricted to the frontier (``"batch"``, ``"n_devices"``...)."""
        return getattr(self.sweep, name)[self.index]

    def row(self, k: int) -> dict[str, float]:
        """Frontier point ``k`` (0 = slowest and cheapest) as a dict."""
        return self.sweep.row(int(self.index[k]))

    @property
    def max_speed(self) -> float:
        """Fastest serial speed any configuration reaches."""
        return float(self.tokens_per_s_per_request[-1])

    @property
    def min_cost(self) -> float:
        """Cheapest cost any configuration reaches."""
        return float(self.usd_per_million_tokens[0])

    def cost_at_speed(self, tokens_per_s: ArrayLike) -> NDArray[np.float64]:
        """Cheapest cost among configurations at least this fast (inf if none)."""
        v = positive("tokens_per_s", tokens_per_s)
        speeds, costs = self.tokens_per_s_per_request, self.usd_per_million_tokens
        k = np.searchsorted(speeds, v, side="left")
        return np.where(k < speeds.size, costs[np.minimum(k, speeds.size - 1)], np.inf)

    def speed_at_cost(self, usd_per_million_tokens: ArrayLike) -> NDArray[np.float64]:
        """Fastest serial speed among configurations at most this expensive (0 if none)."""
        c = positive("usd_per_million_tokens", usd_per_million_tokens)
        speeds, costs = self.tokens_per_s_per_request, self.usd_per_million_tokens
        k = np.searchsorted(costs, c, side="right") - 1
        return np.where(k >= 0, speeds[np.maximum(k, 0)], 0.0)


def _pareto_sorted(v: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.bool_]:
    order = np.argsort(-v, kind="stable")
    vs, cs = v[order], c[order]
    starts = np.flatnonzero(np.concatenate([[True], vs[1:] != vs[:-1]]))
    gmin = np.minimum.reduceat(cs, starts)                     # cheapest of each equal-speed group
    faster_min = np.concatenate([[np.inf], np.minimum.accumulate(gmin)[:-1]])
    keep_group = gmin < faster_min
    sizes = np.diff(np.concatenate([starts, [vs.size]]))
    group = np.repeat(np.arange(starts.size), sizes)
    cand = np.flatnonzero(keep_group[group] & (cs == gmin[group]))
    _, first = np.unique(group[cand], return_index=True)      # one point per kept group
    mask = np.zeros(v.size, dtype=bool)
    mask[order[cand[first]]] = True
    return mask


def pareto_mask(speed: ArrayLike, cost: ArrayLike) -> NDArray[np.bool_]:
    """Which points no other point dominates (faster-or-equal and cheaper-or-equal, one strictly).

    Exact. One sort by speed (descending); points of equal speed form a group whose cheapest
    member (the first, if several tie) is kept when it is strictly cheaper than every
    strictly faster point. For large inputs a pre-pass first drops every point dominated by
    the frontier of an evenly spaced sample (found with one binary search per point), so the
    sort only sees the few survivors; dominance is transitive, so the result is unchanged.
    """
    v = np.asarray(speed, dtype=float).ravel()
    c = np.asarray(cost, dtype=float).ravel()
    if v.shape != c.shape:
        raise ValueError(f"speed and cost must have the same length, got {v.size} and {c.size}")
    if v.size == 0:
        return np.zeros(0, dtype=bool)
    if np.isnan(v).any() or np.isnan(c).any():
        raise ValueError("speed and cost must not contain NaN")
    if v.size <= 20_000:
        return _pareto_sorted(v, c)
    step = v.size // 4096
    sample = np.arange(0, v.size, step)
    piv = sample[_pareto_sorted(v[sample], c[sample])]
    piv = piv[np.argsort(v[piv], kind="stable")]               # speeds and costs both rise
    pv, pc = v[piv], c[piv]
    j = np.searchsorted(pv, v, side="left")                    # first pivot at least as fast
    jj = np.minimum(j, pv.size - 1)
    dominated = (j < pv.size) & ((pc[jj] < c) | ((pc[jj] == c) & (pv[jj] > v)))
    keep = np.flatnonzero(~dominated)
    mask = np.zeros(v.size, dtype=bool)
    mask[keep[_pareto_sorted(v[keep], c[keep])]] = True
    return mask


def preferred_point(frontier: Frontier, alpha: float | None = None) -> int:
    """Index (into the frontier) of the point maximizing :math:`v^\\alpha / \\text{price}`.

    ``alpha`` defaults to the sweep's constant set (paper 3, notebook 4). The maximum over
    *all* feasible configurations is always on the frontier (the objective rises with speed
    and falls with price).
    """
    a = alpha if alpha is not None else frontier.sweep.meta["preference_alpha"]
    a = float(positive("alpha", a))
    score = a * np.log(frontier.tokens_per_s_per_request) - np.log(frontier.usd_per_million_tokens)
    return int(np.argmax(score))


def implied_batch(tokens_per_s_per_request: ArrayLike, utilization: ArrayLike, n_devices: ArrayLike,
                  peak_flop_per_s: ArrayLike, flop_per_token: ArrayLike) -> NDArray[np.float64]:
    """The batch that a reported (speed, utilization) pair implies, whatever the step model.

    Utilization is :math:`u = b\\,v\\,F/(N\\,C)`, so :math:`b = u N C/(v F)`. Erdil's opening
    example (70 tok/s at 15% on 8 H100s at :math:`10^{15}` FLOP/s, Llama 3 70B) implies
    :math:`b \\approx 120`.
    """
    v = positive("tokens_per_s_per_request", tokens_per_s_per_request)
    u = positive("utilization", utilization)
    n = at_least_one("n_devices", n_devices)
    return u * n * positive("peak_flop_per_s", peak_flop_per_s) / (v * positive("flop_per_token", flop_per_token))


def _sweep_core(acc: Accelerator, net: Any, cs: ConstantSet, m: ModelSpec, wfmt: NumberFormat,
                kvfmt: NumberFormat, act: float, conf: dict[str, NDArray[np.int64]], batches: NDArray[np.int64],
                ctx: float, demand: float, chunk: int) -> Sweep:
    k = conf["tp"].size
    nb = batches.size
    total = k * nb
    out_t = np.empty(total)
    out_usd = np.empty(total)
    out_u = np.empty(total)
    out_r = np.empty(total, dtype=np.int64)
    rows_per_chunk = max(1, chunk // nb)
    bcol = batches.astype(float)[None, :]
    for s in range(0, k, rows_per_chunk):   # chunks bound memory; each chunk is fully vectorized
        sl = slice(s, min(k, s + rows_per_chunk))
        col = {key: conf[key][sl].astype(float)[:, None] for key in ("tp", "tp_heads", "pp", "ep")}
        res = _evaluate(acc, net, cs, m, col["tp"], col["tp_heads"], col["pp"], col["ep"], bcol,
                        np.asarray(ctx, dtype=float), wfmt, kvfmt, act, demand)
        a, b = s * nb, min(k, s + rows_per_chunk) * nb
        out_t[a:b] = res.token_seconds.ravel()
        out_usd[a:b] = res.usd_per_million_tokens.ravel()
        out_u[a:b] = res.utilization.ravel()
        out_r[a:b] = res.reason.ravel()
    rep = lambda x: np.repeat(x, nb)  # noqa: E731
    return Sweep(n_devices=rep(conf["n_devices"]), tp=rep(conf["tp"]), tp_heads=rep(conf["tp_heads"]),
                 pp=rep(conf["pp"]), ep=rep(conf["ep"]), batch=np.tile(batches, k),
                 token_seconds=out_t, usd_per_million_tokens=out_usd, utilization=out_u,
                 feasible=out_r == 0, reason=out_r)


def sweep(model: "str | ModelSpec", accelerator: "str | Accelerator" = "h100-sxm", *,
          constants: "str | ConstantSet" = "paper", context_tokens: float = 0.0,
          weight_format: "str | NumberFormat" = "bf16", kv_format: "str | NumberFormat" = "bf16",
          activation_bytes: float = 2.0, device_counts: Sequence[int] | None = None,
          max_devices: int = 512, batches: Sequence[int] | None = None, max_batch: float | None = None,
          n_batches: int = 64, max_pp: int = 64, allow_ep: bool = True,
          demand_tokens_per_s: float = math.inf, chunk: int = 1_000_000) -> Sweep:
    """Evaluate every valid configuration (devices x split x batch) of one model on one accelerator.

    Parameters
    ----------
    device_counts : integer device counts to try; default :func:`default_device_counts`.
    batches : whole batch sizes; default :func:`default_batches` up to ``max_batch``
        (16,384 times the model's total-over-active parameter ratio).
    max_pp : largest number of pipeline stages. allow_ep : search expert parallelism.
    demand_tokens_per_s : demand cap on one replica's throughput (``inf``: unlimited).
    chunk : configurations evaluated per vectorized block (bounds memory).

    Returns
    -------
    Sweep
        Flat arrays over all ``len(structural configurations) x len(batches)`` points; see
        :meth:`Sweep.frontier`.
    """
    acc, net, cs, m, wfmt, kvfmt, act = _prepare(accelerator, model, constants, weight_format, kv_format,
                                                 activation_bytes)
    ctx = float(non_negative("context_tokens", context_tokens))
    dem = float(positive("demand_tokens_per_s", demand_tokens_per_s, allow_inf=True))
    counts = default_device_counts(max_devices, acc.scaleup_domain) if device_counts is None else device_counts
    conf = structural_configurations(m, counts, max_pp=max_pp, allow_ep=allow_ep)
    if batches is None:
        mb = max_batch if max_batch is not None else 16384 * m.matmul_params / m.active_matmul_params
        b = default_batches(mb, n_batches)
    else:
        b = at_least_one("batches", np.asarray(batches), integer=True).astype(np.int64).ravel()
    at_least_one("chunk", chunk, integer=True)
    sw = _sweep_core(acc, net, cs, m, wfmt, kvfmt, act, conf, b, ctx, dem, int(chunk))
    sw.meta.update(model=m.id, model_name=m.name, accelerator=acc.id, accelerator_name=acc.name,
                   constants=cs.id, preference_alpha=cs.preference_alpha, context_tokens=ctx,
                   weight_format=wfmt.id, kv_format=kvfmt.id, demand_tokens_per_s=dem,
                   price_usd_per_hour=acc.price_usd_per_hour)
    return sw


def best_split(model: "str | ModelSpec", accelerator: "str | Accelerator", n_devices: int, batch: ArrayLike,
               **kwargs: Any) -> Sweep:
    """For a fixed device count, the fastest feasible split at each batch size.

    Returns a :class:`Sweep` with one entry per batch (infeasible where no split fits).
    Keyword arguments go to :func:`sweep` (``constants``, ``context_tokens``, formats...).
    """
    b = at_least_one("batch", batch, integer=True).astype(np.int64).ravel()
    at_least_one("n_devices", n_devices, integer=True)
    sw = sweep(model, accelerator, device_counts=[int(n_devices)], batches=b, **kwargs)
    nb = b.size
    t = sw.token_seconds.reshape(-1, nb)
    pick = np.argmin(t, axis=0) * nb + np.arange(nb)
    keys = ("n_devices", "tp", "tp_heads", "pp", "ep", "batch", "token_seconds", "usd_per_million_tokens",
            "utilization", "feasible", "reason")
    return Sweep(**{k: getattr(sw, k)[pick] for k in keys}, meta=dict(sw.meta))
