"""What a replica serves: prompt and output length distributions, their traffic, the engine settings."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import as_float_array
from inferecon.specs.deployment import Deployment

__all__ = [
    "ALLOCATIONS",
    "LENGTH_KINDS",
    "SCHEDULES",
    "VLLM_BLOCK_TOKENS",
    "EngineConfig",
    "LengthDistribution",
    "Traffic",
    "fixed_length",
    "geometric_length",
    "lognormal_length",
]


LENGTH_KINDS = ("fixed", "geometric", "lognormal")


#: How prefills share a replica with decoding: a prefill pass pauses the batch (vLLM before
#: chunking), prompt chunks ride in the decode steps (Sarathi-Serve :cite:`agrawal2024taming`),
#: or separate prefill and decode pools (DistServe :cite:`zhong2024distserve`, Splitwise
#: :cite:`patel2024splitwise`).
SCHEDULES = ("interleaved", "chunked", "disaggregated")


#: KV-cache allocation: paged blocks on demand (vLLM) or a contiguous region reserving the
#: maximum length per sequence (Orca, FasterTransformer).
ALLOCATIONS = ("paged", "contiguous")


#: vLLM's default KV block size in tokens :cite:`kwon2023efficient`.
VLLM_BLOCK_TOKENS = 16


_GRID = 2048  # quantile points of a length distribution


def _arr(name: str, value: object) -> NDArray[np.float64]:
    if isinstance(value, str | bytes) or (
        isinstance(value, list | tuple) and any(isinstance(v, str | bytes) for v in value)
    ):
        raise ValueError(f"{name} must be a number, got the string {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    arr = as_float_array(name, value)  # type: ignore[arg-type]
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def _scalar(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    integer: bool = False,
) -> float:
    arr = _arr(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {value!r}")
    x = float(arr.ravel()[0])
    rng = f"{'(' if low_open else '['}{low:g}, {high:g}{']' if math.isfinite(high) else ')'}"
    if not math.isfinite(x) or (x <= low if low_open else x < low) or x > high:
        raise ValueError(f"{name} must lie in {rng}, got {value!r}")
    if integer and x != round(x):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return x


def _rates(name: str, value: object) -> NDArray[np.float64]:
    arr = _arr(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        raise ValueError(
            f"{name} must be > 0 and finite (requests per second), got {arr[bad].ravel()[:3].tolist()}"
        )
    return arr


def _deployment(d: object) -> Deployment:
    if not isinstance(d, Deployment):
        raise ValueError(
            f"deployment must be a Deployment (build one with inferecon.specs.deployment."
            f"deployment), got {d!r}"
        )
    return d


def _choice(name: str, value: object, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value


_NORMAL = NormalDist()


@functools.lru_cache(maxsize=8)
def _grid_normal_quantiles(n: int) -> NDArray[np.float64]:
    """Standard normal quantiles at ``(i + 1/2)/n``, computed once per ``n`` (an explorer asks for the
    same grid on every update; ``NormalDist.inv_cdf`` is a Python call per point)."""
    z = np.array([_NORMAL.inv_cdf((i + 0.5) / n) for i in range(n)])
    z.flags.writeable = False
    return z


@dataclass(frozen=True, slots=True, kw_only=True)
class LengthDistribution:
    """Tokens per prompt or per output: whole numbers in ``[1, maximum]``.

    ``kind`` is ``"fixed"`` (always ``mean``), ``"geometric"`` (on 1, 2, ... with mean
    ``mean``, coefficient of variation :math:`\\sqrt{1 - 1/m}`) or ``"lognormal"`` (``mean``
    and ``cv`` of the continuous law, rounded to whole tokens). Both random laws are clipped
    at ``maximum`` (default: their 99.9th percentile), which a contiguous allocator reserves.
    :attr:`mean` and :attr:`second_moment` are those of the clipped, rounded law, from the
    quantile function on a fine grid; the simulation samples the same quantile function.
    """

    kind: str
    mean_parameter: float
    cv: float = 0.0
    maximum: int = 0

    def __post_init__(self) -> None:
        _choice("kind", self.kind, LENGTH_KINDS)
        m = _scalar("mean", self.mean_parameter, 1.0)
        object.__setattr__(self, "mean_parameter", m)
        cv = _scalar("cv", self.cv, 0.0, 10.0)
        if self.kind == "lognormal" and cv <= 0:
            raise ValueError(f"cv must be > 0 for a lognormal length, got {self.cv!r} (use fixed_length)")
        object.__setattr__(self, "cv", cv)
        if self.kind == "fixed":
            if m != round(m):
                raise ValueError(f"mean must be a whole number of tokens for a fixed length, got {m!r}")
            mx = int(m)
        elif self.maximum in (0, None):
            mx = int(self._raw_quantile(np.array([0.999]))[0])
        else:
            mx = int(_scalar("maximum", self.maximum, 1.0, integer=True))
        object.__setattr__(self, "maximum", max(mx, 1))

    def _raw_quantile(
        self, u: NDArray[np.float64], z: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """The law's quantiles at ``u``; ``z``, if given, are the standard normal quantiles at ``u``."""
        m = self.mean_parameter
        if self.kind == "fixed":
            return np.full(u.shape, m)
        if self.kind == "geometric":
            if m <= 1.0:
                return np.ones(u.shape)
            p = 1.0 / m
            return np.maximum(np.ceil(np.log1p(-u) / math.log1p(-p)), 1.0)
        s2 = math.log1p(self.cv**2)
        mu = math.log(m) - s2 / 2.0
        if z is None:
            z = np.array([_NORMAL.inv_cdf(float(x)) for x in u.ravel()]).reshape(u.shape)
        return np.maximum(np.round(np.exp(mu + math.sqrt(s2) * z)), 1.0)

    def quantile(self, u: ArrayLike) -> NDArray[np.float64]:
        """Tokens at probability ``u`` in (0, 1) (whole numbers, clipped to ``[1, maximum]``)."""
        uu = _arr("u", u)
        if ((uu <= 0) | (uu >= 1)).any():
            raise ValueError(f"u must lie in (0, 1), got {uu[(uu <= 0) | (uu >= 1)].ravel()[:3].tolist()}")
        return np.minimum(self._raw_quantile(uu), float(self.maximum))

    def grid(self, n: int = _GRID) -> NDArray[np.float64]:
        """``n`` equally likely values (the quantiles at the midpoints ``(i + 1/2)/n``)."""
        u = (np.arange(n) + 0.5) / n
        z = _grid_normal_quantiles(n) if self.kind == "lognormal" else None
        return np.minimum(self._raw_quantile(u, z), float(self.maximum))

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """``n`` independent draws (the same clipped, rounded law as :meth:`quantile`)."""
        m = self.mean_parameter
        if self.kind == "fixed":
            x = np.full(n, m)
        elif self.kind == "geometric":
            x = rng.geometric(1.0 / m, n).astype(float) if m > 1 else np.ones(n)
        else:
            s2 = math.log1p(self.cv**2)
            x = np.maximum(np.round(rng.lognormal(math.log(m) - s2 / 2.0, math.sqrt(s2), n)), 1.0)
        return np.asarray(np.minimum(x, float(self.maximum)), dtype=np.float64)

    @property
    def mean(self) -> float:
        """Mean tokens of the clipped, rounded law."""
        return float(self.grid().mean())

    @property
    def second_moment(self) -> float:
        """:math:`E[X^2]` of the clipped, rounded law."""
        g = self.grid()
        return float((g * g).mean())


