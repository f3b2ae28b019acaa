"""Turning time into money: dollars per token from a step time and an hourly price.

A replica of :math:`n` devices rented at :math:`P` dollars per device-hour that produces
:math:`b` tokens every :math:`t` seconds costs

.. math:: \\$/\\mathrm{M} = 10^6 \\cdot \\frac{n\\,t}{b} \\cdot \\frac{P}{3600}

per million tokens :cite:`erdil2025inference` (§2.1, eq. 2). The ``decode_*`` and
``prefill_*`` helpers feed it the roofline times of :mod:`inferecon.serving.roofline` and
:mod:`inferecon.serving.prefill`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, non_negative, positive
from inferecon.serving import prefill, roofline
from inferecon.specs.deployment import (
    USABLE_HBM_FRACTION,
    context_argument,
    from_call,
)
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec
from inferecon.specs.precision import NumberFormat
from inferecon.units import HOUR_S, MONTH_S, TOKENS_PER_MILLION

__all__ = [
    "DecodeEconomics",
    "decode_economics",
    "decode_floor_usd_per_million_tokens",
    "decode_usd_per_million_tokens",
    "model_flop_utilization",
    "monthly_usd",
    "prefill_usd_per_million_tokens",
    "tokens_per_second",
    "usd_per_million_tokens",
]


def tokens_per_second(step_seconds: ArrayLike, batch: ArrayLike) -> NDArray[np.float64]:
    """Aggregate generation throughput of one replica, :math:`b / t_\\mathrm{step}`."""
    return at_least_one("batch", batch) / positive("step_seconds", step_seconds)


def usd_per_million_tokens(
    step_seconds: ArrayLike, batch: ArrayLike, price_usd_per_hour: ArrayLike, n_devices: ArrayLike = 1
) -> NDArray[np.float64]:
    """Cost of a million generated tokens.

    .. math:: \\$/\\mathrm{M} = 10^6 \\cdot \\frac{n_\\mathrm{dev}\\, t_\\mathrm{step}}{b}
              \\cdot \\frac{\\text{price per hour}}{3600}

    Parameters
    ----------
    step_seconds : time of one decode step (one token for each of ``batch`` sequences).
    batch : sequences per step (>= 1); for a prefill pass, the tokens it processes.
    price_usd_per_hour : price of one device-hour.
    n_devices : devices the replica occupies.
    """
    t = positive("step_seconds", step_seconds)
    b = at_least_one("batch", batch)
    price = positive("price_usd_per_hour", price_usd_per_hour)
    n = at_least_one("n_devices", n_devices)
    return TOKENS_PER_MILLION * n * t / b * price / HOUR_S


def model_flop_utilization(
    tokens_per_second: ArrayLike,
    flop_per_token: ArrayLike,
    peak_flop_per_s: ArrayLike,
    n_devices: ArrayLike = 1,
) -> NDArray[np.float64]:
    """Model FLOP utilization (MFU) of a measured throughput.

    .. math:: \\mathrm{MFU} = \\frac{\\text{tokens/s} \\cdot F_\\mathrm{token}}{n\\,C_\\mathrm{peak}}

    with :math:`F_\\mathrm{token}` the model's FLOPs per token (e.g.
    ``model.flop_per_token(context)``) and :math:`C_\\mathrm{peak}` the dense peak per device
    :cite:`chowdhery2022palm`. Erdil's opening example, Llama 3 70B at 70 tokens/s per user
    and 15% utilization on a DGX H100, is this equation solved for the batch.
    """
    r = non_negative("tokens_per_second", tokens_per_second)
    f = positive("flop_per_token", flop_per_token)
    c = positive("peak_flop_per_s", peak_flop_per_s)
    n = at_least_one("n_devices", n_devices)
    mfu = r * f / (n * c)
    if np.any(mfu > 1.0):
        worst = float(np.max(mfu))
        raise ValueError(
            f"tokens_per_second is impossible: it needs {worst:,.4g} times the devices' peak "
            f"FLOP/s (model FLOP utilization must lie in [0, 1]); check tokens_per_second, "
            f"flop_per_token, peak_flop_per_s and n_devices"
        )
    return mfu


def monthly_usd(price_usd_per_hour: ArrayLike, n_devices: ArrayLike = 1) -> NDArray[np.float64]:
    """Rent of ``n_devices`` kept busy for a month (:data:`inferecon.units.MONTH_S`, 730 h)."""
    price = positive("price_usd_per_hour", price_usd_per_hour)
    n = at_least_one("n_devices", n_devices)
    return n * price * MONTH_S / HOUR_S


def decode_usd_per_million_tokens(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    price_usd_per_hour: float | None = None,
    hbm_fraction: float = USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """$ per million output tokens at the decode roofline (price defaults to the accelerator's).

    While memory-bound with negligible KV reads, :math:`t` does not depend on :math:`b`, so
    the cost falls as :math:`1/b`; above :math:`b^*` it is flat at
    :math:`10^6 (2N/u_C C) P/3600`. Raises ValueError (what does not fit, by how much) if the
    weights and KV cache exceed the usable HBM: a configuration that does not fit has no price.
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
        price_usd_per_hour=price_usd_per_hour,
        hbm_fraction=hbm_fraction,
    )
    return (
        roofline.decode_step(d, batch, context_argument(context_tokens)).require_fit().usd_per_million_tokens
    )


