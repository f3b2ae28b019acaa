"""Turning time into money: dollars per token from a step time and an hourly price.

A replica of :math:`n` devices rented at :math:`P` dollars per device-hour that produces
:math:`b` tokens every :math:`t` seconds costs

.. math:: \\$/\\mathrm{M} = 10^6 \\cdot \\frac{n\\,t}{b} \\cdot \\frac{P}{3600}

per million tokens :cite:`erdil2025inference` (§2.1, eq. 2). The ``decode_*`` and
``prefill_*`` helpers feed it the roofline times of :mod:`inferecon.serving.roofline`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon.serving import roofline
from inferecon._validate import at_least_one, fraction, non_negative, positive
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format
from inferecon.units import HOUR_S, MONTH_S, TOKENS_PER_MILLION

__all__ = ["usd_per_million_tokens", "tokens_per_second", "model_flop_utilization", "monthly_usd",
           "decode_usd_per_million_tokens", "prefill_usd_per_million_tokens",
           "decode_floor_usd_per_million_tokens", "DecodeEconomics", "decode_economics"]


def tokens_per_second(step_seconds: ArrayLike, batch: ArrayLike) -> NDArray[np.float64]:
    """Aggregate generation throughput of one replica, :math:`b / t_\\mathrm{step}`."""
    return at_least_one("batch", batch) / positive("step_seconds", step_seconds)


def usd_per_million_tokens(step_seconds: ArrayLike, batch: ArrayLike,
                           price_usd_per_hour: ArrayLike, n_devices: ArrayLike = 1) -> NDArray[np.float64]:
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


def model_flop_utilization(tokens_per_second: ArrayLike, flop_per_token: ArrayLike,
                           peak_flop_per_s: ArrayLike, n_devices: ArrayLike = 1) -> NDArray[np.float64]:
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
    return r * f / (n * c)


def monthly_usd(price_usd_per_hour: ArrayLike, n_devices: ArrayLike = 1) -> NDArray[np.float64]:
    """Rent of ``n_devices`` kept busy for a month (:data:`inferecon.units.MONTH_S`, 730 h)."""
    price = positive("price_usd_per_hour", price_usd_per_hour)
    n = at_least_one("n_devices", n_devices)
    return n * price * MONTH_S / HOUR_S


def _price(acc: Accelerator, price_usd_per_hour: ArrayLike | None) -> NDArray[np.float64]:
    return positive("price_usd_per_hour",
                    acc.price_usd_per_hour if price_usd_per_hour is None else price_usd_per_hour)


def decode_usd_per_million_tokens(accelerator: "str | Accelerator", model: "str | ModelSpec",
                                  batch: ArrayLike, context_tokens: ArrayLike = 0.0, *,
                                  weight_format: "str | NumberFormat" = "bf16",
                                  kv_format: "str | NumberFormat" = "bf16",
                                  flop_utilization: ArrayLike = 1.0,
                                  bandwidth_utilization: ArrayLike = 1.0,
                                  n_devices: ArrayLike = 1,
                                  price_usd_per_hour: ArrayLike | None = None) -> NDArray[np.float64]:
    """$ per million output tokens at the decode roofline (price defaults to the catalogue's).

    While memory-bound with negligible KV reads, :math:`t` does not depend on :math:`b`, so
    the cost falls as :math:`1/b`; above :math:`b^*` it is flat at
    :math:`10^6 (2N/u_C C) P/3600`.
    """
    acc = get_accelerator(accelerator)
    t = roofline.decode_step_seconds(acc, model, batch, context_tokens, weight_format=weight_format,
                                     kv_format=kv_format, flop_utilization=flop_utilization,
                                     bandwidth_utilization=bandwidth_utilization, n_devices=n_devices)
    return usd_per_million_tokens(t, batch, _price(acc, price_usd_per_hour), n_devices)


def prefill_usd_per_million_tokens(accelerator: "str | Accelerator", model: "str | ModelSpec",
                                   prompt_tokens: ArrayLike, batch: ArrayLike = 1, *,
                                   weight_format: "str | NumberFormat" = "bf16",
                                   kv_format: "str | NumberFormat" = "bf16",
                                   flop_utilization: ArrayLike = 1.0,
                                   bandwidth_utilization: ArrayLike = 1.0,
                                   n_devices: ArrayLike = 1,
                                   price_usd_per_hour: ArrayLike | None = None) -> NDArray[np.float64]:
    """$ per million input (prompt) tokens: a prefill pass processes :math:`bP` tokens."""
    acc = get_accelerator(accelerator)
    p = at_least_one("prompt_tokens", prompt_tokens)
    b = at_least_one("batch", batch)
    t = roofline.prefill_seconds(acc, model, p, b, weight_format=weight_format, kv_format=kv_format,
                                 flop_utilization=flop_utilization,
                                 bandwidth_utilization=bandwidth_utilization, n_devices=n_devices)
    return usd_per_million_tokens(t, b * p, _price(acc, price_usd_per_hour), n_devices)


def decode_floor_usd_per_million_tokens(accelerator: "str | Accelerator", model: "str | ModelSpec",
                                        context_tokens: ArrayLike = 0.0, *,
                                        weight_format: "str | NumberFormat" = "bf16",
                                        kv_format: "str | NumberFormat" = "bf16",
                                        flop_utilization: ArrayLike = 1.0,
                                        bandwidth_utilization: ArrayLike = 1.0,
                                        price_usd_per_hour: ArrayLike | None = None) -> NDArray[np.float64]:
    """Cost per million output tokens as the batch grows without bound (weights amortized away).

    .. math:: \\lim_{b\\to\\infty} \\$/\\mathrm{M} = 10^6 \\cdot \\frac{P}{3600}\\cdot
              \\max\\left(\\frac{\\ell k_\\mathrm{kv}}{u_B B},\\; \\frac{2N_\\mathrm{active} + a\\ell}{u_C C}\\right)

    The first term is Erdil's KV-read floor (§4): Mistral Large 2 at 100K tokens reads 36 GB
    of KV per token, :math:`36\\,\\mathrm{PB}/3.3\\,\\mathrm{TB/s}\\times \\$2/\\mathrm{h}
    \\approx \\$6.06` per million tokens. Capacity is ignored (no real batch is infinite); the
    floor is a bound no batch size can beat.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    wf = get_format(weight_format)
    ctx = non_negative("context_tokens", context_tokens)
    uc = fraction("flop_utilization", flop_utilization)
    ub = fraction("bandwidth_utilization", bandwidth_utilization)
    kv = ctx * m.kv_bytes_per_token(get_format(kv_format).bytes_per_element) / (ub * acc.hbm_bytes_per_s)
    comp = m.flop_per_token(ctx) / (uc * acc.peak_flop_per_s(wf.compute_precision))
    return TOKENS_PER_MILLION * np.maximum(kv, comp) * _price(acc, price_usd_per_hour) / HOUR_S


@dataclass(frozen=True, slots=True)
class DecodeEconomics:
    """Everything the roofline says about one decode operating point (arrays broadcast).

    Attributes
    ----------
    step_seconds, memory_seconds, compute_seconds : step time and its two terms.
    tokens_per_second : aggregate output tokens/s of the replica, :math:`b/t`.
    tokens_per_second_per_sequence : speed one user sees, :math:`1/t`.
    usd_per_million_tokens : cost per million output tokens.
    mfu : model FLOP utilization against the dense peak.
    bound : ``"memory"`` or ``"compute"``.
    """

    step_seconds: NDArray[np.float64]
    memory_seconds: NDArray[np.float64]
    compute_seconds: NDArray[np.float64]
    tokens_per_second: NDArray[np.float64]
    tokens_per_second_per_sequence: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]
    mfu: NDArray[np.float64]
    bound: NDArray[np.str_]


