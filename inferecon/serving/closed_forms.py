"""Erdil's closed forms: the latency floor of a token and the square-root law of speed against cost."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, positive
from inferecon.serving.constants import ConstantSet
from inferecon.serving.network import ring_allreduce_latency_seconds
from inferecon.serving.parallelism import _number, resolve
from inferecon.specs.deployment import Deployment
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec
from inferecon.specs.precision import NumberFormat

__all__ = [
    "min_latency_gpu_count",
    "min_latency_gpu_seconds_per_token",
    "min_token_latency_seconds",
    "model_min_token_latency_seconds",
    "simple_token_latency_seconds",
    "sqrt_law_latency_seconds",
    "sqrt_law_tokens_per_second",
]


def simple_token_latency_seconds(
    n_gpu: ArrayLike,
    params: ArrayLike,
    bytes_per_param: ArrayLike,
    n_layers: ArrayLike,
    n_reduce: ArrayLike,
    hbm_bytes_per_s: ArrayLike,
    hop_seconds: ArrayLike = 1e-6,
    batch: ArrayLike = 1.0,
    flop_per_s: ArrayLike = math.inf,
) -> NDArray[np.float64]:
    """Erdil §2.2's token latency with tensor parallelism and network latency only (eq. 3, 5).

    .. math:: T = L\\,n_r\\,2 t_\\mathrm{hop}(\\sqrt{N_\\mathrm{GPU}} - 1)
              + \\max\\Bigl(\\frac{p N}{N_\\mathrm{GPU} B}, \\frac{2 N b}{N_\\mathrm{GPU} C}\\Bigr)

    With the default ``flop_per_s = inf`` the arithmetic term vanishes (eq. 9, any
    :math:`b \\le b^*`). :math:`N_\\mathrm{GPU}` is continuous here, as in the paper.
    """
    ng = at_least_one("n_gpu", n_gpu)
    n = positive("params", params)
    p = positive("bytes_per_param", bytes_per_param)
    lay = positive("n_layers", n_layers)
    nr = positive("n_reduce", n_reduce)
    bw = positive("hbm_bytes_per_s", hbm_bytes_per_s)
    b = at_least_one("batch", batch)
    c = positive("flop_per_s", flop_per_s, allow_inf=True)
    mem = p * n / (ng * bw)
    comp = 2.0 * n * b / (ng * c)
    return lay * nr * ring_allreduce_latency_seconds(ng, hop_seconds) + np.maximum(mem, comp)


def _k_and_m(
    params: ArrayLike,
    bytes_per_param: ArrayLike,
    n_layers: ArrayLike,
    n_reduce: ArrayLike,
    hbm_bytes_per_s: ArrayLike,
    hop_seconds: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = positive("n_layers", n_layers) * positive("n_reduce", n_reduce) * positive("hop_seconds", hop_seconds)
    mm = (
        positive("params", params)
        * positive("bytes_per_param", bytes_per_param)
        / positive("hbm_bytes_per_s", hbm_bytes_per_s)
    )
    return k, mm


def min_latency_gpu_count(
    params: ArrayLike,
    bytes_per_param: ArrayLike,
    n_layers: ArrayLike,
    n_reduce: ArrayLike,
    hbm_bytes_per_s: ArrayLike,
    hop_seconds: ArrayLike = 1e-6,
) -> NDArray[np.float64]:
    """GPU count minimizing eq. 9's latency, Erdil eq. 13.

    .. math:: N_\\mathrm{GPU}^* = \\max\\Bigl(\\frac{p N}{L\\,n_r\\,t_\\mathrm{hop}\\,B}, 1\\Bigr)^{2/3}
    """
    k, mm = _k_and_m(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    return np.maximum(mm / k, 1.0) ** (2.0 / 3.0)


def min_token_latency_seconds(
    params: ArrayLike,
    bytes_per_param: ArrayLike,
    n_layers: ArrayLike,
    n_reduce: ArrayLike,
    hbm_bytes_per_s: ArrayLike,
    hop_seconds: ArrayLike = 1e-6,
) -> NDArray[np.float64]:
    """Minimum token latency of eq. 9 over the GPU count, Erdil eq. 14.

    .. math:: T_\\min = 3\\,(L n_r t_\\mathrm{hop})^{2/3}\\,(pN/B)^{1/3} - 2\\,L n_r t_\\mathrm{hop}

    (when :math:`N^*_\\mathrm{GPU} = 1` the latency is :math:`pN/B`). Its leading term
    (eq. 18) gives the laws: :math:`T \\propto B^{-1/3}` and :math:`\\propto p^{1/3}`, and with
    :math:`L \\propto N^{1/4}` (Chinchilla-like shapes), :math:`T \\propto \\sqrt N`.
    """
    k, mm = _k_and_m(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    interior = 3.0 * k ** (2.0 / 3.0) * mm ** (1.0 / 3.0) - 2.0 * k
    return np.where(mm / k > 1.0, interior, mm)


def min_latency_gpu_seconds_per_token(
    params: ArrayLike,
    flop_per_s: ArrayLike,
    bytes_per_param: ArrayLike,
    n_layers: ArrayLike,
    n_reduce: ArrayLike,
    hbm_bytes_per_s: ArrayLike,
    hop_seconds: ArrayLike = 1e-6,
) -> NDArray[np.float64]:
    """GPU-seconds per token at the minimum-latency point with :math:`b = b^* = pC/(2B)` (eq. 15-17).

    .. math::
        \\frac{N^*_\\mathrm{GPU} T_\\min}{b^*}
        = \\frac{2N}{C}\\Bigl(3 - 2\\bigl(\\tfrac{L n_r t_\\mathrm{hop} B}{pN}\\bigr)^{1/3}\\Bigr)
              \\approx 3\\cdot\\frac{2N}{C}

    i.e. at most three times the cost of pure arithmetic.
    """
    n_gpu = min_latency_gpu_count(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    t = min_token_latency_seconds(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    b_star = (
        positive("bytes_per_param", bytes_per_param)
        * positive("flop_per_s", flop_per_s)
        / (2.0 * positive("hbm_bytes_per_s", hbm_bytes_per_s))
    )
    return n_gpu * t / b_star


def model_min_token_latency_seconds(
    accelerator: str | Accelerator | Deployment = "h100-sxm",
    model: str | ModelSpec | None = None,
    weight_format: str | NumberFormat = "bf16",
    constants: str | ConstantSet = "erdil-paper",
    hop_seconds: float = 1e-6,
) -> float:
    """Erdil's closed-form minimum latency (eq. 14) for a model on an accelerator.

    Uses the model's matmul parameters (the weights a step reads), its layers and
    all-reduces per layer (2 for PaLM's parallel layers, else 4), the weight format's bytes
    and the deployment's sustained HBM bandwidth :math:`u_B B`. ``accelerator`` and ``model``
    are resolved as in :func:`inferecon.serving.parallelism.resolve`: a catalogue id gets the
    constant set's overrides and bandwidth utilization, an
    :class:`~inferecon.specs.hardware.Accelerator` is used as given (with the set's
    utilization), a :class:`~inferecon.specs.deployment.Deployment` whole. A *prediction*
    function: chapter 7 compares it with Pope et al.'s measured best latencies.
    """
    if model is None and not isinstance(accelerator, Deployment):
        raise ValueError("model is required (a catalogue id or a ModelSpec)")
    hop = _number("hop_seconds", hop_seconds, low_open=True)
    dep, _, _ = resolve(accelerator, model, constants=constants, weight_format=weight_format)
    m = dep.model
    bw = dep.bandwidth_utilization * dep.accelerator.hbm_bytes_per_s
    return float(
        min_token_latency_seconds(
            m.matmul_params, dep.weight_format.bytes_per_element, m.n_layers, m.n_allreduce_per_layer, bw, hop
        )
    )


def sqrt_law_latency_seconds(
    reference_seconds: ArrayLike, reference_params: ArrayLike, params: ArrayLike
) -> NDArray[np.float64]:
    """Best achievable token latency scaled by the square-root law (Erdil eq. 19).

    .. math:: T(N) = T_\\mathrm{ref}\\sqrt{N / N_\\mathrm{ref}}

    Examples
    --------
    Pope et al.'s 4 ms for PaLM 8B predicts about 11 ms for 62B (they measured 13):

    >>> round(float(sqrt_law_latency_seconds(4e-3, 8e9, 62e9)) * 1e3, 2)
    11.14
    """
    return positive("reference_seconds", reference_seconds) * np.sqrt(
        positive("params", params) / positive("reference_params", reference_params)
    )


def sqrt_law_tokens_per_second(
    reference_tokens_per_s: ArrayLike, reference_params: ArrayLike, params: ArrayLike
) -> NDArray[np.float64]:
    """Best serial speed scaled by the square-root law,
    :math:`v(N) = v_\\mathrm{ref}\\sqrt{N_\\mathrm{ref}/N}`.

    Erdil: Llama 3 8B at 400 tok/s predicts about 135 tok/s for 70B and 56 tok/s for 405B.
    """
    return positive("reference_tokens_per_s", reference_tokens_per_s) * np.sqrt(
        positive("reference_params", reference_params) / positive("params", params)
    )
