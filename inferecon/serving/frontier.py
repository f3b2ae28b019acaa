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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, positive
from inferecon.serving.constants import BOUNDS, INFEASIBLE_REASONS, ConstantSet, bound_names
from inferecon.serving.network import Interconnect
from inferecon.serving.parallelism import SpeedsMixin, _evaluate, _no_strings, _number, _reason_words, resolve
from inferecon.specs.deployment import Deployment
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat

__all__ = [
    "Configurations",
    "Frontier",
    "Sweep",
    "best_split",
    "default_batches",
    "default_device_counts",
    "implied_batch",
    "pareto_mask",
    "preferred_point",
    "structural_configurations",
    "sweep",
]


def default_device_counts(max_devices: int = 512, node_size: int = 8) -> NDArray[np.int64]:
    """Every integer up to two nodes, then whole nodes: 1, 2, ..., 16, 24, 32, ... (<= ``max_devices``).

    Renting capacity comes in whole nodes beyond a node or two; pass an explicit list to
    :func:`sweep` to search other counts.
    """
    _no_strings("max_devices", max_devices)
    _no_strings("node_size", node_size)
    at_least_one("max_devices", max_devices, integer=True)
    at_least_one("node_size", node_size, integer=True)
    node = max(1, min(int(node_size), 8))
    small = np.arange(1, min(2 * node, max_devices) + 1)
    big = np.arange(3 * node, max_devices + 1, node)
    return np.unique(np.concatenate([small, big])).astype(np.int64)


def default_batches(max_batch: float = 16384, n: int = 64) -> NDArray[np.int64]:
    """``n`` log-spaced whole batch sizes from 1 to ``max_batch`` (duplicates removed)."""
    _no_strings("max_batch", max_batch)
    _no_strings("n", n)
    at_least_one("max_batch", max_batch)
    at_least_one("n", n, integer=True)
    return np.unique(np.round(np.geomspace(1, max_batch, int(n)))).astype(np.int64)


def _divisors(n: int) -> NDArray[np.int64]:
    d = np.arange(1, n + 1, dtype=np.int64)
    return np.asarray(d[n % d == 0], dtype=np.int64)


