"""Accelerator specifications: a frozen dataclass and a catalogue with a source for every number.

All FLOP/s figures are **dense** (NVIDIA and AMD datasheets print 2:4-sparse figures first,
"with sparsity"; those are exactly twice the dense ones and are never reachable by a dense
matmul). Bandwidths are bytes per second; the scale-up figure is **per direction per chip**,
the number an all-reduce's bandwidth term divides by. HBM capacities are bytes **as the device
reports them** (``nvidia-smi``, ``rocminfo``), each with its source in ``hbm_source``; the
datasheet's "80 GB" of an H100 is 81,559 MiB = 85.5e9 B. The share of it that weights and KV
cache may use is a separate parameter (:data:`inferecon.specs.deployment.USABLE_HBM_FRACTION`).

Prices are assumptions, not measurements: hourly rates vary about 4x across providers.
Each entry says which basis its price uses (``price_basis``); the GPU prices follow
:cite:`erdil2025inference` (lowest cloud rates with one third removed as markup) where
that paper gives one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from inferecon._validate import lookup, real
from inferecon.specs.precision import ELEMENT_BYTES
from inferecon.units import GB, GIB, MIB

__all__ = [
    "A100_80GB_SXM",
    "ACCELERATORS",
    "B200",
    "H100_SXM",
    "H200_SXM",
    "MI300X",
    "TPU_V4",
    "TPU_V5E",
    "TPU_V5P",
    "Accelerator",
    "get_accelerator",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Accelerator:
    """One accelerator chip (GPU or TPU) as the roofline model sees it.

    Attributes
    ----------
    id, name : catalogue id (``"h100-sxm"``) and display name.
    flop_per_s : dense peak FLOP/s per arithmetic precision (``"bf16"``, ``"fp8"``, ``"int8"``, ...).
    hbm_bytes : HBM capacity in bytes **as the device reports it** (``nvidia-smi``'s total in MiB,
        ``rocminfo``'s pool size), not the marketing figure: an "80 GB" H100 reports 81,559 MiB
        = 85.5e9 B. How much of it weights and KV cache may use is a separate, explicit choice
        (:data:`inferecon.specs.deployment.USABLE_HBM_FRACTION`).
    hbm_source : where ``hbm_bytes`` comes from, or that the device-reported figure is not known.
    hbm_bytes_per_s : HBM bandwidth in bytes/s.
    scaleup_bytes_per_s : scale-up interconnect (NVLink, Infinity Fabric, ICI) bandwidth per
        chip, per direction, in bytes/s.
    scaleup_domain : chips in one scale-up domain (8 in an HGX/DGX node; a TPU slice's ICI
        torus spans many more).
    price_usd_per_hour : assumed rental price per chip-hour.
    price_basis : where the price comes from.
    sources : citation keys (``references.bib``) for the numbers above.
    notes : where sources disagree and which value is used.
    """

    id: str
    name: str
    flop_per_s: Mapping[str, float]
    hbm_bytes: float
    hbm_source: str = ""
    hbm_bytes_per_s: float
    scaleup_bytes_per_s: float
    scaleup_domain: int
    price_usd_per_hour: float
    price_basis: str
    sources: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        for name in ("hbm_bytes", "hbm_bytes_per_s", "scaleup_bytes_per_s", "price_usd_per_hour"):
            real(f"{self.id}.{name}", getattr(self, name), low=0.0, low_open=True)
        object.__setattr__(
            self,
            "scaleup_domain",
            int(real(f"{self.id}.scaleup_domain", self.scaleup_domain, low=1, integer=True)),
        )
        if not isinstance(self.flop_per_s, Mapping) or not self.flop_per_s:
            raise ValueError(f"{self.id}: flop_per_s needs at least one precision, got {self.flop_per_s!r}")
        for prec, value in self.flop_per_s.items():
            if prec not in ELEMENT_BYTES:
                raise ValueError(f"{self.id}: unknown precision {prec!r}; valid: {sorted(ELEMENT_BYTES)}")
            real(f"{self.id}.flop_per_s[{prec!r}]", value, low=0.0, low_open=True)
        object.__setattr__(self, "flop_per_s", MappingProxyType(dict(self.flop_per_s)))

    def peak_flop_per_s(self, precision: str = "bf16") -> float:
        """Dense peak FLOP/s at ``precision``; a ValueError lists what the chip supports."""
        try:
            return float(self.flop_per_s[precision])
        except KeyError:
            raise ValueError(
                f"{self.name} has no {precision!r} tensor-core rate; supported: {', '.join(self.flop_per_s)}"
            ) from None

    def flop_per_byte(self, precision: str = "bf16") -> float:
        """Arithmetic intensity of the ridge point, :math:`C/B` in FLOP per HBM byte."""
        return self.peak_flop_per_s(precision) / self.hbm_bytes_per_s

    @property
    def price_usd_per_second(self) -> float:
        """Price per chip-second, ``price_usd_per_hour / 3600``."""
        return self.price_usd_per_hour / 3600.0


# Capacity as the device reports it. NVIDIA's "80 GB" and "141 GB" are close to GiB, not GB.
_SMI = "nvidia-smi total {mib} MiB, as tabulated by Belotti (2024); datasheet '{gb} GB'"
_NOT_KNOWN = "vendor figure {fig}; the device-reported capacity is not known to this catalogue"

_ERDIL_PRICE = "Erdil 2025 §4: lowest Nebius rate with one third removed as markup"

A100_80GB_SXM = Accelerator(
    id="a100-80gb-sxm",
    name="A100 80GB SXM",
    flop_per_s={"bf16": 312e12, "fp16": 312e12, "int8": 624e12, "int4": 1248e12},
    hbm_bytes=81_920 * MIB,
    hbm_source=_SMI.format(mib="81,920", gb="80"),
    hbm_bytes_per_s=2039e9,
    scaleup_bytes_per_s=300e9,
    scaleup_domain=8,
    price_usd_per_hour=1.50,
    price_basis=_ERDIL_PRICE,
    sources=("nvidia2020a100", "erdil2025inference", "modal2024gpumemory"),
    notes="NVLink3 600 GB/s bidirectional = 300 GB/s per direction. No FP8 tensor cores. "
    "Erdil's notebook prices it at $1.51/h; the paper text at $1.5/h (used here).",
)

H100_SXM = Accelerator(
    id="h100-sxm",
    name="H100 SXM",
    flop_per_s={"bf16": 989.4e12, "fp16": 989.4e12, "fp8": 1978.9e12, "int8": 1978.9e12},
    hbm_bytes=81_559 * MIB,
    hbm_source=_SMI.format(mib="81,559", gb="80"),
    hbm_bytes_per_s=3.35e12,
    scaleup_bytes_per_s=450e9,
    scaleup_domain=8,
    price_usd_per_hour=2.00,
    price_basis="Erdil 2025 §4 (paper text); his notebook uses $2.10",
    sources=("nvidia2022h100", "erdil2025inference", "modal2024gpumemory"),
    notes="Datasheet BF16 1,979 TFLOP/s is with 2:4 sparsity; dense is half. Erdil rounds to "
    "1e15 FLOP/s and 3.3 TB/s; LLM-Viewer uses the whitepaper's 3.072 TB/s. NVLink4 "
    "900 GB/s bidirectional = 450 GB/s per direction.",
)

H200_SXM = Accelerator(
    id="h200-sxm",
    name="H200 SXM",
    flop_per_s={"bf16": 989.4e12, "fp16": 989.4e12, "fp8": 1978.9e12, "int8": 1978.9e12},
    hbm_bytes=143_771 * MIB,
    hbm_source=_SMI.format(mib="143,771", gb="141"),
    hbm_bytes_per_s=4.8e12,
    scaleup_bytes_per_s=450e9,
    scaleup_domain=8,
    price_usd_per_hour=2.00,
    price_basis="assumed equal to H100, as in Erdil's notebook (optimistic for H200)",
    sources=("nvidia2024h200", "erdil2025inference", "modal2024gpumemory"),
    notes="Same GH100 die as H100, so same dense FLOP/s; more and faster HBM3e.",
)

B200 = Accelerator(
    id="b200",
    name="B200 (HGX, 1000 W)",
    flop_per_s={"bf16": 2250e12, "fp16": 2250e12, "fp8": 4500e12, "int8": 4500e12, "fp4": 9000e12},
    hbm_bytes=183_359 * MIB,
    hbm_source="nvidia-smi total 183,359 MiB (= 179.1 GiB, 192.3e9 B), as printed in "
    "NVIDIA/TensorRT-LLM issue #10278 (2025); datasheet '192 GB', DGX B200 '180 GB'",
    hbm_bytes_per_s=8.0e12,
    scaleup_bytes_per_s=900e9,
    scaleup_domain=8,
    price_usd_per_hour=3.50,
    price_basis="course assumption (no primary source): 1.75x the H100 rate",
    sources=("nvidia2024blackwell",),
    notes="HGX B200 at 1,000 W; GB200 at 1,200 W is 2,500/5,000 TFLOP/s. The device reports "
    "183,359 MiB (the '180 GB' of DGX B200 listings is this figure in GiB). NVLink5 1.8 TB/s "
    "bidirectional. A driver query reports a 7,680-bit bus, i.e. about 7.7 TB/s rather than "
    "8.0 (pytorch/ao PR #4002, 2026); the datasheet's 8.0 TB/s is kept.",
)

MI300X = Accelerator(
    id="mi300x",
    name="MI300X",
    flop_per_s={"bf16": 1307.4e12, "fp16": 1307.4e12, "fp8": 2614.9e12, "int8": 2614.9e12},
    hbm_bytes=201_310_208 * 1024,
    hbm_source="rocminfo global pool 201,310,208 KB (= 192 GiB - 16 MiB = 206.1e9 B), as printed in "
    "ROCm issue #4414 (2025; 8 CPX partitions of 25,767,706,624 B in #4750 agree); "
    "datasheet '192 GB'",
    hbm_bytes_per_s=5.3e12,
    scaleup_bytes_per_s=448e9,
    scaleup_domain=8,
    price_usd_per_hour=1.80,
    price_basis="third-party marketplace listings, 2026 ($1.71-1.85)",
    sources=("amd2023mi300x",),
    notes="Pages quoting 2,615 FP16 TFLOP/s 'dense' are quoting the sparse figure. Infinity "
    "Fabric 896 GB/s aggregate = 448 GB/s per direction.",
)

TPU_V4 = Accelerator(
    id="tpu-v4",
    name="TPU v4",
    flop_per_s={"bf16": 275e12, "int8": 275e12},
    hbm_bytes=32 * GIB,
    hbm_source=_NOT_KNOWN.format(fig="32 GiB"),
    hbm_bytes_per_s=1.2e12,
    scaleup_bytes_per_s=270e9,
    scaleup_domain=4096,
    price_usd_per_hour=3.22,
    price_basis="Google Cloud on-demand list price per chip-hour (not rechecked)",
    sources=("google2023tpuv4", "pope2022efficiently", "austin2025scaling"),
    notes="Erdil's notebook uses 1.6 TB/s HBM; Google and Pope et al. give 1.2 TB/s (used). "
    "ICI: 6 links x 45 GB/s one way = 270 GB/s, the figure Pope et al. use.",
)

TPU_V5E = Accelerator(
    id="tpu-v5e",
    name="TPU v5e",
    flop_per_s={"bf16": 197e12, "int8": 394e12},
    hbm_bytes=16 * GB,
    hbm_source=_NOT_KNOWN.format(fig="16 GB"),
    hbm_bytes_per_s=819e9,
    scaleup_bytes_per_s=180e9,
    scaleup_domain=256,
    price_usd_per_hour=1.20,
    price_basis="Google Cloud list price, Feb 2025, as quoted by the scaling book",
    sources=("google2023tpuv5e", "austin2025scaling"),
    notes="ICI: 4 links x 45 GB/s one way (scaling book). A newer Google page says 800 GiB/s HBM.",
)

TPU_V5P = Accelerator(
    id="tpu-v5p",
    name="TPU v5p",
    flop_per_s={"bf16": 459e12, "int8": 918e12},
    hbm_bytes=95 * GB,
    hbm_source=_NOT_KNOWN.format(fig="95 GB"),
    hbm_bytes_per_s=2765e9,
    scaleup_bytes_per_s=540e9,
    scaleup_domain=8960,
    price_usd_per_hour=4.20,
    price_basis="Google Cloud list price, Feb 2025, as quoted by the scaling book",
    sources=("google2023tpuv5p", "austin2025scaling"),
    notes="ICI: 6 links x 90 GB/s one way (scaling book). The scaling book lists 96 GB and "
    "2.8 TB/s; Google's v5p page gives 95 GB and 2,765 GB/s (used).",
)

ACCELERATORS: dict[str, Accelerator] = {
    a.id: a for a in [A100_80GB_SXM, H100_SXM, H200_SXM, B200, MI300X, TPU_V4, TPU_V5E, TPU_V5P]
}


def get_accelerator(accelerator: str | Accelerator) -> Accelerator:
    """Return an :class:`Accelerator` by catalogue id; an unknown id lists the valid ones."""
    if isinstance(accelerator, Accelerator):
        return accelerator
    return lookup("accelerator", accelerator, ACCELERATORS)
