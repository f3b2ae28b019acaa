"""Published headline results of five serving engines beside what :mod:`inferecon.serving.engine` says.

Each :class:`PublishedResult` carries the paper's own words (``quote``, copied from the
abstract), the setup (model, GPU, workload, baseline, metric), its citation key, and whether
the quote was confirmed against the paper's abstract (``confirmed``; an unconfirmed figure is
shown but never tested). :func:`comparisons` computes our model's figure for the nearest setup
the catalogue allows (stated in ``our_setup``) and the ratio ours / published.

Our model is a roofline bound without kernel overheads, and each paper measures a whole
system against a specific baseline, so each comparison states a *relation*: ``"within"``
(ours lies inside the published range), ``"at most"`` (ours is a bound below the published
figure, which includes a mechanism we omit) or ``"at least"`` (ours is a ceiling).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inferecon.serving import disaggregation, prefix_cache, workload
from inferecon.serving import engine as eng
from inferecon.specs.deployment import deployment
from inferecon.specs.hardware import get_accelerator

__all__ = ["PUBLISHED", "Comparison", "PublishedResult", "comparisons"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedResult:
    """One paper's headline figure, in its own words."""

    system: str
    citation_key: str
    title: str
    quote: str
    source: str
    confirmed: bool
    model: str
    gpu: str
    workload: str
    baseline: str
    metric: str
    low: float
    high: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """A published figure beside ours: ``ratio = ours / published_high``; ``relation`` as in the module."""

    published: PublishedResult
    ours: float
    our_setup: str
    relation: str
    ratio: float
    holds: bool


PUBLISHED: tuple[PublishedResult, ...] = (
    PublishedResult(
        system="vLLM (PagedAttention)",
        citation_key="kwon2023efficient",
        title="Efficient Memory Management for Large Language Model Serving with PagedAttention",
        quote=(
            "Our evaluations show that vLLM improves the throughput of popular LLMs by 2-4× with the same "
            "level of latency compared to the state-of-the-art systems, such as FasterTransformer "
            "and Orca."
        ),
        source="arXiv:2309.06180 abstract",
        confirmed=True,
        model="OPT-13B/66B/175B, LLaMA-13B",
        gpu="A100 (40 GB for 13B)",
        workload="ShareGPT and Alpaca traces",
        baseline="FasterTransformer, Orca (Oracle/Pow2/Max)",
        metric="request rate at the same normalized latency",
        low=2.0,
        high=4.0,
    ),
    PublishedResult(
        system="Sarathi-Serve",
        citation_key="agrawal2024taming",
        title="Taming Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve",
        quote=(
            "For Mistral-7B on single A100 GPUs, we achieve 2.6x higher serving capacity and up to "
            "3.7x higher serving capacity for the Yi-34B model on two A100 GPUs as compared to vLLM."
        ),
        source="OSDI 2024 abstract (papers.cool mirror of the USENIX page)",
        confirmed=True,
        model="Mistral-7B",
        gpu="1 x A100",
        workload="openchat_sharegpt4 and arxiv_summarization traces",
        baseline="vLLM (prefill pauses decoding)",
        metric="serving capacity (QPS) under a P99 TBT SLO",
        low=2.6,
        high=2.6,
    ),
    PublishedResult(
        system="DistServe",
        citation_key="zhong2024distserve",
        title=(
            "DistServe: Disaggregating Prefill and Decoding for Goodput-optimized Large Language "
            "Model Serving"
        ),
        quote=(
            "DistServe can serve 7.4x more requests or 12.6x tighter SLO, compared to "
            "state-of-the-art systems, while staying within latency constraints for > 90% of requests."
        ),
        source="abstract of arXiv:2401.09670 (v3), as shown on its arXiv page",
        confirmed=True,
        model="OPT-13B/66B/175B",
        gpu="A100 80 GB",
        workload="ShareGPT chat, HumanEval, LongBench",
        baseline="vLLM, DeepSpeed-MII",
        metric="goodput per GPU (rate within TTFT and TPOT SLOs for 90%)",
        low=7.4,
        high=7.4,
    ),
    PublishedResult(
        system="Splitwise",
        citation_key="patel2024splitwise",
        title="Splitwise: Efficient Generative LLM Inference Using Phase Splitting",
        quote=(
            "Compared to current designs, Splitwise clusters achieve up to 1.4x higher throughput "
            "at 20% lower cost. Alternatively, they can deliver 2.35x more throughput under the "
            "same power and cost budgets."
        ),
        source="Microsoft Research publication page (ISCA 2024 abstract)",
        confirmed=True,
        model="Llama-2-70B, BLOOM-176B",
        gpu="DGX-H100 and DGX-A100 (heterogeneous pools)",
        workload="Azure coding and conversation traces",
        baseline="colocated (vLLM-style) H100 clusters",
        metric="throughput at iso-cost (and cost at iso-throughput)",
        low=1.4 / 0.8,
        high=1.4 / 0.8,
    ),
    PublishedResult(
        system="SGLang (RadixAttention)",
        citation_key="zheng2024sglang",
        title="SGLang: Efficient Execution of Structured Language Model Programs",
        quote=(
            "Experiments show that SGLang achieves up to 6.4× higher throughput compared to "
            "state-of-the-art inference systems on various large language and multi-modal models "
            "on tasks including agent control, logical reasoning, few-shot learning benchmarks, "
            "JSON decoding, retrieval-augmented generation pipelines, and multi-turn chat."
        ),
        source="NeurIPS 2024 abstract (proceedings and arXiv:2312.07104)",
        confirmed=True,
        model="Llama-7B ... Mixtral, LLaVA",
        gpu="A10G / A100",
        workload="few-shot (MMLU, HellaSwag), agents, chat",
        baseline="vLLM, Guidance, LMQL",
        metric="throughput (programs/s)",
        low=6.4,
        high=6.4,
    ),
)


