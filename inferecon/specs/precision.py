"""Number formats: bytes per stored element and the matching arithmetic precision.

A weight format says how many bytes one parameter occupies in HBM (including the per-group
scale overhead of block-quantized formats) and which tensor-core precision does the
arithmetic. Weight-only formats (``int4-g128``, ``int8-w``) are dequantized on the fly and
multiplied in 16-bit, so they save bytes but not FLOP time.
"""

from __future__ import annotations

from dataclasses import dataclass

from inferecon._validate import lookup, real

__all__ = [
    "ELEMENT_BYTES",
    "FORMATS",
    "QUANTIZATION_LITERATURE",
    "NumberFormat",
    "QuantizationFinding",
    "compression_ratio",
    "get_format",
    "group_quantized_bytes",
]

#: Bytes per element of the plain (unscaled) types.
ELEMENT_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberFormat:
    """A storage format for weights or KV-cache elements.

    Attributes
    ----------
    id : short lowercase id, e.g. ``"bf16"``, ``"int4-g128"``.
    bytes_per_element : bytes per stored value including scale overhead.
        For group quantization with group size :math:`g` and one 16-bit scale (and, if
        asymmetric, one 16-bit zero point) per group,
        :math:`\\text{bytes} = \\text{bits}/8 + (2 + 2\\,[\\text{asym}])/g`.
    compute_precision : the tensor-core precision the matmuls run in (a key of
        :attr:`inferecon.specs.hardware.Accelerator.flop_per_s`).
    description : one line for tables.
    """

    id: str
    bytes_per_element: float
    compute_precision: str
    description: str

    def __post_init__(self) -> None:
        real(f"{self.id}.bytes_per_element", self.bytes_per_element, low=0.0, low_open=True)
        if self.compute_precision not in ELEMENT_BYTES:
            raise ValueError(
                f"compute_precision must be one of {sorted(ELEMENT_BYTES)}, got {self.compute_precision!r}"
            )


def group_quantized_bytes(
    bits: float, group_size: float, *, scale_bytes: float = 2.0, zero_point_bytes: float = 2.0
) -> float:
    """Bytes per weight of a group-quantized format, scales and zero points included.

    .. math:: p = \\frac{\\text{bits}}{8} + \\frac{s + z}{g}

    with one scale of :math:`s` bytes and one zero point of :math:`z` bytes (0 for a symmetric
    format) per group of :math:`g` weights. INT4, group 128, 16-bit scale and 16-bit zero (the
    catalogue's ``int4-g128``): :math:`0.5 + 4/128 = 0.53125` B, so 16-bit weights shrink
    :math:`2/0.53125 \\approx 3.76\\times`, not :math:`4\\times`. Checkpoints that pack the zero
    point into 4 bits (:math:`z = 0.5`) need 0.5195 B (3.85x) :cite:`frantar2023gptq,lin2024awq`.
    """
    b = real("bits", bits, low=1)
    g = real("group_size", group_size, low=1)
    s = real("scale_bytes", scale_bytes, low=0, low_open=True)
    z = real("zero_point_bytes", zero_point_bytes, low=0)
    return b / 8.0 + (s + z) / g


def _group(bits: int, group: int, asymmetric: bool) -> float:
    return group_quantized_bytes(bits, group, zero_point_bytes=2.0 if asymmetric else 0.0)


FORMATS: dict[str, NumberFormat] = {
    f.id: f
    for f in [
        NumberFormat(id="fp32", bytes_per_element=4.0, compute_precision="fp32", description="32-bit float"),
        NumberFormat(
            id="bf16",
            bytes_per_element=2.0,
            compute_precision="bf16",
            description="16-bit brain float, 16-bit math",
        ),
        NumberFormat(
            id="fp16",
            bytes_per_element=2.0,
            compute_precision="fp16",
            description="16-bit float, 16-bit math",
        ),
        NumberFormat(
            id="fp8",
            bytes_per_element=1.0,
            compute_precision="fp8",
            description="FP8 weights and activations (W8A8), FP8 math",
        ),
        NumberFormat(
            id="int8",
            bytes_per_element=1.0,
            compute_precision="int8",
            description="INT8 weights and activations (W8A8), INT8 math",
        ),
        NumberFormat(
            id="int8-w",
            bytes_per_element=1.0,
            compute_precision="bf16",
            description="INT8 weights only (W8A16), 16-bit math",
        ),
        NumberFormat(
            id="int4-g128",
            bytes_per_element=_group(4, 128, asymmetric=True),
            compute_precision="bf16",
            description="INT4 weights, group 128, 16-bit scale and 16-bit zero point per group "
            "(GPTQ/AWQ checkpoints that pack the zero in 4 bits: 0.5195 B), 16-bit math",
        ),
        NumberFormat(
            id="fp4",
            bytes_per_element=0.5 + 1.0 / 16,
            compute_precision="fp4",
            description="NVFP4: 4-bit values, one FP8 scale per 16 (Blackwell), FP4 math",
        ),
    ]
}


