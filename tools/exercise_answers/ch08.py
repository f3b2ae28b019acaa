"""Answer checks for chapter 8 (serving engines)."""

from __future__ import annotations

from inferecon.serving import engine as eng
from inferecon.serving import prefix_cache, workload
from inferecon.specs.deployment import deployment

from . import Answer


def _d() -> object:
    return deployment("h100-sxm", "llama-3-8b")


def _traffic() -> workload.Traffic:
    return workload.Traffic(prompt=workload.lognormal_length(1000, 1.0), output=workload.lognormal_length(250, 1.0))


def _ex2() -> float:
    # mean batch that forms for fixed 512 / 257 tokens at 20 requests/s (interleaved, paged)
    fixed = workload.Traffic(prompt=workload.fixed_length(512), output=workload.fixed_length(257))
    return float(eng.serve(_d(), fixed, 20.0).batch)  # type: ignore[arg-type]


def _ex3() -> float:
    # sequences a paged cache holds over a maximal contiguous reservation
    return float(eng.compare_allocations(_d(), _traffic()).batch_ratio)  # type: ignore[arg-type]


def _ex4() -> float:
    # prefill speedup of a 2,000-token prompt, 80% shared prefix, 90% hit rate
    return float(prefix_cache.prefix_cache(_d(), 2000, 0.8, 0.9).speedup)  # type: ignore[arg-type]


def _ex5() -> float:
    # stable request rate of the chapter's replica with its KV cache in FP8
    return float(eng.stable_rate(_d().with_(kv_format="fp8"), _traffic()).rate)  # type: ignore[arg-type]


ANSWERS = {
    "8.2": Answer(_ex2, rtol=0.02, unit="sequences",
                  hint="Solve b = lam (O - 1) t(b + 1) / (1 - lam s) with t the memory roof at "
                       "context 512 + 257/2 and s the 512-token prefill."),
    "8.3": Answer(_ex3, rtol=0.02, unit="times",
                  hint="Contiguous reserves the longest prompt plus the longest output; paged holds the "
                       "mean context a step reads plus half a 16-token block."),
    "8.4": Answer(_ex4, rtol=0.02, unit="times",
                  hint="The cached 1,440 tokens are skipped; the other 560 still attend to everything "
                       "before them."),
    "8.5": Answer(_ex5, rtol=0.02, unit="requests/s",
                  hint="An FP8 cache holds twice the sequences; find the rate at which the mean batch plus "
                       "one fills it, or another limit binds first."),
}
