"""Number formats: bytes per element with group-scale overhead, compression, literature records."""

import re
from pathlib import Path

import pytest

import inferecon as ie
from inferecon.specs import precision as pr

BIB = (Path(__file__).resolve().parent.parent / "references.bib").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt,bytes_,ratio", [
    ("bf16", 2.0, 1.0),
    ("fp8", 1.0, 2.0),
    ("int8", 1.0, 2.0),
    ("int8-w", 1.0, 2.0),
    ("int4-g128", 0.5 + 4 / 128, 2 / 0.53125),     # 0.53125 B: 3.76x, not 4x
    ("fp4", 0.5 + 1 / 16, 2 / 0.5625),             # NVFP4: one FP8 scale per 16 values, 3.56x
])
def test_bytes_and_compression(fmt, bytes_, ratio):
    assert ie.get_format(fmt).bytes_per_element == pytest.approx(bytes_, rel=1e-12)
    assert pr.compression_ratio(fmt) == pytest.approx(ratio, rel=1e-12)


def test_int4_is_not_4x():
    assert pr.compression_ratio("int4-g128") == pytest.approx(3.765, abs=1e-3)
    assert pr.compression_ratio("int4-g128") < 4.0


def test_group_quantized_bytes_variants():
    # 16-bit scale + 16-bit zero per 128: 0.5 + 4/128
    assert pr.group_quantized_bytes(4, 128) == 0.53125
    # zero point packed in 4 bits (AutoGPTQ/AutoAWQ layout): 0.5 + 2.5/128 = 0.51953 -> 3.85x
    assert pr.group_quantized_bytes(4, 128, zero_point_bytes=0.5) == pytest.approx(0.51953125, rel=1e-12)
    # symmetric, scale only: 0.5 + 2/128
    assert pr.group_quantized_bytes(4, 128, zero_point_bytes=0.0) == 0.515625
    # larger groups approach the raw 4 bits
    assert pr.group_quantized_bytes(4, 1e9) == pytest.approx(0.5, rel=1e-8)


def test_compression_relative_to_other_reference():
    assert pr.compression_ratio("int4-g128", reference="fp8") == pytest.approx(1 / 0.53125)
    assert pr.compression_ratio("bf16", reference="fp32") == 2.0


@pytest.mark.parametrize("kwargs,match", [
    (dict(bits=0, group_size=128), r"bits must be >= 1"),
    (dict(bits=4, group_size=0), r"group_size must be >= 1"),
    (dict(bits=4, group_size=128, scale_bytes=0.0), r"scale_bytes must be > 0"),
    (dict(bits=4, group_size=128, zero_point_bytes=-1.0), r"zero_point_bytes must be >= 0"),
])
def test_group_quantized_bytes_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pr.group_quantized_bytes(**kwargs)


def test_format_lookup_and_validation():
    with pytest.raises(ValueError, match=r"unknown number format 'int3'; valid ids are: .*int4-g128"):
        ie.get_format("int3")
    with pytest.raises(ValueError, match=r"bytes_per_element must be > 0"):
        pr.NumberFormat(id="x", bytes_per_element=0.0, compute_precision="bf16", description="")
    with pytest.raises(ValueError, match=r"compute_precision must be one of"):
        pr.NumberFormat(id="x", bytes_per_element=1.0, compute_precision="int3", description="")
    fmt = ie.get_format("fp8")
    assert ie.get_format(fmt) is fmt


def test_every_format_but_fp32_has_a_compute_precision_some_chip_supports():
    rates = {p for a in ie.ACCELERATORS.values() for p in a.flop_per_s}
    unsupported = {f.id for f in pr.FORMATS.values() if f.compute_precision not in rates}
    assert unsupported == {"fp32"}      # a reference/KV format; no catalogue chip lists FP32 matmuls
    with pytest.raises(ValueError, match=r"H100 SXM has no 'fp32' tensor-core rate"):
        ie.dense_optimal_batch("h100-sxm", "fp32")


def test_quantization_literature_records():
    methods = {f.method for f in pr.QUANTIZATION_LITERATURE}
    assert methods == {"LLM.int8()", "SmoothQuant", "GPTQ", "AWQ"}
    for f in pr.QUANTIZATION_LITERATURE:
        assert re.search(r"@\w+\{" + re.escape(f.key) + ",", BIB), f"{f.key} missing from references.bib"
        assert f.quote and f.caveat
        assert f.weight_bits in (4, 8) and f.activation_bits in (8, 16)
    smooth = next(f for f in pr.QUANTIZATION_LITERATURE if f.method == "SmoothQuant")
    assert "1.56x speedup and 2x memory reduction" in smooth.quote