def get_format(fmt: str | NumberFormat) -> NumberFormat:
    """Return a :class:`NumberFormat` by id (a format passes through unchanged)."""
    if isinstance(fmt, NumberFormat):
        return fmt
    return lookup("number format", fmt, FORMATS)


def compression_ratio(fmt: str | NumberFormat, reference: str | NumberFormat = "bf16") -> float:
    """How many times smaller ``fmt`` stores a value than ``reference``: :math:`p_\\mathrm{ref}/p`.

    ``int8``: 2.0; ``int4-g128``: 3.76 (group scales cost 0.03 B per weight); ``fp4`` (NVFP4):
    3.56. This is the memory saving, and the speed-up of a purely weight-bandwidth-bound step;
    it is not a quality statement.
    """
    return get_format(reference).bytes_per_element / get_format(fmt).bytes_per_element


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantizationFinding:
    """A published quantization result, quoted from the paper's abstract.

    Attributes
    ----------
    method : method name (``"GPTQ"``).
    key : citation key in ``references.bib``.
    weight_bits, activation_bits : the precision the claim is about (16 = unquantized).
    quote : the abstract's own words (verbatim, shortened only with "...").
    caveat : what the quote does not say.
    """

    method: str
    key: str
    weight_bits: int
    activation_bits: int
    quote: str
    caveat: str


#: What the four papers the seed texts lean on actually claim (abstracts, read for this course).
QUANTIZATION_LITERATURE: tuple[QuantizationFinding, ...] = (
    QuantizationFinding(
        method="LLM.int8()",
        key="dettmers2022llmint8",
        weight_bits=8,
        activation_bits=8,
        quote="cut the memory needed for inference by half while retaining full precision "
        "performance ... a 175B parameter 16/32-bit checkpoint can be loaded, converted "
        "to Int8, and used immediately without performance degradation",
        caveat="Outlier feature dimensions stay in 16-bit (mixed-precision decomposition); the "
        "abstract claims memory, not speed.",
    ),
    QuantizationFinding(
        method="SmoothQuant",
        key="xiao2023smoothquant",
        weight_bits=8,
        activation_bits=8,
        quote="We demonstrate up to 1.56x speedup and 2x memory reduction for LLMs with "
        "negligible loss in accuracy",
        caveat="W8A8 with INT8 matmuls; 'up to' 1.56x, on the authors' serving stack.",
    ),
    QuantizationFinding(
        method="GPTQ",
        key="frantar2023gptq",
        weight_bits=4,
        activation_bits=16,
        quote="reducing the bitwidth down to 3 or 4 bits per weight, with negligible accuracy "
        "degradation relative to the uncompressed baseline ... end-to-end inference "
        "speedups over FP16, of around 3.25x when using high-end GPUs (NVIDIA A100)",
        caveat="'Negligible' is for the largest models (OPT-175B, BLOOM-176B); the paper's "
        "tables show the gap growing as models get smaller. Speed-ups are batch-1 "
        "generation.",
    ),
    QuantizationFinding(
        method="AWQ",
        key="lin2024awq",
        weight_bits=4,
        activation_bits=16,
        quote="protecting only 1% of salient weights can greatly reduce quantization error ... "
        "AWQ does not rely on any backpropagation or reconstruction, so it can well "
        "preserve LLMs' generalization ability ... without overfitting to the "
        "calibration set",
        caveat="Reports better accuracy than GPTQ in the authors' own comparisons (INT3/INT4, "
        "group 128); at 4 bits the margins are small. A reason to prefer AWQ, not a law.",
    ),
)
