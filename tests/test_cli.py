"""``inferecon plan`` and ``inferecon frontier`` end to end, against hand-worked roofline values."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inferecon.cli import main

ROOT = Path(__file__).resolve().parents[1]

# Llama 3 70B by hand (as in test_roofline.py)
N = 80 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 128256 * 8192   # matmul weights
N_TOTAL = 70_553_706_496                                                         # every parameter
KV = 2 * 8 * 128 * 80 * 2                                                        # 327,680 B/token (bf16)
A = 4 * 80 * 64 * 128  # attention FLOP per ctx token
B_HBM, C_FP8, HBM = 3.35e12, 1978.9e12, 81_559 * 2**20                         # H100 SXM
MONTH_S = 365 / 12 * 24 * 3600

WORKLOAD = ["--model", "llama-3-70b", "--accelerator", "h100-sxm", "--requests-per-s", "20",
            "--input-tokens", "1000", "--output-tokens", "250", "--ttft-ms", "500"]


def step(b, n, ctx=1125.0):
    """Decode step of b sequences at ctx tokens on n ideally sharded H100s, FP8 weights, bf16 KV."""
    return max((N + b * ctx * KV) / (n * B_HBM), b * (2 * N + A * ctx) / (n * C_FP8))


def prefill(n, p=1000):
    return (2 * N * p + A * p * (p - 1) / 2) / (n * C_FP8)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_matches_the_hand_worked_roofline(capsys):
    code, out, _ = run(["plan", *WORKLOAD, "--tpot-ms", "50", "--weight-format", "fp8", "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    top = doc["deployments"][0]
    # cheapest: 2 x H100 in FP8 (tp=2), the largest batch whose interleaved TPOT t(b) + b p / 250 <= 50 ms
    assert (top["weight_format"], top["gpus_per_replica"], top["tp"]) == ("fp8", 2, 2)
    p = prefill(2)                                             # 35.45 ms, compute-bound
    tau = lambda b: step(b, 2) + b * p / 250                   # noqa: E731
    cap = math.floor((2 * 0.9 * HBM - N_TOTAL) / (1250 * KV))  # 203 sequences of 1,250 tokens fit
    b = max(x for x in range(1, cap + 1) if tau(x) <= 0.05)
    assert top["batch"] == b == 201 and top["batch_limit"] == "latency"
    assert top["decode_step_ms"] == pytest.approx(1e3 * step(b, 2), rel=1e-9)    # 21.43 ms, memory-bound
    assert top["tpot_ms"] == pytest.approx(1e3 * tau(b), rel=1e-9) and top["tpot_ms"] <= 50
    assert top["decode_bound"] == "memory" and top["prefill_bound"] == "compute"
    assert top["ttft_ms"] == pytest.approx(1e3 * (p + step(b, 2)), rel=1e-9)     # 56.9 ms
    # one replica serves 1 / (250 t / b + p) = 11.4 req/s: two replicas, four GPUs, $5,840 a month
    rate = 1 / (250 * step(b, 2) / b + p)
    replicas = math.ceil(20 / rate)
    assert top["replicas"] == replicas == 2 and top["gpus"] == 4
    usd = 4 * 2.0 * MONTH_S / 3600
    assert top["usd_per_month"] == pytest.approx(usd, rel=1e-12)
    assert top["usd_per_million_output_tokens"] == pytest.approx(usd / (20 * 250 * MONTH_S) * 1e6, rel=1e-12)
    # every row meets the targets, cheapest first
    rows = doc["deployments"]
    assert all(r["tpot_ms"] <= 50 and r["ttft_ms"] <= 500 for r in rows)
    costs = [r["usd_per_million_output_tokens"] for r in rows]
    assert costs == sorted(costs)
    # fp8 on one H100: 15 sequences fit and it needs 9 GPUs, dearer; nothing in bf16 was asked for
    assert {r["weight_format"] for r in rows} == {"fp8"}


def test_price_override_scales_the_cost(capsys):
    _, out, _ = run(["plan", *WORKLOAD, "--tpot-ms", "50", "--weight-format", "fp8", "--json",
                     "--price-usd-per-hour", "4", "--top", "1"], capsys)
    doc = json.loads(out)
    assert doc["price_usd_per_gpu_hour"] == 4.0 and len(doc["deployments"]) == 1
    assert doc["deployments"][0]["usd_per_million_output_tokens"] == pytest.approx(8 / 9, rel=1e-12)


def test_plan_table(capsys):
    code, out, _ = run(["plan", *WORKLOAD, "--tpot-ms", "50", "--top", "3"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "Llama 3 70B on H100 SXM" in lines[0] and "TPOT <= 50 ms" in lines[0]
    assert all(h in lines[1] for h in ("format", "GPUs/rep", "tp", "replicas", "batch", "$/M out", "TTFT ms",
                                       "TPOT ms", "decode"))
    first = lines[3].split()
    assert first[:4] == ["1", "fp8", "2", "2"] and first[6] == "201" and first[8] == "0.444"
    assert len([ln for ln in lines if re.match(r"^\s*\d+\s+(fp8|bf16)\s", ln)]) == 3


def test_impossible_tpot_names_the_fastest(capsys):
    code, out, err = run(["plan", *WORKLOAD, "--tpot-ms", "2", "--weight-format", "fp8,bf16"], capsys)
    assert code == 2 and out == ""
    # fastest: 8 x H100 in FP8, one sequence: t = (N + 1125 KV) / (8 B) = 2.61 ms, plus p/250 of prefill
    fastest = step(1, 8) + prefill(8) / 250
    assert f"no deployment meets TPOT 2 ms: the fastest is {1e3 * fastest:.1f} ms" in err
    assert "(8 x H100 SXM, tp=8, fp8, batch 1, memory-bound)" in err
    assert f"{1e3 * fastest:.1f}" == "2.6"


def test_impossible_ttft_names_the_fastest(capsys):
    args = ["plan", *WORKLOAD, "--tpot-ms", "50", "--json"]
    args[args.index("--ttft-ms") + 1] = "5"
    code, out, err = run(args, capsys)
    assert code == 2
    fastest = prefill(8) + step(1, 8)           # 8.86 ms of prefill + 2.61 ms
    assert f"no deployment meets TTFT 5 ms: the fastest is {1e3 * fastest:.1f} ms" in err
    assert "compute-bound" in err
    assert "error" in json.loads(out)


def test_model_that_fits_nowhere(capsys):
    code, _, err = run(["plan", "--model", "llama-3.1-405b", "--accelerator", "a100-80gb-sxm",
                        "--requests-per-s", "1", "--input-tokens", "100", "--output-tokens", "100",
                        "--ttft-ms", "1000", "--tpot-ms", "100"], capsys)
    assert code == 2 and "no deployment fits in memory" in err and "short by" in err


@pytest.mark.parametrize("argv,expected", [
    (["--model", "llama3-70b", "--accelerator", "h100-sxm"],
     "unknown model 'llama3-70b'; did you mean 'llama-3-70b'?"),
    (["--model", "llama-3-70b", "--accelerator", "h100"],
     "unknown accelerator 'h100'; did you mean 'h100-sxm'?"),
    (["--model", "llama-3-70b", "--accelerator", "h100-sxm", "--weight-format", "fp9"],
     "unknown weight format 'fp9'; did you mean 'fp8'?"),
    (["--model", "llama-3-70b", "--accelerator", "a100-80gb-sxm", "--weight-format", "fp8"],
     "no fp8 tensor-core rate"),
])
def test_unknown_ids_suggest_the_closest(argv, expected, capsys):
    rest = ["--requests-per-s", "1", "--input-tokens", "100", "--output-tokens", "100", "--ttft-ms", "500",
            "--tpot-ms", "50"]
    code, _, err = run(["plan", *argv, *rest], capsys)
    assert code == 2 and expected in err
    if "unknown model" in expected:
        assert "deepseek-v3" in err and "mixtral-8x7b" in err      # the valid ids are listed


@pytest.mark.parametrize("flag,value", [("--requests-per-s", "-1"), ("--requests-per-s", "0"),
                                        ("--tpot-ms", "0"), ("--tpot-ms", "nan"), ("--output-tokens", "0"),
                                        ("--price-usd-per-hour", "-2"), ("--requests-per-s", "ten")])
def test_bad_values_exit_2(flag, value, capsys):
    argv = ["plan", *WORKLOAD, "--tpot-ms", "50"]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    code, _, err = run(argv, capsys)
    assert code == 2 and err


def test_frontier_writes_svg_and_json(tmp_path, capsys):
    svg = tmp_path / "frontier.svg"
    code, out, _ = run(["frontier", "--model", "llama-3-8b", "--accelerator", "h100-sxm", "--out", str(svg),
                        "--max-devices", "16", "--json"], capsys)
    assert code == 0
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    doc = json.loads(out)
    fr = doc["frontier"]
    speeds = [r["tokens_per_s_per_request"] for r in fr]
    costs = [r["usd_per_million_tokens"] for r in fr]
    assert speeds == sorted(speeds) and costs == sorted(costs) and all(r["feasible"] for r in fr)
    # no point is cheaper than the arithmetic floor at peak: $2/h x 2 N_active / C (bf16), per token
    n8 = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 128256 * 4096
    floor = 1e6 * 2.0 / 3600 * 2 * n8 / 989.4e12
    assert doc["min_usd_per_million_tokens"] >= floor
    assert doc["min_usd_per_million_tokens"] == pytest.approx(costs[0])


def test_frontier_table(capsys):
    code, out, _ = run(["frontier", "--model", "llama-3-8b", "--accelerator", "h100-sxm",
                        "--max-devices", "8"], capsys)
    assert code == 0 and "Pareto frontier" in out and "tok/s/req" in out and "cheapest $" in out


def test_frontier_unknown_model(capsys):
    code, _, err = run(["frontier", "--model", "mixtral", "--accelerator", "h100-sxm"], capsys)
    assert code == 2 and "did you mean 'mixtral-8x7b'?" in err


def test_missing_arguments_exit_2(capsys):
    assert main(["plan", "--model", "llama-3-70b"]) == 2
    assert main([]) == 2


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_module_runs_as_a_script():
    res = subprocess.run([sys.executable, "-m", "inferecon.cli", "plan", *WORKLOAD,
                          "--tpot-ms", "50", "--weight-format", "fp8", "--json", "--top", "1"],
                         capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    top = json.loads(res.stdout)["deployments"][0]
    assert top["batch"] == 201 and top["decode_step_ms"] == pytest.approx(1e3 * step(201, 2), rel=1e-9)
    bad = subprocess.run([sys.executable, "-m", "inferecon.cli", "plan", *WORKLOAD, "--tpot-ms", "2",
                          "--weight-format", "fp8"], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=120)
    assert bad.returncode == 2 and "no deployment meets TPOT 2 ms" in bad.stderr


def test_importing_the_cli_is_light():
    code = ("import sys, inferecon, inferecon.cli; "
            "print([m for m in ('matplotlib', 'inferecon.serving.roofline', 'inferecon.serving.memory', "
            "'inferecon.serving.prefill', 'inferecon.planning.planner', "
            "'inferecon.serving.frontier') if m in sys.modules])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "[]"