def decode_economics(accelerator: "str | Accelerator", model: "str | ModelSpec",
                     batch: ArrayLike, context_tokens: ArrayLike = 0.0, *,
                     weight_format: "str | NumberFormat" = "bf16",
                     kv_format: "str | NumberFormat" = "bf16",
                     flop_utilization: ArrayLike = 1.0,
                     bandwidth_utilization: ArrayLike = 1.0,
                     n_devices: ArrayLike = 1,
                     price_usd_per_hour: ArrayLike | None = None) -> DecodeEconomics:
    """Step time, throughput, speed per user, $/M, MFU and bound of a decode operating point."""
    acc = get_accelerator(accelerator)
    kw = dict(weight_format=weight_format)
    mem = roofline.decode_memory_seconds(acc, model, batch, context_tokens, kv_format=kv_format,
                                         bandwidth_utilization=bandwidth_utilization,
                                         n_devices=n_devices, **kw)
    comp = roofline.decode_compute_seconds(acc, model, batch, context_tokens,
                                           flop_utilization=flop_utilization, n_devices=n_devices, **kw)
    step = np.maximum(mem, comp)
    b = at_least_one("batch", batch)
    u = fraction("flop_utilization", flop_utilization)
    return DecodeEconomics(
        step_seconds=step, memory_seconds=mem, compute_seconds=comp,
        tokens_per_second=tokens_per_second(step, b),
        tokens_per_second_per_sequence=1.0 / step,
        usd_per_million_tokens=usd_per_million_tokens(step, b, _price(acc, price_usd_per_hour), n_devices),
        mfu=u * comp / step,
        bound=np.where(mem >= comp, "memory", "compute"),
    )
