"""One description of a deployment (inferecon.specs.deployment): validated once, used as given."""

import dataclasses
import math

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import costs
from inferecon.serving import roofline as rl
from inferecon.specs.deployment import USABLE_HBM_FRACTION, Deployment, Layout, deployment

H100 = ie.get_accelerator("h100-sxm")


def test_ids_are_resolved_once_into_objects():
    d = deployment("h100-sxm", "llama-3-70b", weight_format="fp8", n_devices=2, context_tokens=2048)
    assert d.accelerator is H100 and d.model is ie.get_model("llama-3-70b")
    assert d.weight_format.id == "fp8" and d.kv_format.id == "bf16"
    assert d.layout == Layout(tp=2) and d.n_devices == 2 and d.layout.tp_heads == 2
    assert d.price_usd_per_hour == H100.price_usd_per_hour
    assert d.hbm_fraction == USABLE_HBM_FRACTION == 0.9
    # by hand: 2 x 0.9 x 81,559 MiB
    assert d.usable_hbm_bytes == pytest.approx(2 * 0.9 * 81_559 * 2**20, rel=1e-12)
    assert "Llama 3 70B on 2 x H100 SXM (tp=2), weights fp8" in d.describe()


def test_the_callers_accelerator_is_used_exactly_as_given():
    cheap = dataclasses.replace(H100, price_usd_per_hour=2.0)
    dear = dataclasses.replace(H100, price_usd_per_hour=20.0)
    usd = [float(costs.decode_usd_per_million_tokens(a, "llama-3-8b", 16, 1024)) for a in (cheap, dear)]
    assert usd[1] == pytest.approx(10 * usd[0], rel=1e-12)
    # a slower memory makes a memory-bound step slower in proportion (weights-and-KV bytes / bandwidth)
    slow = dataclasses.replace(H100, hbm_bytes_per_s=1e12)
    fast = dataclasses.replace(H100, hbm_bytes_per_s=10e12)
    t = [float(rl.decode_step_seconds(a, "llama-3-8b", 1, 0)) for a in (slow, fast)]
    n_bytes = 2 * ie.get_model("llama-3-8b").matmul_params
    assert t[0] == pytest.approx(n_bytes / 1e12, rel=1e-12) and t[1] == pytest.approx(n_bytes / 10e12, rel=1e-12)
    # an explicit price overrides the accelerator's, and only then
    d = deployment(cheap, "llama-3-8b", price_usd_per_hour=4.0)
    assert d.price_usd_per_hour == 4.0 and deployment(cheap, "llama-3-8b").price_usd_per_hour == 2.0


@pytest.mark.parametrize("kwargs,match", [
    (dict(flop_utilization=1.5), r"flop_utilization must lie in \(0, 1\], got 1.5"),
    (dict(bandwidth_utilization=0), r"bandwidth_utilization must lie in \(0, 1\], got 0"),
    (dict(flop_utilization="1"), r"flop_utilization must be a number \(it must lie in \(0, 1\]\), got the string '1'"),
    (dict(hbm_fraction=math.nan), r"hbm_fraction must not contain NaN \(it must lie in \(0, 1\]\), got nan"),
    (dict(context_tokens=-1), r"context_tokens must be >= 0 and finite, got -1"),
    (dict(context_tokens=math.inf), r"context_tokens must be >= 0 and finite, got inf"),
    (dict(price_usd_per_hour=math.inf), r"price_usd_per_hour must be > 0 and finite, got inf"),
    (dict(price_usd_per_hour=-2), r"price_usd_per_hour must be > 0 and finite, got -2"),
    (dict(n_devices=0), r"n_devices must be >= 1 and finite, got 0"),
    (dict(n_devices=1.5), r"n_devices must be a whole number >= 1 and finite, got 1.5"),
    (dict(n_devices=[2, 1]), r"n_devices must be a single number"),
    (dict(tp=4, tp_heads=3), r"tp_heads must divide tp = 4, got 3"),
    (dict(tp=2, n_devices=2), r"n_devices is tp \* pp"),
    (dict(weight_format="fp9"), r"unknown number format 'fp9'"),
    (dict(activation_bytes=True), r"activation_bytes must be a number"),
])
def test_bad_fields_are_refused_with_name_value_and_range(kwargs, match):
    with pytest.raises(ValueError, match=match):
        deployment("h100-sxm", "llama-3-8b", **kwargs)


def test_unsupported_precision_and_unknown_ids():
    with pytest.raises(ValueError, match="A100 80GB SXM has no 'fp8' tensor-core rate"):
        deployment("a100-80gb-sxm", "llama-3-8b", weight_format="fp8")
    with pytest.raises(ValueError, match="unknown accelerator 'h900'"):
        deployment("h900", "llama-3-8b")
    with pytest.raises(ValueError, match="model must be a ModelSpec"):
        Deployment(accelerator=H100, model="llama-3-8b", weight_format=ie.get_format("bf16"),  # type: ignore[arg-type]
                   kv_format=ie.get_format("bf16"), price_usd_per_hour=2.0)


def test_with_gives_a_validated_copy():
    d = deployment("h100-sxm", "llama-3-8b")
    d2 = d.with_(weight_format="fp8", n_devices=4)
    assert d2.weight_format.id == "fp8" and d2.n_devices == 4 and d.weight_format.id == "bf16"
    with pytest.raises(ValueError, match="unknown deployment field"):
        d.with_(batch=4)
    with pytest.raises(ValueError, match="flop_utilization must lie"):
        d.with_(flop_utilization=2)


def test_scalar_and_one_element_array_agree():
    a = deployment("h100-sxm", "llama-3-8b", flop_utilization=0.5, n_devices=2)
    b = deployment("h100-sxm", "llama-3-8b", flop_utilization=np.array([0.5]), n_devices=np.array([2]))
    assert a == b
    st_a, st_b = rl.decode_step(a, 8, 1024), rl.decode_step(a, [8], [1024])
    assert float(st_a.seconds) == float(st_b.seconds[0])