def _a100_40gb() -> object:
    return dataclasses.replace(
        get_accelerator("a100-80gb-sxm"), id="a100-40gb-sxm", name="A100 40GB SXM", hbm_bytes=40 * 2**30
    )


_SETUPS = {
    "kwon2023efficient": (
        "Llama-2-13B (OPT-13B's shape and KV size) on an A100 40GB, ShareGPT-like lognormal lengths "
        "(prompt 160, output 340 tokens, cv 1, clipped at 1,024), stable-limit throughput, paged "
        "(16-token blocks) over contiguous reserving 2,048"
    ),
    "agrawal2024taming": (
        "Llama-3-8B (Mistral-7B's class) on an A100 80GB, arxiv-summarization-like prompts (mean "
        "2,000, cv 0.8) and outputs (mean 200), p99 TTFT <= 5 s and median TPOT <= 50 ms; chunked "
        "(best of 256-2,048) over interleaved. Our TPOT is a mean per request, not the P99 time "
        "between tokens the paper's SLO bounds, where a paused batch shows most: the model's gain "
        "is a lower bound"
    ),
    "zhong2024distserve": (
        "Llama-3-70B on 4 x H100 per replica, chat-like lengths (1,000 / 250, cv 1), 100 "
        "requests/s, p99 TTFT <= 0.5 s, median TPOT <= 40 ms: GPUs of the cheapest colocated fleet "
        "over the cheapest disaggregated one. The model has one GPU type, the same parallelism in "
        "both pools and no interference beyond the prefill pauses it prices, so it finds no gain "
        "where the paper, against vLLM's interleaved scheduling at tight SLOs, finds up to 7.4x"
    ),
    "patel2024splitwise": (
        "Llama-3-70B on 4 x H100 per replica (homogeneous pools), coding-like lengths (1,500 / 20), "
        "100 requests/s, p99 TTFT <= 1 s, median TPOT <= 50 ms: throughput per dollar of the "
        "cheapest disaggregated fleet over the cheapest colocated one. The published 1.4x at 0.8x "
        "cost (1.75x per dollar) includes cheaper A100 token machines, which a homogeneous model "
        "leaves out"
    ),
    "zheng2024sglang": (
        "Llama-3-8B on an A100 80GB, a 1,500-token few-shot prompt of which 95% is the shared "
        "examples, all cached (hit rate 1): the prefill speedup, the ceiling of the whole-request "
        "gain when the answer is a few tokens"
    ),
}

