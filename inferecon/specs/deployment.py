"""One description of a deployment: what runs, on what, in which formats, how it is split and priced.

Every serving function of the package (roofline, costs, parallelism, frontier, planner) reads a
:class:`Deployment` whole instead of six arguments side by side. It is built once, at the public
boundary, by :func:`deployment`, which resolves catalogue ids (``"h100-sxm"``, ``"llama-3-8b"``,
``"fp8"``) and validates every field; below that nothing is looked up again, so an
:class:`~inferecon.specs.hardware.Accelerator` or :class:`~inferecon.specs.models.ModelSpec` the
caller built is used exactly as given (its price, bandwidth and capacity included).

Fields
------
accelerator, model : the chip and the architecture.
weight_format, kv_format : storage formats of the weights and of the KV cache; the arithmetic
    runs at ``weight_format.compute_precision`` (16-bit for weight-only formats such as
    ``int4-g128``).
context_tokens : tokens already in each sequence's KV cache during decoding (:math:`\\ell`).
layout : how one replica is split (:class:`Layout`): tensor parallel degree ``tp`` (with its
    head-splitting axis ``tp_heads``), pipeline stages ``pp``, expert-parallel groups ``ep``.
    The roofline treats its ``n_devices = tp * pp`` devices as ideally sharded (no network);
    :mod:`inferecon.serving.parallelism` prices the network.
flop_utilization, bandwidth_utilization : sustained fractions :math:`u_C, u_B \\in (0, 1]` of
    peak FLOP/s and HBM bandwidth.
hbm_fraction : fraction of each device's HBM that weights and KV cache may fill
    (:data:`USABLE_HBM_FRACTION` by default).
price_usd_per_hour : price of one device-hour (:func:`deployment` takes the accelerator's own
    unless one is given).
activation_bytes : bytes per activation element sent over the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from numpy.typing import ArrayLike

from inferecon._validate import real
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = ["USABLE_HBM_FRACTION", "Deployment", "Layout", "context_argument", "deployment", "from_call"]

#: Fraction of the device-reported HBM (:attr:`inferecon.specs.hardware.Accelerator.hbm_bytes`)
#: that weights and KV cache may fill by default. The rest holds the CUDA/ROCm context and
#: runtime (about 0.5 GiB), activations and workspace of the largest step, CUDA graphs and
#: fragmentation. 0.9 is vLLM's default ``gpu_memory_utilization`` :cite:`kwon2023efficient`,
#: which caps weights, activations and KV together, so it is slightly optimistic for weights and
#: KV alone; pass ``hbm_fraction=1.0`` for the pure capacity bound.
USABLE_HBM_FRACTION = 0.9


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """How one replica is split over devices.

    ``tp`` devices per pipeline stage (tensor parallel), arranged on an
    :math:`r_a \\times r_b` grid whose head-splitting axis is ``tp_heads`` (:math:`r_b`;
    ``tp_heads = tp`` is Megatron's 1D layout, ``sqrt(tp)`` Erdil's 2D one); ``pp`` pipeline
    stages; ``ep`` expert-parallel groups per stage (MoE only). ``n_devices = tp * pp``.
    """

    tp: int = 1
    tp_heads: int = 0
    pp: int = 1
    ep: int = 1

    def __post_init__(self) -> None:
        for name in ("tp", "pp", "ep"):
            v = real(name, getattr(self, name), low=1, integer=True)
            object.__setattr__(self, name, int(v))
        heads = self.tp if self.tp_heads in (0, None) else self.tp_heads
        h = int(real("tp_heads", heads, low=1, high=self.tp, integer=True))
        if self.tp % h:
            raise ValueError(f"tp_heads must divide tp = {self.tp}, got {h}")
        object.__setattr__(self, "tp_heads", h)

    @property
    def n_devices(self) -> int:
        """Devices one replica occupies, ``tp * pp``."""
        return self.tp * self.pp


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """A model served on an accelerator: formats, context, layout, utilization and price.

    Build it with :func:`deployment` (which accepts catalogue ids); the constructor takes the
    resolved objects and validates every field. ``replace(d, ...)`` (or :meth:`with_`) gives
    a changed copy, validated again.
    """

    accelerator: Accelerator
    model: ModelSpec
    weight_format: NumberFormat
    kv_format: NumberFormat
    context_tokens: float = 0.0
    layout: Layout = field(default_factory=Layout)
    flop_utilization: float = 1.0
    bandwidth_utilization: float = 1.0
    hbm_fraction: float = USABLE_HBM_FRACTION
    price_usd_per_hour: float
    activation_bytes: float = 2.0

    def __post_init__(self) -> None:
        for name, kind in (
            ("accelerator", Accelerator),
            ("model", ModelSpec),
            ("weight_format", NumberFormat),
            ("kv_format", NumberFormat),
            ("layout", Layout),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(
                    f"{name} must be a {kind.__name__} (use inferecon.specs.deployment.deployment "
                    f"to pass catalogue ids), got {getattr(self, name)!r}"
                )

        def set_(name: str, value: float) -> None:
            object.__setattr__(self, name, value)

        set_("context_tokens", real("context_tokens", self.context_tokens, low=0))
        set_(
            "flop_utilization", real("flop_utilization", self.flop_utilization, low=0, high=1, low_open=True)
        )
        set_(
            "bandwidth_utilization",
            real("bandwidth_utilization", self.bandwidth_utilization, low=0, high=1, low_open=True),
        )
        set_("hbm_fraction", real("hbm_fraction", self.hbm_fraction, low=0, high=1, low_open=True))
        set_("price_usd_per_hour", real("price_usd_per_hour", self.price_usd_per_hour, low=0, low_open=True))
        set_("activation_bytes", real("activation_bytes", self.activation_bytes, low=0, low_open=True))
        self.accelerator.peak_flop_per_s(self.weight_format.compute_precision)  # raises if unsupported

    # ---- what the roofline reads
    @property
    def n_devices(self) -> int:
        """Devices of one replica (``layout.tp * layout.pp``)."""
        return self.layout.n_devices

    @property
    def peak_flop_per_s(self) -> float:
        """Dense peak FLOP/s of one device at the arithmetic precision, :math:`C`."""
        return self.accelerator.peak_flop_per_s(self.weight_format.compute_precision)

    @property
    def flop_per_s(self) -> float:
        """Sustained FLOP/s of the replica, :math:`n\\,u_C C`."""
        return self.n_devices * self.flop_utilization * self.peak_flop_per_s

    @property
    def hbm_bytes_per_s(self) -> float:
        """Sustained HBM bandwidth of the replica, :math:`n\\,u_B B`."""
        return self.n_devices * self.bandwidth_utilization * self.accelerator.hbm_bytes_per_s

    @property
    def usable_hbm_bytes(self) -> float:
        """HBM the replica's weights and KV cache may fill, :math:`n \\cdot f \\cdot M`."""
        return self.n_devices * self.hbm_fraction * self.accelerator.hbm_bytes

    @property
    def weight_bytes(self) -> float:
        """Bytes of all weights in the weight format (every expert of an MoE)."""
        return self.weight_format.bytes_per_element * self.model.total_params

    @property
    def kv_bytes_per_token(self) -> float:
        """KV-cache bytes one token of one sequence occupies, in the KV format."""
        return float(self.model.kv_bytes_per_token(self.kv_format.bytes_per_element))

    @property
    def usd_per_s(self) -> float:
        """Rent of the replica per second, :math:`n P / 3600`."""
        return self.n_devices * self.price_usd_per_hour / 3600.0

    def with_(self, **changes: object) -> Deployment:
        """A copy with some fields changed; ids are resolved as in :func:`deployment`."""
        resolved = _resolve_fields(dict(changes))
        return replace(self, **resolved)  # type: ignore[arg-type]

    def describe(self) -> str:
        """One line: model, accelerator, formats, layout, price."""
        lay = self.layout
        split = (
            f"tp={lay.tp}"
            + (f" (heads {lay.tp_heads})" if lay.tp_heads != lay.tp else "")
            + (f" pp={lay.pp}" if lay.pp > 1 else "")
            + (f" ep={lay.ep}" if lay.ep > 1 else "")
        )
        return (
            f"{self.model.name} on {self.n_devices} x {self.accelerator.name} ({split}), weights "
            f"{self.weight_format.id}, KV {self.kv_format.id}, context {self.context_tokens:,.0f}, "
            f"${self.price_usd_per_hour:.2f}/h per device"
        )