@lru_cache(maxsize=64)
def _structural(
    device_counts: tuple[int, ...],
    n_heads: int,
    n_layers: int,
    n_routed: int,
    d_model: int,
    max_pp: int,
    allow_ep: bool,
) -> tuple[NDArray[np.int64], ...]:
    n = np.asarray(device_counts, dtype=np.int64)
    pp = np.arange(1, max_pp + 1, dtype=np.int64)
    ok = (n[:, None] % pp[None, :] == 0) & (pp[None, :] <= n_layers)
    i, j = np.nonzero(ok)
    n1, pp1 = n[i], pp[j]
    t1 = n1 // pp1
    heads = _divisors(n_heads)
    eps = _divisors(n_routed) if (n_routed and allow_ep) else np.array([1], dtype=np.int64)
    ok2 = (
        (t1[:, None, None] % heads[None, :, None] == 0)
        & (d_model % np.maximum(t1[:, None, None] // heads[None, :, None], 1) == 0)
        & (t1[:, None, None] % eps[None, None, :] == 0)
    )
    a, h, e = np.nonzero(ok2)
    return n1[a], pp1[a], t1[a], heads[h], eps[e]


@dataclass(frozen=True)
class Configurations:
    """Valid splits of device counts (flat arrays of equal length, one entry per split)."""

    n_devices: NDArray[np.int64]
    pp: NDArray[np.int64]
    tp: NDArray[np.int64]
    tp_heads: NDArray[np.int64]
    ep: NDArray[np.int64]

    @property
    def size(self) -> int:
        """Number of splits."""
        return int(self.tp.size)

    def column(self, name: str) -> NDArray[np.int64]:
        """One of the arrays by name (``"tp"``, ``"pp"``...)."""
        if name not in ("n_devices", "pp", "tp", "tp_heads", "ep"):
            raise ValueError(f"name must be one of n_devices, pp, tp, tp_heads, ep; got {name!r}")
        arr: NDArray[np.int64] = getattr(self, name)
        return arr


def _device_counts(acc: Accelerator, device_counts: ArrayLike | None, max_devices: int) -> tuple[int, ...]:
    if device_counts is None:
        return tuple(int(c) for c in default_device_counts(max_devices, acc.scaleup_domain))
    _no_strings("device_counts", device_counts)
    return tuple(
        int(c) for c in at_least_one("device_counts", np.asarray(device_counts), integer=True).ravel()
    )


def structural_configurations(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    device_counts: ArrayLike | None = None,
    *,
    max_devices: int = 512,
    max_pp: int = 64,
    allow_ep: bool = True,
) -> Configurations:
    """Every valid split of each device count: ``n = tp * pp``, ``tp_heads | gcd(tp, n_heads)``,
    ``(tp / tp_heads) | d_model``, ``ep | gcd(tp, n_routed_experts)``, ``pp <= min(max_pp, n_layers)``.

    ``device_counts`` defaults to :func:`default_device_counts` up to ``max_devices`` with the
    accelerator's scale-up domain as the node. Returns :class:`Configurations` (vectorized with
    divisibility masks; cached per model shape).
    """
    acc = accelerator if isinstance(accelerator, Accelerator) else get_accelerator(accelerator)
    m = get_model(model)
    counts = _device_counts(acc, device_counts, max_devices)
    _no_strings("max_pp", max_pp)
    at_least_one("max_pp", max_pp, integer=True)
    n, pp, tp, h, e = _structural(
        counts, m.n_heads, m.n_layers, m.n_routed_experts, m.d_model, int(max_pp), bool(allow_ep)
    )
    return Configurations(n_devices=n, pp=pp, tp=tp, tp_heads=h, ep=e)


@dataclass(frozen=True)
class Sweep(SpeedsMixin):
    """Every configuration of a sweep (flat arrays, one entry per configuration).

    ``feasible`` marks the configurations that fit and respect the demand cap; ``reason``
    holds :data:`inferecon.serving.constants.INFEASIBLE_REASONS` bits for the others, whose
    speed is 0 and cost ``inf`` (:meth:`reason_text` spells them out). ``bound_code`` is the
    largest term of each step (:attr:`bound` names it: ``"memory"``, ``"compute"``,
    ``"network"``, ``"pipeline"``, ``"kernel launch"`` or ``"infeasible"``).
    ``deployment`` is the description evaluated (model, accelerator as used, formats,
    utilizations, price; its layout is not the sweep's, which varies); ``meta`` the same
    facts as a read-only mapping, plus the constant set and the demand cap.
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
    bound_code: NDArray[np.int64]
    hbm_bytes_per_device: NDArray[np.float64]
    deployment: Deployment
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of configurations evaluated."""
        return int(self.batch.size)

    @property
    def bound(self) -> NDArray[np.str_]:
        """Name of the largest term of each configuration's step
        (:data:`~inferecon.serving.constants.BOUNDS`)."""
        return bound_names(self.bound_code)

    def reason_text(self, i: int) -> str:
        """Why configuration ``i`` is infeasible, in words (``""`` if it is feasible)."""
        k = self._index(i)
        cap = self.deployment.hbm_fraction * self.deployment.accelerator.hbm_bytes
        return _reason_words(int(self.reason[k]), float(self.hbm_bytes_per_device[k]), cap)

    def _index(self, i: int) -> int:
        if isinstance(i, (bool, str)) or int(i) != i or not -self.size <= int(i) < self.size:
            raise ValueError(f"i must be a whole number in [0, {self.size - 1}], got {i!r}")
        return int(i)

    def row(self, i: int) -> dict[str, Any]:
        """Configuration ``i`` as a plain dict (with its ``bound`` and, if infeasible, ``reason_text``)."""
        i = self._index(i)
        return {
            "n_devices": int(self.n_devices[i]),
            "tp": int(self.tp[i]),
            "tp_heads": int(self.tp_heads[i]),
            "pp": int(self.pp[i]),
            "ep": int(self.ep[i]),
            "batch": int(self.batch[i]),
            "tokens_per_s_per_request": float(self.tokens_per_s_per_request[i]),
            "usd_per_million_tokens": float(self.usd_per_million_tokens[i]),
            "utilization": float(self.utilization[i]),
            "feasible": bool(self.feasible[i]),
            "reason": int(self.reason[i]),
            "bound": BOUNDS[int(self.bound_code[i])],
            "reason_text": self.reason_text(i),
        }

    def reason_counts(self) -> dict[str, int]:
        """How many configurations each infeasibility reason excludes (they can overlap)."""
        return {msg: int(np.count_nonzero(self.reason & bit)) for bit, msg in INFEASIBLE_REASONS.items()}

    def frontier(self) -> Frontier:
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
        arr: NDArray[Any] = getattr(self.sweep, name)[self.index]
        return arr

    def row(self, k: int) -> dict[str, Any]:
        """Frontier point ``k`` (0 = slowest and cheapest) as a dict."""
        if isinstance(k, (bool, str)) or int(k) != k or not -self.index.size <= int(k) < self.index.size:
            raise ValueError(f"k must be a whole number in [0, {self.index.size - 1}], got {k!r}")
        return self.sweep.row(int(self.index[int(k)]))

    @property
    def bound(self) -> NDArray[np.str_]:
        """What bounds each frontier point's step (``"memory"``, ``"network"``...)."""
        return bound_names(self.sweep.bound_code[self.index])

    def _nonempty(self) -> None:
        if self.index.size == 0:
            counts = ", ".join(f"{k}: {v}" for k, v in self.sweep.reason_counts().items() if v)
            raise ValueError(f"no configuration of the sweep is feasible: the frontier is empty ({counts})")

    @property
    def max_speed(self) -> float:
        """Fastest serial speed any configuration reaches."""
        self._nonempty()
        return float(self.tokens_per_s_per_request[-1])

    @property
    def min_cost(self) -> float:
        """Cheapest cost any configuration reaches."""
        self._nonempty()
        return float(self.usd_per_million_tokens[0])

    def cost_at_speed(self, tokens_per_s: ArrayLike) -> NDArray[np.float64]:
        """Cheapest cost among configurations at least this fast (inf if none)."""
        _no_strings("tokens_per_s", tokens_per_s)
        v = positive("tokens_per_s", tokens_per_s)
        self._nonempty()
        speeds, costs = self.tokens_per_s_per_request, self.usd_per_million_tokens
        k = np.searchsorted(speeds, v, side="left")
        return np.where(k < speeds.size, costs[np.minimum(k, speeds.size - 1)], np.inf)

    def speed_at_cost(self, usd_per_million_tokens: ArrayLike) -> NDArray[np.float64]:
        """Fastest serial speed among configurations at most this expensive (0 if none)."""
        _no_strings("usd_per_million_tokens", usd_per_million_tokens)
        c = positive("usd_per_million_tokens", usd_per_million_tokens)
        self._nonempty()
        speeds, costs = self.tokens_per_s_per_request, self.usd_per_million_tokens
        k = np.searchsorted(costs, c, side="right") - 1
        return np.where(k >= 0, speeds[np.maximum(k, 0)], 0.0)


def _pareto_sorted(v: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.bool_]:
    order = np.argsort(-v, kind="stable")
    vs, cs = v[order], c[order]
    starts = np.flatnonzero(np.concatenate([[True], vs[1:] != vs[:-1]]))
    gmin = np.minimum.reduceat(cs, starts)  # cheapest of each equal-speed group
    faster_min = np.concatenate([[np.inf], np.minimum.accumulate(gmin)[:-1]])
    keep_group = gmin < faster_min
    sizes = np.diff(np.concatenate([starts, [vs.size]]))
    group = np.repeat(np.arange(starts.size), sizes)
    cand = np.flatnonzero(keep_group[group] & (cs == gmin[group]))
    _, first = np.unique(group[cand], return_index=True)  # one point per kept group
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
    for name, x in (("speed", speed), ("cost", cost)):
        if np.asarray(x).dtype.kind in "USOb":
            raise ValueError(f"{name} must be numbers, got {x!r}")
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
    piv = piv[np.argsort(v[piv], kind="stable")]  # speeds and costs both rise
    pv, pc = v[piv], c[piv]
    j = np.searchsorted(pv, v, side="left")  # first pivot at least as fast
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
    if not isinstance(frontier, Frontier):
        raise ValueError(f"frontier must be a Frontier (Sweep.frontier()), got {type(frontier).__name__}")
    frontier._nonempty()
    a = alpha if alpha is not None else frontier.sweep.meta["preference_alpha"]
    a = _number("alpha", a, low_open=True)
    score = a * np.log(frontier.tokens_per_s_per_request) - np.log(frontier.usd_per_million_tokens)
    return int(np.argmax(score))


def implied_batch(
    tokens_per_s_per_request: ArrayLike,
    utilization: ArrayLike,
    n_devices: ArrayLike,
    peak_flop_per_s: ArrayLike,
    flop_per_token: ArrayLike,
) -> NDArray[np.float64]:
    """The batch that a reported (speed, utilization) pair implies, whatever the step model.

    Utilization is :math:`u = b\\,v\\,F/(N\\,C)`, so :math:`b = u N C/(v F)`. Erdil's opening
    example (70 tok/s at 15% on 8 H100s at :math:`10^{15}` FLOP/s, Llama 3 70B) implies
    :math:`b \\approx 120`.
    """
    for name, x in (
        ("tokens_per_s_per_request", tokens_per_s_per_request),
        ("utilization", utilization),
        ("n_devices", n_devices),
        ("peak_flop_per_s", peak_flop_per_s),
        ("flop_per_token", flop_per_token),
    ):
        _no_strings(name, x)
    v = positive("tokens_per_s_per_request", tokens_per_s_per_request)
    u = fraction("utilization", utilization)
    n = at_least_one("n_devices", n_devices)
    return (
        u
        * n
        * positive("peak_flop_per_s", peak_flop_per_s)
        / (v * positive("flop_per_token", flop_per_token))
    )


def _sweep_core(
    dep: Deployment,
    net: Interconnect,
    cs: ConstantSet,
    conf: Configurations,
    batches: NDArray[np.int64],
    demand: float,
    chunk: int,
) -> Sweep:
    """Every split of ``conf`` at every batch, on the deployment as given (no look-ups)."""
    k = conf.size
    nb = batches.size
    total = k * nb
    out_t = np.empty(total)
    out_usd = np.empty(total)
    out_u = np.empty(total)
    out_h = np.empty(total)
    out_r = np.empty(total, dtype=np.int64)
    out_b = np.empty(total, dtype=np.int64)
    rows_per_chunk = max(1, chunk // nb)
    bcol = batches.astype(float)[None, :]
    ctx = np.asarray(dep.context_tokens, dtype=float)
    for s in range(0, k, rows_per_chunk):  # chunks bound memory; each chunk is fully vectorized
        sl = slice(s, min(k, s + rows_per_chunk))
        col = {key: conf.column(key)[sl].astype(float)[:, None] for key in ("tp", "tp_heads", "pp", "ep")}
        res = _evaluate(dep, net, cs, col["tp"], col["tp_heads"], col["pp"], col["ep"], bcol, ctx, demand)
        a, b = s * nb, min(k, s + rows_per_chunk) * nb
        out_t[a:b] = res.token_seconds.ravel()
        out_usd[a:b] = res.usd_per_million_tokens.ravel()
        out_u[a:b] = res.utilization.ravel()
        out_h[a:b] = res.hbm_bytes_per_device.ravel()
        out_r[a:b] = res.reason.ravel()
        out_b[a:b] = res.bound_code.ravel()

    def rep(x: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.repeat(x, nb)

    acc, m = dep.accelerator, dep.model
    meta = MappingProxyType(
        dict(
            model=m.id,
            model_name=m.name,
            accelerator=acc.id,
            accelerator_name=acc.name,
            constants=cs.id,
            preference_alpha=cs.preference_alpha,
            context_tokens=dep.context_tokens,
            weight_format=dep.weight_format.id,
            kv_format=dep.kv_format.id,
            demand_tokens_per_s=demand,
            price_usd_per_hour=dep.price_usd_per_hour,
        )
    )
    return Sweep(
        n_devices=rep(conf.n_devices),
        tp=rep(conf.tp),
        tp_heads=rep(conf.tp_heads),
        pp=rep(conf.pp),
        ep=rep(conf.ep),
        batch=np.tile(batches, k),
        token_seconds=out_t,
        usd_per_million_tokens=out_usd,
        utilization=out_u,
        feasible=out_r == 0,
        reason=out_r,
        bound_code=out_b,
        hbm_bytes_per_device=out_h,
        deployment=dep,
        meta=meta,
    )


def sweep(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None = None,
    *,
    constants: str | ConstantSet = "erdil-paper",
    context_tokens: float | None = None,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    activation_bytes: float = 2.0,
    device_counts: ArrayLike | None = None,
    max_devices: int = 512,
    batches: ArrayLike | None = None,
    max_batch: float | None = None,
    n_batches: int = 64,
    max_pp: int = 64,
    allow_ep: bool = True,
    demand_tokens_per_s: float = math.inf,
    chunk: int = 1_000_000,
) -> Sweep:
    """Evaluate every valid configuration (devices x split x batch) of one model on one accelerator.

    Parameters
    ----------
    accelerator, model : a catalogue id gets the constant set's overrides (the ``"erdil-paper"``
        set's ``"h100-sxm"`` is Erdil's H100 at $2/h); an
        :class:`~inferecon.specs.hardware.Accelerator` is used exactly as given (a $20/h
        H100 gives ten times the cost of a $2/h one); a whole
        :class:`~inferecon.specs.deployment.Deployment` may be passed as ``accelerator`` with
        ``model`` None (its formats, context, utilizations, HBM fraction and price are used;
        its layout is not, the sweep searches splits). See
        :func:`inferecon.serving.parallelism.resolve`.
    context_tokens : tokens in each sequence's KV cache (default: the Deployment's, else 0).
    device_counts : integer device counts to try; default :func:`default_device_counts`.
    batches : whole batch sizes (non-empty); default :func:`default_batches` up to ``max_batch``
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
    if context_tokens is None:
        ctx = accelerator.context_tokens if isinstance(accelerator, Deployment) else 0.0
    else:
        ctx = _number("context_tokens", context_tokens)
    dep, net, cs = resolve(
        accelerator,
        model,
        constants=constants,
        weight_format=weight_format,
        kv_format=kv_format,
        context_tokens=ctx,
        activation_bytes=activation_bytes,
    )
    if dep.context_tokens != ctx:
        dep = replace(dep, context_tokens=ctx)
    dem = _number("demand_tokens_per_s", demand_tokens_per_s, low_open=True, allow_inf=True)
    for name, v in (
        ("max_devices", max_devices),
        ("n_batches", n_batches),
        ("max_pp", max_pp),
        ("chunk", chunk),
    ):
        _number(name, v, low=1)
        at_least_one(name, v, integer=True)
    conf = structural_configurations(
        dep.accelerator, dep.model, device_counts, max_devices=max_devices, max_pp=max_pp, allow_ep=allow_ep
    )
    m = dep.model
    if batches is None:
        mb = (
            _number("max_batch", max_batch, low=1)
            if max_batch is not None
            else 16384 * m.matmul_params / m.active_matmul_params
        )
        b = default_batches(mb, n_batches)
    else:
        _no_strings("batches", batches)
        b = at_least_one("batches", np.asarray(batches), integer=True).astype(np.int64).ravel()
    return _sweep_core(dep, net, cs, conf, b, dem, int(chunk))


def best_split(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None,
    n_devices: int,
    batch: ArrayLike,
    **kwargs: Any,
) -> Sweep:
    """For a fixed device count, the fastest feasible split at each batch size.

    Returns a :class:`Sweep` with one entry per batch (infeasible where no split fits, with
    the reasons of the first split tried). Keyword arguments go to :func:`sweep`
    (``constants``, ``context_tokens``, formats...).
    """
    _no_strings("batch", batch)
    b = at_least_one("batch", batch, integer=True).astype(np.int64).ravel()
    n = int(_number("n_devices", n_devices, low=1))
    at_least_one("n_devices", n, integer=True)
    sw = sweep(accelerator, model, device_counts=[n], batches=b, **kwargs)
    nb = b.size
    if sw.size == 0:
        raise ValueError(
            f"no valid split of {n} devices for {sw.deployment.model.name} "
            f"(tp_heads must divide the heads and tp, pp at most the layers)"
        )
    t = sw.token_seconds.reshape(-1, nb)
    pick = np.argmin(t, axis=0) * nb + np.arange(nb)
    keys = (
        "n_devices",
        "tp",
        "tp_heads",
        "pp",
        "ep",
        "batch",
        "token_seconds",
        "usd_per_million_tokens",
        "utilization",
        "feasible",
        "reason",
        "bound_code",
        "hbm_bytes_per_device",
    )
    return replace(sw, **{k: getattr(sw, k)[pick] for k in keys})
