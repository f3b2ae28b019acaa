"""Speculative decoding: a small draft model proposes, the target model verifies.

Each verification step the draft model generates :math:`\\gamma` tokens one at a time; the
target model then runs **one** forward pass over those :math:`\\gamma` tokens plus one more
position (:math:`\\gamma + 1` query tokens per sequence), accepts the longest prefix of drafts
that its own sampling agrees with, and always emits one token of its own (a correction
after the first rejection, or a bonus token when all :math:`\\gamma` drafts are accepted).
The output distribution is exactly the target model's :cite:`leviathan2023fast,chen2023accelerating`.

If each draft token is accepted independently with probability :math:`\\alpha`, the number of
tokens one step yields is :math:`1 + \\min(K, \\gamma)` with :math:`K` the number of leading
acceptances, so

.. math::
    E[\\text{tokens per step}] = \\sum_{i=0}^{\\gamma} \\alpha^i
                               = \\frac{1 - \\alpha^{\\gamma + 1}}{1 - \\alpha}

(Leviathan et al. 2023, eq. 1). Erdil's paper (§4.1) prints
:math:`(1-\\alpha^{\\gamma})/(1-\\alpha)`, which drops the bonus token; his notebook uses the
formula above and verifies with a :math:`\\gamma+1`-token pass :cite:`erdil2025inference`.
The paper's version is wrong: at :math:`\\gamma = 1` it would yield one token per step
whatever :math:`\\alpha`, although a step that accepts its one draft emits two tokens.

Times come from the same roofline as plain decoding (:mod:`inferecon.serving.roofline`): the draft
model's :math:`\\gamma` decode steps plus the target's verification pass, both on the same
devices (they take turns), so a step costs :math:`\\gamma\\,t_Q + t_P^{(\\gamma+1)}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative, positive
from inferecon.serving import costs
from inferecon.serving.frontier import pareto_mask
from inferecon.serving.roofline import decode_compute_seconds, decode_memory_seconds, decode_step_seconds
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat

__all__ = [
    "ERDIL_FIXED_COST_GAINS",
    "REFERENCE_ACCEPTANCE",
    "SpeculativeFrontier",
    "erdil_layer_latency_seconds",
    "erdil_paper_tokens_per_step",
    "expected_tokens_per_step",
    "fixed_cost_speed_gain",
    "frontier",
    "leviathan_speedup",
    "optimal_draft_tokens",
    "pareto_front",
    "plain_step_seconds",
    "seconds_per_token",
    "simulate_tokens_per_step",
    "speculative_step_seconds",
    "speed_at_cost",
    "speedup",
    "usd_per_million_tokens",
    "verification_step_seconds",
]

#: Throughput gains at fixed cost from speculative decoding reported by Erdil (2025, §4.1):
#: +66% for Llama 3 70B and 2x for Llama 3.1 405B.
ERDIL_FIXED_COST_GAINS: dict[str, float] = {"llama-3-70b": 1.66, "llama-3.1-405b": 2.0}

#: Acceptance rate Erdil (2025, §4.1) takes as reference for Llama-family drafts at
#: temperature 1 (observed range 0.7-0.9).
REFERENCE_ACCEPTANCE = 0.8


def _acceptance(alpha: ArrayLike) -> NDArray[np.float64]:
    return fraction("acceptance", alpha, low_open=False, high_open=True)


def _draft_tokens(gamma: ArrayLike) -> NDArray[np.float64]:
    g = non_negative("draft_tokens", gamma)
    if (g != np.round(g)).any():
        bad = g[g != np.round(g)].ravel()
        raise ValueError(f"draft_tokens must be a whole number >= 0, got {bad[0]!r}")
    return g


def expected_tokens_per_step(acceptance: ArrayLike, draft_tokens: ArrayLike) -> NDArray[np.float64]:
    """Expected tokens emitted per verification step (Leviathan et al. 2023, eq. 1).

    .. math:: E = \\frac{1 - \\alpha^{\\gamma + 1}}{1 - \\alpha}

    Parameters
    ----------
    acceptance : per-token acceptance probability :math:`\\alpha \\in [0, 1)` (i.i.d.).
    draft_tokens : draft length :math:`\\gamma`, a whole number >= 0 (0 = no speculation).

    Returns 1 at :math:`\\alpha = 0` and tends to :math:`\\gamma + 1` as :math:`\\alpha \\to 1`.

    Examples
    --------
    >>> float(expected_tokens_per_step(0.8, 4))  # 1 + .8 + .64 + .512 + .4096
    3.3616
    """
    a, g = np.broadcast_arrays(_acceptance(acceptance), _draft_tokens(draft_tokens))
    return np.asarray((1.0 - a ** (g + 1.0)) / (1.0 - a), dtype=float)


def erdil_paper_tokens_per_step(acceptance: ArrayLike, draft_tokens: ArrayLike) -> NDArray[np.float64]:
    """The expression printed in Erdil (2025) §4.1, :math:`(1 - \\alpha^{\\gamma})/(1 - \\alpha)`.

    The mean of :math:`\\min(K + 1, \\gamma)`: the convention without a bonus token, where a
    step emits at most :math:`\\gamma` tokens. It equals :func:`expected_tokens_per_step` (the
    bonus-token convention of Leviathan et al. and of Erdil's notebook) minus
    :math:`\\alpha^\\gamma`, the probability that every draft is accepted.
    """
    a, g = np.broadcast_arrays(_acceptance(acceptance), _draft_tokens(draft_tokens))
    return np.asarray((1.0 - a**g) / (1.0 - a), dtype=float)


def simulate_tokens_per_step(
    acceptance: float, draft_tokens: int, n_steps: int = 100_000, seed: int = 0
) -> NDArray[np.float64]:
    """Monte-Carlo tokens per step: draw each draft's acceptance, stop at the first rejection.

    A step emits the accepted prefix plus one target token. Returns the array of
    ``n_steps`` per-step token counts (vectorized: one ``(n_steps, gamma)`` draw), so the
    mean and its standard error can both be read off.
    """
    a = float(_acceptance(acceptance))
    g = int(_draft_tokens(draft_tokens))
    n = int(at_least_one("n_steps", n_steps, integer=True))
    rng = np.random.default_rng(seed)
    accepted = rng.random((n, g)) < a
    leading = np.cumprod(accepted, axis=1).sum(axis=1) if g else np.zeros(n)
    return leading.astype(float) + 1.0


def verification_step_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    draft_tokens: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> NDArray[np.float64]:
    """Roofline time of the target's verification pass over :math:`\\gamma + 1` tokens per sequence.

    .. math::
        t_P^{(\\gamma+1)} = \\max\\left(
            \\frac{p_w N_\\mathrm{read}(b(\\gamma+1)) + b\\,\\ell\\,k_\\mathrm{kv}}{u_B B},\\;
                          \\frac{b(\\gamma+1)(2N + a\\ell)}{u_C C}\\right)

    The weights (and, for an MoE, the experts the :math:`b(\\gamma+1)` tokens touch) and each
    sequence's KV cache are read once; the arithmetic grows with :math:`\\gamma + 1`. Built
    from :func:`inferecon.serving.roofline.decode_memory_seconds` and ``decode_compute_seconds``.
    """
    b = at_least_one("batch", batch)
    q = _draft_tokens(draft_tokens) + 1.0

    def mem(n: ArrayLike, ctx: ArrayLike) -> NDArray[np.float64]:
        return decode_memory_seconds(
            accelerator,
            model,
            n,
            ctx,
            weight_format=weight_format,
            kv_format=kv_format,
            bandwidth_utilization=bandwidth_utilization,
        )

    weights = mem(b * q, 0.0)
    kv = mem(b, context_tokens) - mem(b, 0.0)
    comp = decode_compute_seconds(
        accelerator,
        model,
        b * q,
        context_tokens,
        weight_format=weight_format,
        flop_utilization=flop_utilization,
    )
    return np.maximum(weights + kv, comp)


def speculative_step_seconds(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: ArrayLike,
    draft_tokens: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    layer_latency_seconds: ArrayLike = 0.0,
    **roofline_kw: Any,
) -> NDArray[np.float64]:
    """Time of one speculative step: :math:`\\gamma` draft decode steps plus one verification.

    .. math:: t_\\mathrm{step} = \\gamma\\,(t_Q(b, \\ell) + L_Q\\lambda)
              + t_P^{(\\gamma+1)}(b, \\ell) + L_P\\lambda

    Draft and target share the devices and the number formats in ``roofline_kw``
    (``weight_format``, ``kv_format``, ``flop_utilization``, ``bandwidth_utilization``).
    ``layer_latency_seconds`` :math:`\\lambda` is a fixed latency every forward pass pays per
    layer (:math:`L` layers), e.g. Erdil's kernel launches and tensor-parallel all-reduces,
    :math:`n_\\mathrm{reduce}(t_\\mathrm{reduce} + t_\\mathrm{kernel})`; 0 is the pure roofline.
    """
    g = _draft_tokens(draft_tokens)
    lam = non_negative("layer_latency_seconds", layer_latency_seconds)
    t_q = decode_step_seconds(accelerator, draft, batch, context_tokens, **roofline_kw)
    t_q = t_q + get_model(draft).n_layers * lam
    t_p = verification_step_seconds(accelerator, target, batch, g, context_tokens, **roofline_kw)
    return g * t_q + t_p + get_model(target).n_layers * lam


def seconds_per_token(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: ArrayLike,
    acceptance: ArrayLike,
    draft_tokens: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    layer_latency_seconds: ArrayLike = 0.0,
    **roofline_kw: Any,
) -> NDArray[np.float64]:
    """Mean time between tokens of one sequence, :math:`t_\\mathrm{step} / E[\\text{tokens}]`.

    With ``draft_tokens = 0`` this is plain decoding's step time.
    """
    e = expected_tokens_per_step(acceptance, draft_tokens)
    return (
        speculative_step_seconds(
            accelerator,
            target,
            draft,
            batch,
            draft_tokens,
            context_tokens,
            layer_latency_seconds,
            **roofline_kw,
        )
        / e
    )


def plain_step_seconds(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    layer_latency_seconds: ArrayLike = 0.0,
    **roofline_kw: Any,
) -> NDArray[np.float64]:
    """Plain decode step with the same per-layer latency: :math:`t_P(b, \\ell) + L_P\\lambda`."""
    lam = non_negative("layer_latency_seconds", layer_latency_seconds)
    return (
        decode_step_seconds(accelerator, target, batch, context_tokens, **roofline_kw)
        + get_model(target).n_layers * lam
    )


def speedup(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: ArrayLike,
    acceptance: ArrayLike,
    draft_tokens: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    layer_latency_seconds: ArrayLike = 0.0,
    **roofline_kw: Any,
) -> NDArray[np.float64]:
    """Plain decode step time over speculative time per token, at the same batch.

    .. math:: S = \\frac{t_P^{(1)}(b)\\, E[\\text{tokens}]}{\\gamma t_Q(b) + t_P^{(\\gamma+1)}(b)}

    It is also the cost ratio per token at that batch (same devices, same time).
    """
    plain = plain_step_seconds(
        accelerator, target, batch, context_tokens, layer_latency_seconds, **roofline_kw
    )
    return plain / seconds_per_token(
        accelerator,
        target,
        draft,
        batch,
        acceptance,
        draft_tokens,
        context_tokens,
        layer_latency_seconds,
        **roofline_kw,
    )


def usd_per_million_tokens(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: ArrayLike,
    acceptance: ArrayLike,
    draft_tokens: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    price_usd_per_hour: ArrayLike | None = None,
    layer_latency_seconds: ArrayLike = 0.0,
    **roofline_kw: Any,
) -> NDArray[np.float64]:
    """Dollars per million generated tokens with speculative decoding.

    .. math::
        \\$/\\mathrm{M} = 10^6\\,\\frac{t_\\mathrm{step}}{b\\,E[\\text{tokens}]}
                        \\cdot\\frac{\\text{price}}{3600}

    ``price_usd_per_hour`` defaults to the accelerator's; the draft model's time is paid for.
    """
    acc = get_accelerator(accelerator)
    price = acc.price_usd_per_hour if price_usd_per_hour is None else price_usd_per_hour
    b = at_least_one("batch", batch)
    step = speculative_step_seconds(
        acc, target, draft, b, draft_tokens, context_tokens, layer_latency_seconds, **roofline_kw
    )
    return costs.usd_per_million_tokens(step, b * expected_tokens_per_step(acceptance, draft_tokens), price)


def optimal_draft_tokens(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: ArrayLike,
    acceptance: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    max_draft_tokens: int = 16,
    layer_latency_seconds: float = 0.0,
    **roofline_kw: Any,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Draft length :math:`\\gamma^* \\in \\{0, \\dots, \\gamma_\\max\\}` that maximizes :func:`speedup`.

    Returns ``(gamma_star, speedup_at_gamma_star)``, broadcast over the other inputs;
    :math:`\\gamma^* = 0` means speculation does not pay (speedup 1). The search is a vectorized
    sweep over a trailing :math:`\\gamma` axis.
    """
    gmax = int(at_least_one("max_draft_tokens", max_draft_tokens, integer=True))
    b = np.asarray(at_least_one("batch", batch))[..., None]
    a = np.asarray(_acceptance(acceptance))[..., None]
    ctx = np.asarray(non_negative("context_tokens", context_tokens))[..., None]
    gammas = np.arange(gmax + 1, dtype=float)
    s = speedup(accelerator, target, draft, b, a, gammas, ctx, layer_latency_seconds, **roofline_kw)
    idx = np.argmax(s, axis=-1)
    best = np.take_along_axis(s, idx[..., None], axis=-1)[..., 0]
    return gammas[idx], best


def leviathan_speedup(
    acceptance: ArrayLike, draft_tokens: ArrayLike, cost_coefficient: ArrayLike
) -> NDArray[np.float64]:
    """Leviathan et al.'s walltime improvement with a draft/target time ratio :math:`c`.

    .. math:: S = \\frac{1 - \\alpha^{\\gamma+1}}{(1 - \\alpha)(\\gamma c + 1)}

    (their Theorem 3.8). It assumes the verification pass costs one plain target step,
    which the roofline confirms only while :math:`b(\\gamma+1)` stays below :math:`b^*`.
    """
    c = non_negative("cost_coefficient", cost_coefficient)
    return expected_tokens_per_step(acceptance, draft_tokens) / (_draft_tokens(draft_tokens) * c + 1.0)


def pareto_front(speed: ArrayLike, cost: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points not dominated in (higher speed, lower cost), sorted by speed (cost rises too).

    The package's one Pareto rule, :func:`inferecon.serving.frontier.pareto_mask`: a point
    is dropped if another is at least as fast and at least as cheap, and strictly better in
    one; of exact duplicates one is kept.
    """
    keep = pareto_mask(speed, cost)  # validates: numbers, equal lengths, no NaN
    sv, cv = np.ravel(np.asarray(speed, dtype=float))[keep], np.ravel(np.asarray(cost, dtype=float))[keep]
    order = np.argsort(sv, kind="stable")
    return sv[order], cv[order]


def speed_at_cost(front_speed: ArrayLike, front_cost: ArrayLike, cost: ArrayLike) -> NDArray[np.float64]:
    """Fastest speed on a front whose cost is at most ``cost`` (0 where none is that cheap)."""
    s = np.asarray(front_speed, dtype=float)
    c = np.asarray(front_cost, dtype=float)
    if s.shape != c.shape or s.size == 0:
        raise ValueError(
            f"front_speed and front_cost must be non-empty and of equal length, got {s.size} and {c.size}"
        )
    q = positive("cost", cost)
    order = np.argsort(c)
    s_best = np.maximum.accumulate(s[order])
    idx = np.searchsorted(c[order], q, side="right") - 1
    return np.where(idx >= 0, s_best[np.clip(idx, 0, None)], 0.0)


@dataclass(frozen=True)
class SpeculativeFrontier:
    """Speed-cost Pareto fronts with and without speculation (from :func:`frontier`).

    Each front is sorted by speed (tokens per second per request; cost in $ per million
    tokens rises with it). ``plain_batch`` is the batch of each plain point; ``spec_batch``
    and ``spec_draft_tokens`` the batch and draft length :math:`\\gamma` of each speculative
    one (:math:`\\gamma = 0` is plain decoding). ``plain_bound``/``spec_bound`` say whether
    the target's pass at that point is limited by HBM reads (``"memory"``) or arithmetic
    (``"compute"``). The fronts are roofline bounds on an ideal replica; capacity is not
    checked (pass batches that fit).
    """

    acceptance: float
    plain_speed: NDArray[np.float64]
    plain_cost: NDArray[np.float64]
    plain_batch: NDArray[np.float64]
    plain_bound: NDArray[np.str_]
    spec_speed: NDArray[np.float64]
    spec_cost: NDArray[np.float64]
    spec_batch: NDArray[np.float64]
    spec_draft_tokens: NDArray[np.float64]
    spec_bound: NDArray[np.str_]


def _front(speed: NDArray[np.float64], cost: NDArray[np.float64]) -> NDArray[np.int64]:
    """Indices of the Pareto points of flat arrays, by increasing speed."""
    idx = np.flatnonzero(pareto_mask(speed, cost))
    return idx[np.argsort(speed[idx], kind="stable")]


def frontier(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    acceptance: float,
    context_tokens: float = 0.0,
    batches: ArrayLike | None = None,
    max_draft_tokens: int = 12,
    layer_latency_seconds: float = 0.0,
    **roofline_kw: Any,
) -> SpeculativeFrontier:
    """Speed-cost Pareto fronts with and without speculation on one (ideal) replica.

    Speed is tokens per second per request, :math:`1/t_\\mathrm{token}`; cost is $ per million
    tokens. The plain front sweeps the batch; the speculative front sweeps batch and draft
    length :math:`\\gamma \\in \\{0..\\gamma_\\max\\}` together (a vectorized grid). Capacity is
    not checked: pass ``batches`` that fit (e.g. up to
    :func:`inferecon.serving.memory.max_batch`). The accelerator is used as given (its
    price included).
    """
    acc = get_accelerator(accelerator)
    a = float(_acceptance(acceptance))
    ctx = float(non_negative("context_tokens", context_tokens))
    if batches is not None and np.size(batches) == 0:
        raise ValueError("batches must not be empty")
    b = np.arange(1.0, 2049.0) if batches is None else at_least_one("batch", batches, integer=True)
    b = np.ravel(b)
    g = np.arange(int(at_least_one("max_draft_tokens", max_draft_tokens, integer=True)) + 1.0)
    lam = float(non_negative("layer_latency_seconds", layer_latency_seconds))
    t_plain = plain_step_seconds(acc, target, b, ctx, lam, **roofline_kw)
    plain_cost = costs.usd_per_million_tokens(t_plain, b, acc.price_usd_per_hour)
    bb, gg = np.broadcast_arrays(b[:, None], g[None, :])
    tok = seconds_per_token(acc, target, draft, bb, a, gg, ctx, lam, **roofline_kw).ravel()
    spec_cost = np.ravel(usd_per_million_tokens(acc, target, draft, bb, a, gg, ctx, None, lam, **roofline_kw))
    kw_mem = {
        k: v for k, v in roofline_kw.items() if k in ("weight_format", "kv_format", "bandwidth_utilization")
    }
    kw_comp = {k: v for k, v in roofline_kw.items() if k in ("weight_format", "flop_utilization")}
    mem_p = decode_memory_seconds(acc, target, b, ctx, **kw_mem)
    comp_p = decode_compute_seconds(acc, target, b, ctx, **kw_comp)
    q = (gg + 1.0).ravel()
    mem_s = (
        decode_memory_seconds(acc, target, bb.ravel() * q, 0.0, **kw_mem)
        + decode_memory_seconds(acc, target, bb.ravel(), ctx, **kw_mem)
        - decode_memory_seconds(acc, target, bb.ravel(), 0.0, **kw_mem)
    )
    comp_s = decode_compute_seconds(acc, target, bb.ravel() * q, ctx, **kw_comp)

    def name(mem: NDArray[np.float64], comp: NDArray[np.float64]) -> NDArray[np.str_]:
        return np.where(comp > mem, "compute", "memory")

    ip, js = _front(1.0 / t_plain, plain_cost), _front(1.0 / tok, spec_cost)
    return SpeculativeFrontier(
        acceptance=a,
        plain_speed=1.0 / t_plain[ip],
        plain_cost=plain_cost[ip],
        plain_batch=b[ip],
        plain_bound=name(mem_p, comp_p)[ip],
        spec_speed=1.0 / tok[js],
        spec_cost=spec_cost[js],
        spec_batch=bb.ravel()[js].astype(float),
        spec_draft_tokens=gg.ravel()[js].astype(float),
        spec_bound=name(mem_s, comp_s)[js],
    )


def erdil_layer_latency_seconds(
    n_devices: int, n_reduce: int = 4, ranks: float | None = None, constants: str = "erdil-paper"
) -> float:
    """Per-layer fixed latency of a tensor-parallel forward pass in Erdil's model (§2.2, §3.3).

    .. math:: \\lambda = n_\\mathrm{reduce}\\,(t_\\mathrm{reduce} + t_\\mathrm{kernel})

    :math:`t_\\mathrm{reduce}` is the latency of an empty all-reduce over ``ranks`` devices
    in one node from :func:`inferecon.serving.network.collective_seconds` (NCCL LL fit:
    :math:`6.8 + 1.2(r - 1)` µs); ``ranks`` defaults to :math:`\\sqrt{n}`, Erdil's 2D layout.
    :math:`t_\\mathrm{kernel}` is the constant set's kernel-launch latency (4 µs), and
    :math:`n_\\mathrm{reduce} = 4` sequential matmuls per layer. One device: no all-reduce.
    """
    from inferecon.serving.constants import get_constants
    from inferecon.serving.network import collective_seconds

    n = int(at_least_one("n_devices", n_devices, integer=True))
    k = int(at_least_one("n_reduce", n_reduce, integer=True))
    r = np.sqrt(n) if ranks is None else float(at_least_one("ranks", ranks))
    t_reduce = 0.0 if n == 1 else float(collective_seconds("allreduce", r, 1, 0.0, constants=constants))
    return float(k * (t_reduce + get_constants(constants).kernel_launch_seconds))


def fixed_cost_speed_gain(front: SpeculativeFrontier, cost: ArrayLike) -> NDArray[np.float64]:
    """Speed with speculation over speed without, at the same $ per million tokens.

    Only costs that the plain front can reach are meaningful (elsewhere the ratio is inf).
    """
    if not isinstance(front, SpeculativeFrontier):
        raise ValueError(
            f"front must be a SpeculativeFrontier (speculative.frontier), got {type(front).__name__}"
        )
    plain = speed_at_cost(front.plain_speed, front.plain_cost, cost)
    spec = speed_at_cost(front.spec_speed, front.spec_cost, cost)
    with np.errstate(divide="ignore"):
        return np.where(plain > 0, spec / np.where(plain > 0, plain, 1.0), np.inf)