_FIELDS = {f for f in Deployment.__dataclass_fields__}


def _resolve_fields(changes: dict[str, object]) -> dict[str, object]:
    unknown = set(changes) - _FIELDS - {"tp", "tp_heads", "pp", "ep", "n_devices"}
    if unknown:
        raise ValueError(f"unknown deployment field(s) {sorted(unknown)}; valid: {sorted(_FIELDS)}")
    if "accelerator" in changes:
        changes["accelerator"] = get_accelerator(changes["accelerator"])  # type: ignore[arg-type]
    if "model" in changes:
        changes["model"] = get_model(changes["model"])  # type: ignore[arg-type]
    for f in ("weight_format", "kv_format"):
        if f in changes:
            changes[f] = get_format(changes[f])  # type: ignore[arg-type]
    split = {k: changes.pop(k) for k in ("tp", "tp_heads", "pp", "ep", "n_devices") if k in changes}
    if split:
        if "layout" in changes:
            raise ValueError("pass either layout or tp / tp_heads / pp / ep / n_devices, not both")
        if "n_devices" in split:
            if set(split) - {"n_devices"}:
                raise ValueError("n_devices is tp * pp: pass n_devices alone (ideal sharding) or tp and pp")
            split = {"tp": int(real("n_devices", split.pop("n_devices"), low=1, integer=True))}
        changes["layout"] = Layout(**split)  # type: ignore[arg-type]
    return changes