_RELATIONS = {
    "kwon2023efficient": "within",
    "agrawal2024taming": "at most",
    "zhong2024distserve": "at most",
    "patel2024splitwise": "at most",
    "zheng2024sglang": "at least",
}


def _holds(key: str, ours: float, r: PublishedResult) -> bool:
    if key == "kwon2023efficient":
        return r.low <= ours <= r.high
    if key == "agrawal2024taming":
        return 1.0 <= ours <= r.high
    if key == "zheng2024sglang":
        return ours >= r.high
    return ours <= r.high


def _ours() -> dict[str, float]:
    """Our figure for each paper (see :data:`_SETUPS` for the setups)."""
    out: dict[str, float] = {}
    # vLLM: paged vs contiguous reservation of the model's 2,048-token maximum, 13B on an A100 40GB
    d = deployment(_a100_40gb(), "llama-2-13b")  # type: ignore[arg-type]
    share = workload.Traffic(
        prompt=workload.lognormal_length(160, 1.0, maximum=1024),
        output=workload.lognormal_length(340, 1.0, maximum=1024),
    )
    out["kwon2023efficient"] = eng.compare_allocations(d, share, reserve_tokens=2048).throughput_ratio
    # Sarathi-Serve: chunked vs interleaved capacity within a TTFT and TPOT target, 8B on an A100 80GB
    d8 = deployment("a100-80gb-sxm", "llama-3-8b")
    arxiv = workload.Traffic(
        prompt=workload.lognormal_length(2000, 0.8, maximum=8192),
        output=workload.lognormal_length(200, 1.0, maximum=1024),
    )
    ri, _ = disaggregation.max_rate_within(
        d8, arxiv, workload.EngineConfig(scheduling="interleaved"), ttft_p99_s=5.0, tpot_s=0.05
    )
    rc = max(
        disaggregation.max_rate_within(
            d8,
            arxiv,
            workload.EngineConfig(scheduling="chunked", chunk_tokens=ch),
            ttft_p99_s=5.0,
            tpot_s=0.05,
        )[0]
        for ch in (256, 512, 1024, 2048)
    )
    out["agrawal2024taming"] = rc / ri if ri > 0 else float("inf")
    # DistServe and Splitwise: GPUs of the cheapest colocated fleet over the cheapest disaggregated one
    d70 = deployment("h100-sxm", "llama-3-70b", n_devices=4)
    chat = workload.Traffic(
        prompt=workload.lognormal_length(1000, 1.0, maximum=4096),
        output=workload.lognormal_length(250, 1.0, maximum=1024),
    )
    ch = disaggregation.cheapest_schedules(d70, chat, 100.0, ttft_p99_s=0.5, tpot_s=0.04)
    out["zhong2024distserve"] = min(x.gpus for x in ch[:2]) / ch[2].gpus
    code = workload.Traffic(
        prompt=workload.lognormal_length(1500, 1.0, maximum=8192),
        output=workload.lognormal_length(20, 1.0, maximum=256),
    )
    cs = disaggregation.cheapest_schedules(d70, code, 100.0, ttft_p99_s=1.0, tpot_s=0.05)
    out["patel2024splitwise"] = min(x.gpus for x in cs[:2]) / cs[2].gpus
    # SGLang: few-shot prompts whose shared examples are all cached; one prefill and a short answer
    out["zheng2024sglang"] = float(np.asarray(prefix_cache.prefix_cache(d8, 1500, 0.95, 1.0).speedup))
    return out


@lru_cache(maxsize=1)
def comparisons() -> tuple[Comparison, ...]:
    """Our figure for each :data:`PUBLISHED` result, with the ratio and whether the relation holds
    (about 5 s; cached)."""
    ours = _ours()
    return tuple(
        Comparison(
            published=r,
            ours=ours[r.citation_key],
            our_setup=_SETUPS[r.citation_key],
            relation=_RELATIONS[r.citation_key],
            ratio=ours[r.citation_key] / r.high,
            holds=_holds(r.citation_key, ours[r.citation_key], r),
        )
        for r in PUBLISHED
    )