def fixed_length(tokens: float) -> LengthDistribution:
    """Every request has exactly ``tokens`` tokens."""
    return LengthDistribution(kind="fixed", mean_parameter=tokens)


def geometric_length(mean: float, maximum: int | None = None) -> LengthDistribution:
    """Geometric on 1, 2, ... with mean ``mean`` (a memoryless stop: each token ends the output
    with probability :math:`1/m`), clipped at ``maximum``."""
    return LengthDistribution(kind="geometric", mean_parameter=mean, maximum=maximum or 0)


def lognormal_length(mean: float, cv: float, maximum: int | None = None) -> LengthDistribution:
    """Lognormal with mean ``mean`` and coefficient of variation ``cv``, rounded, clipped at ``maximum``."""
    return LengthDistribution(kind="lognormal", mean_parameter=mean, cv=cv, maximum=maximum or 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Independent prompt and output lengths of the requests a replica receives."""

    prompt: LengthDistribution
    output: LengthDistribution

    def __post_init__(self) -> None:
        for name in ("prompt", "output"):
            if not isinstance(getattr(self, name), LengthDistribution):
                raise ValueError(f"{name} must be a LengthDistribution, got {getattr(self, name)!r}")

    @property
    def decode_tokens(self) -> float:
        """Mean tokens per request made by decode steps, :math:`E[O - 1]`."""
        return self.output.mean - 1.0

    @property
    def decode_context(self) -> float:
        """Context a decode step attends to, averaged over steps:
        :math:`E[P] + E[O(O-1)]/(2E[O-1])` (the step that makes token :math:`j` sees
        :math:`P + j - 1` tokens)."""
        o = self.output.grid()
        m1 = float((o - 1.0).mean())
        extra = float((o * (o - 1.0)).mean()) / (2.0 * m1) if m1 > 0 else 0.0
        return self.prompt.mean + extra

    @property
    def max_tokens(self) -> int:
        """Longest sequence, prompt plus output maxima (what a contiguous allocator reserves)."""
        return self.prompt.maximum + self.output.maximum


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """How the engine schedules prefills and allocates the KV cache.

    ``chunk_tokens`` is the prefill budget per iteration beside the decode tokens (chunked
    scheduling); ``reserve_tokens`` what a contiguous allocator reserves per sequence (default
    the traffic's :attr:`Traffic.max_tokens`); ``kv_transfer_bytes_per_s`` the link that moves a
    prompt's cache from the prefill pool to the decode pool (disaggregated; 50 GB/s, a 400 Gb/s
    NIC).
    """

    scheduling: str = "interleaved"
    allocation: str = "paged"
    block_tokens: int = VLLM_BLOCK_TOKENS
    chunk_tokens: int = 512
    reserve_tokens: int = 0
    kv_transfer_bytes_per_s: float = 50e9

    def __post_init__(self) -> None:
        _choice("scheduling", self.scheduling, SCHEDULES)
        _choice("allocation", self.allocation, ALLOCATIONS)
        for name, low in (("block_tokens", 1), ("chunk_tokens", 1), ("reserve_tokens", 0)):
            object.__setattr__(self, name, int(_scalar(name, getattr(self, name), low, integer=True)))
        link = _scalar("kv_transfer_bytes_per_s", self.kv_transfer_bytes_per_s, 0.0, low_open=True)
        object.__setattr__(self, "kv_transfer_bytes_per_s", link)