def prefill_usd_per_million_tokens(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompt_tokens: ArrayLike,
    batch: ArrayLike = 1,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    price_usd_per_hour: float | None = None,
    hbm_fraction: float = USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """$ per million input (prompt) tokens: a prefill pass processes :math:`bP` tokens."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
        price_usd_per_hour=price_usd_per_hour,
        hbm_fraction=hbm_fraction,
    )
    return prefill.prefill_step(d, prompt_tokens, batch).require_fit().usd_per_million_tokens


def decode_floor_usd_per_million_tokens(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    price_usd_per_hour: float | None = None,
) -> NDArray[np.float64]:
    """Cost per million output tokens as the batch grows without bound (weights amortized away).

    .. math:: \\lim_{b\\to\\infty} \\$/\\mathrm{M} = 10^6 \\cdot \\frac{P}{3600}\\cdot
              \\max\\left(\\frac{\\ell k_\\mathrm{kv}}{u_B B},\\;
              \\frac{2N_\\mathrm{active} + a\\ell}{u_C C}\\right)

    The first term is Erdil's KV-read floor (§4): Mistral Large 2 at 100K tokens reads 36 GB
    of KV per token, :math:`36\\,\\mathrm{PB}/3.3\\,\\mathrm{TB/s}\\times \\$2/\\mathrm{h}
    \\approx \\$6.06` per million tokens. Capacity is ignored (no real batch is infinite); the
    floor is a bound no batch size can beat.
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=1,
        price_usd_per_hour=price_usd_per_hour,
    )
    ctx = non_negative("context_tokens", context_tokens)
    kv = ctx * d.kv_bytes_per_token / d.hbm_bytes_per_s
    comp = d.model.flop_per_token(ctx) / d.flop_per_s
    return TOKENS_PER_MILLION * np.maximum(kv, comp) * d.usd_per_s


@dataclass(frozen=True, slots=True)
class DecodeEconomics:
    """Everything the roofline says about one decode operating point (arrays broadcast).

    Attributes
    ----------
    step_seconds, memory_seconds, compute_seconds : step time and its two roofs.
    tokens_per_second : aggregate output tokens/s of the replica, :math:`b/t`.
    tokens_per_second_per_sequence : speed one user sees, :math:`1/t`.
    usd_per_million_tokens : cost per million output tokens.
    mfu : model FLOP utilization against the dense peak.
    bound : ``"memory"``, ``"compute"`` or ``"capacity"`` (does not fit in HBM).
    fits, shortfall_bytes : whether weights and KV fit in the usable HBM, and by how much not.

    Where a point does not fit, its step time and price are ``inf`` and its speeds and MFU 0:
    it is reported as infeasible, never priced.
    """

    step_seconds: NDArray[np.float64]
    memory_seconds: NDArray[np.float64]
    compute_seconds: NDArray[np.float64]
    tokens_per_second: NDArray[np.float64]
    tokens_per_second_per_sequence: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]
    mfu: NDArray[np.float64]
    bound: NDArray[np.str_]
    fits: NDArray[np.bool_]
    shortfall_bytes: NDArray[np.float64]


def decode_economics(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    price_usd_per_hour: float | None = None,
    hbm_fraction: float = USABLE_HBM_FRACTION,
) -> DecodeEconomics:
    """Step time, throughput, speed per user, $/M, MFU, bound and fit of a decode operating point."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
        price_usd_per_hour=price_usd_per_hour,
        hbm_fraction=hbm_fraction,
    )
    st = roofline.decode_step(d, batch, context_argument(context_tokens))
    step = st.seconds
    return DecodeEconomics(
        step_seconds=step,
        memory_seconds=st.memory_seconds,
        compute_seconds=st.compute_seconds,
        tokens_per_second=st.tokens_per_s,
        tokens_per_second_per_sequence=np.where(st.fits, 1.0 / np.where(st.fits, step, 1.0), 0.0),
        usd_per_million_tokens=st.usd_per_million_tokens,
        mfu=st.mfu,
        bound=st.bound,
        fits=st.fits,
        shortfall_bytes=st.shortfall_bytes,
    )