def deployment(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    context_tokens: float = 0.0,
    layout: Layout | None = None,
    n_devices: int | None = None,
    tp: int | None = None,
    tp_heads: int | None = None,
    pp: int | None = None,
    ep: int | None = None,
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    hbm_fraction: float = USABLE_HBM_FRACTION,
    price_usd_per_hour: float | None = None,
    activation_bytes: float = 2.0,
) -> Deployment:
    """Build a :class:`Deployment`, resolving catalogue ids once.

    ``deployment("h100-sxm", "llama-3-70b", weight_format="fp8", n_devices=2)`` is Llama 3 70B
    in FP8 on two ideally sharded H100s at the catalogue price. Objects are used as given: an
    :class:`~inferecon.specs.hardware.Accelerator` with a price of $20/h is priced at $20/h.
    ``n_devices`` is shorthand for ``tp = n_devices`` (one stage); give ``tp``/``pp``/``ep``
    or a :class:`Layout` for other splits.
    """
    changes: dict[str, object] = dict(
        accelerator=accelerator,
        model=model,
        weight_format=weight_format,
        kv_format=kv_format,
        context_tokens=context_tokens,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        hbm_fraction=hbm_fraction,
        activation_bytes=activation_bytes,
    )
    # the accelerator's own price unless one is given (resolved after the accelerator is)
    changes["price_usd_per_hour"] = price_usd_per_hour
    if layout is not None:
        changes["layout"] = layout
    for k, v in (("n_devices", n_devices), ("tp", tp), ("tp_heads", tp_heads), ("pp", pp), ("ep", ep)):
        if v is not None:
            changes[k] = v
    resolved = _resolve_fields(changes)
    if resolved["price_usd_per_hour"] is None:
        acc = resolved["accelerator"]
        assert isinstance(acc, Accelerator)
        resolved["price_usd_per_hour"] = acc.price_usd_per_hour
    return Deployment(**resolved)  # type: ignore[arg-type]


def from_call(accelerator: str | Accelerator, model: str | ModelSpec, **fields: object) -> Deployment:
    """The :class:`Deployment` of an id-style public call (``decode_step_seconds(acc, model, ...)``).

    Every keyword the call passes is a value: ``None`` is refused (the call's defaults are
    numbers), except ``price_usd_per_hour``, where it means the accelerator's own price.
    """
    for name, value in fields.items():
        if value is None and name != "price_usd_per_hour":
            raise ValueError(f"{name} must be given (a number or a catalogue id), got None")
    return deployment(accelerator, model, **fields)  # type: ignore[arg-type]


def context_argument(context_tokens: ArrayLike) -> ArrayLike:
    """``context_tokens`` of an id-style call, refused if ``None`` (there it is not optional)."""
    if context_tokens is None:
        raise ValueError(
            "context_tokens must be a number >= 0 (tokens in each sequence's KV cache), got None"
        )
    return context_tokens
