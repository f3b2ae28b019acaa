"""A discrete-event simulation of one serving replica with iteration-level scheduling.

Requests arrive as a Poisson process; each iteration of the replica is either a prefill pass
(interleaved scheduling: every admissible waiting prompt, up to ``max_prefill_tokens``, while
decoding pauses, as vLLM without chunking) or a decode step of every running sequence, which
with chunked scheduling also carries up to ``chunk_tokens`` prompt tokens from the head of the
queue (Sarathi-Serve). A prompt is admitted when its KV cache fits: paged, in blocks of
``block_tokens`` allocated as the sequence grows, preempting the most recently admitted
sequence (to be recomputed) when a block is missing, as vLLM does; contiguous, reserving the
longest possible sequence. Step times are the roofline's (:func:`inferecon.serving.roofline.decode_step`
and :func:`~inferecon.serving.roofline.prefill_step`): a decode step of :math:`b` sequences
attending to :math:`S` cached tokens in all takes
:math:`\\max(t_\\mathrm{mem}(b) + S k/(n u_B B),\\ t_\\mathrm{comp}(b) + a S/(n u_C C))`,
both linear in :math:`S`, so the simulation tracks only :math:`b` and :math:`S`.

It checks :mod:`inferecon.serving.engine`'s analytic model, which approximates exactly what
this simulates. 20,000 requests take about a second.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inferecon.serving.engine import ALLOCATIONS, Traffic, VLLM_BLOCK_TOKENS, _deployment, _scalar, kv_capacity
from inferecon.serving.moe import params_read_per_step
from inferecon.serving.roofline import decode_step
from inferecon.specs.deployment import Deployment

__all__ = ["SimulationResult", "simulate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """Per-request times (seconds) and what the replica did.

    ``arrival``, ``first_token``, ``finish``, ``prompt``, ``output`` per request;
    ``mean_batch`` the time-average number of sequences in decode (measured by the iteration
    loop, independently of the per-request times); ``decode_tokens`` the tokens decode steps
    made; ``peak_kv_tokens`` the most KV tokens ever allocated (blocks or reservations) against
    ``kv_capacity_tokens``; ``preemptions`` sequences evicted for recomputation.
    """

    arrival: NDArray[np.float64]
    first_token: NDArray[np.float64]
    finish: NDArray[np.float64]
    prompt: NDArray[np.float64]
    output: NDArray[np.float64]
    mean_batch: float
    busy_seconds: float
    decode_tokens: int
    prefill_passes: int
    decode_steps: int
    peak_kv_tokens: float
    kv_capacity_tokens: float
    preemptions: int
    scheduling: str
    allocation: str

    @property
    def ttft(self) -> NDArray[np.float64]:
        """Time to first token of each request."""
        return self.first_token - self.arrival

    @property
    def tpot(self) -> NDArray[np.float64]:
        """Mean time per output token after the first, of each request with two or more."""
        m = self.output >= 2
        return (self.finish[m] - self.first_token[m]) / (self.output[m] - 1.0)

    @property
    def e2e(self) -> NDArray[np.float64]:
        """Arrival to last token."""
        return self.finish - self.arrival

    @property
    def duration(self) -> float:
        """First arrival to last finish."""
        return float(self.finish.max() - self.arrival.min())

    @property
    def tokens_per_s(self) -> float:
        """Output tokens per second over the run."""
        return float(self.output.sum()) / self.duration

    @property
    def mean_decode_batch_littles_law(self) -> float:
        """Mean sequences in decode by Little's law: :math:`\\sum_i (f_i - \\text{first}_i) / T`."""
        return float((self.finish - self.first_token).sum()) / self.duration

    def summary(self) -> dict[str, float]:
        """Median and p99 of TTFT, TPOT and E2E, throughput and mean batch."""
        out: dict[str, float] = {}
        for name, x in (("ttft", self.ttft), ("tpot", self.tpot), ("e2e", self.e2e)):
            out[f"{name}_median"] = float(np.median(x)) if x.size else math.nan
            out[f"{name}_p99"] = float(np.quantile(x, 0.99)) if x.size else math.nan
        out["tokens_per_s"] = self.tokens_per_s
        out["mean_batch"] = self.mean_batch
        return out


def simulate(deployment: Deployment, traffic: Traffic, rate: float, n_requests: int = 20_000, *,
             seed: int = 0, scheduling: str = "interleaved", allocation: str = "paged",
             block_tokens: int = VLLM_BLOCK_TOKENS, chunk_tokens: int = 512, reserve_tokens: int = 0,
             max_prefill_tokens: int = 16_384) -> SimulationResult:
    """Simulate ``n_requests`` Poisson arrivals at ``rate`` per second on one replica.

    ``seed`` seeds ``np.random.default_rng``. Raises ValueError for bad input or when one
    longest sequence cannot fit beside the weights. A load beyond the stable limit runs, but
    its queue grows through the run (compare the TTFT of early and late requests).
    """
    d = _deployment(deployment)
    if not isinstance(traffic, Traffic):
        raise ValueError(f"traffic must be a Traffic, got {traffic!r}")
    lam = _scalar("rate", rate, 0.0, low_open=True)
    n = int(_scalar("n_requests", n_requests, 1, 1e7, integer=True))
    sd = int(_scalar("seed", seed, 0, integer=True))
    if scheduling not in ("interleaved", "chunked"):
        raise ValueError(f"scheduling must be interleaved or chunked (disaggregated is analytic only); got {scheduling!r}")
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}; got {allocation!r}")
    blk = int(_scalar("block_tokens", block_tokens, 1, integer=True))
    chunk = int(_scalar("chunk_tokens", chunk_tokens, 1, integer=True))
    maxpf = int(_scalar("max_prefill_tokens", max_prefill_tokens, 1, integer=True))
    cap = kv_capacity(d, traffic, allocation, block_tokens=blk, reserve_tokens=int(reserve_tokens))
    kv_tok = cap.kv_tokens
    if maxpf < traffic.prompt.maximum:
        raise ValueError(f"max_prefill_tokens must hold the longest prompt, {traffic.prompt.maximum}; got {maxpf}")

    rng = np.random.default_rng(sd)
    arrival = np.cumsum(rng.exponential(1.0 / lam, n))
    prompt = traffic.prompt.sample(rng, n)
    output = traffic.output.sample(rng, n)
    first = np.full(n, np.nan)
    finish = np.full(n, np.nan)

    # roofline constants (decode_step is linear in the total context S for a fixed batch)
    m = d.model
    s0 = decode_step(d, 1.0, 0.0)
    s1 = decode_step(d, 1.0, 1.0)
    km = float(s1.memory_seconds - s0.memory_seconds)          # s per cached token read
    kc = float(s1.compute_seconds - s0.compute_seconds)        # s per cached token attended
    cp = float(s0.compute_seconds)                             # s of matmul per token
    table_n = int(max(cap.kv_tokens / max(min(traffic.prompt.grid(64)), 1.0), 1.0)) + chunk + maxpf + 2
    if m.is_moe:
        mw = d.weight_format.bytes_per_element * params_read_per_step(m, np.arange(1, table_n + 1, dtype=float)) \
            / d.hbm_bytes_per_s
        mw = np.concatenate([[mw[0]], mw])
        wread = lambda tokens: float(mw[min(tokens, table_n)])
    else:
        w0 = float(s0.memory_seconds)
        wread = lambda tokens: w0
    kvw = d.kv_bytes_per_token / d.hbm_bytes_per_s              # s per KV token written (prefill)
    a_flop = m.attention_flop_per_context_token
    n2 = 2.0 * m.active_matmul_params
    fl = d.flop_per_s

    def prefill_flops(start: float, end: float) -> float:
        """FLOPs of prompt tokens start..end-1 (each attends to all before it)."""
        return n2 * (end - start) + a_flop * (end * (end - 1.0) - start * (start - 1.0)) / 2.0

    paged = allocation == "paged"
    total_blocks = math.floor(kv_tok / blk)
    slots = math.floor(kv_tok / cap.tokens_per_sequence)
    used = 0            # blocks (paged) or reserved sequences (contiguous)
    peak = 0.0

    queue: deque[int] = deque()
    pending: dict[int, float] = {}          # request -> prompt tokens still to prefill (chunked progress)
    recompute: dict[int, float] = {}        # preempted request -> tokens to recompute (prompt + generated)
    done_tokens = np.zeros(n)               # output tokens generated so far, per request
    # running sequences
    b = 0
    sumbase = 0.0
    k = 0                                   # decode iteration index
    base: dict[int, float] = {}
    joined: dict[int, int] = {}
    blocks: dict[int, int] = {}
    epoch = np.zeros(n, dtype=np.int64)
    finish_at: dict[int, list[tuple[int, int]]] = {}
    cross_at: dict[int, list[tuple[int, int]]] = {}
    order: list[tuple[int, int, int]] = []  # (-join order, request, epoch) heap for LIFO preemption
    join_seq = 0

    clock = 0.0
    nxt = 0
    area_b = 0.0
    busy = 0.0
    dec_tokens = 0
    passes = 0
    steps = 0
    preempt = 0

    def admit_cost(i: int) -> int:
        tok = recompute.get(i, prompt[i])
        return math.ceil((tok + 1.0) / blk) if paged else 1

    def join(i: int, now_k: int) -> None:
        nonlocal b, sumbase, join_seq
        ctx = prompt[i] + done_tokens[i]                  # KV after prefill; the next step attends ctx
        remaining = int(output[i] - done_tokens[i])
        if remaining <= 0:
            finish[i] = clock
            release(i)
            return
        b += 1
        base[i] = ctx - now_k
        sumbase += base[i]
        joined[i] = now_k
        finish_at.setdefault(now_k + remaining - 1, []).append((i, int(epoch[i])))
        if paged:
            # blocks cover ctx + ... ; a new block is needed before the step whose KV reaches a block edge
            have = blocks[i] * blk
            s_first = int(have - ctx) + 1                  # first step whose KV write needs a new block
            kk = now_k + s_first
            if s_first < remaining:
                cross_at.setdefault(kk, []).append((i, int(epoch[i])))
        join_seq += 1
        heapq.heappush(order, (-join_seq, i, int(epoch[i])))

    def release(i: int) -> None:
        nonlocal used
        if paged:
            used -= blocks.pop(i, 0)
        else:
            used -= 1

    def leave(i: int) -> None:
        nonlocal b, sumbase
        b -= 1
        sumbase -= base.pop(i)
        joined.pop(i)
        release(i)

    while True:
        while nxt < n and arrival[nxt] <= clock:
            queue.append(nxt)
            nxt += 1
        if b == 0 and not queue and not pending:
            if nxt >= n:
                break
            clock = float(arrival[nxt])
            continue
        # ---- admission (both schedules admit whole prompts' KV in FCFS order)
        admitted: list[int] = []
        tokens = 0.0
        while queue:
            i = queue[0]
            need = admit_cost(i)
            ptok = recompute.get(i, prompt[i])
            if scheduling == "interleaved" and tokens + ptok > maxpf:
                break
            if (used + need > total_blocks) if paged else (used + 1 > slots):
                break
            queue.popleft()
            used += need
            if paged:
                blocks[i] = need
            admitted.append(i)
            tokens += ptok
            if scheduling == "chunked":
                pending[i] = ptok
        peak = max(peak, used * (blk if paged else cap.tokens_per_sequence))
        if scheduling == "interleaved" and admitted:
            comp = sum(prefill_flops(0.0, recompute.get(i, prompt[i])) for i in admitted) / fl
            mem = wread(int(tokens)) + tokens * kvw
            dt = max(mem, comp)
            area_b += b * dt
            clock += dt
            busy += dt
            passes += 1
            for i in admitted:
                if i in recompute:
                    recompute.pop(i)
                else:
                    first[i] = clock
                    done_tokens[i] = 1.0
                join(i, k)
            continue
        if b == 0 and not pending:
            if not queue:
                continue
            if nxt >= n and not admitted:
                raise RuntimeError("a waiting request can never be admitted")   # pragma: no cover
            clock = float(arrival[nxt]) if nxt < n else clock
            continue
        # ---- paged: allocate the blocks this step needs, preempting the newest sequences
        if paged and k in cross_at:
            need_list = [i for i, ep in cross_at.pop(k) if epoch[i] == ep and i in joined]
            for i in need_list:
                if i not in joined:
                    continue
                while used + 1 > total_blocks:
                    while order and (order[0][1] not in joined or epoch[order[0][1]] != order[0][2]):
                        heapq.heappop(order)
                    if not order:
                        raise RuntimeError("KV blocks exhausted by prompts still being prefilled")
                    _, v, _ = heapq.heappop(order)
                    # evict v: recompute prompt + generated tokens later, at the queue's head
                    gen = k - joined[v]
                    done_tokens[v] += gen
                    leave(v)
                    epoch[v] += 1
                    recompute[v] = prompt[v] + done_tokens[v]
                    queue.appendleft(v)
                    preempt += 1
                    if v == i:
                        break
                if i not in joined:
                    continue
                used += 1
                blocks[i] += 1
                rem = int(output[i] - done_tokens[i]) - (k - joined[i]) - 1
                if blk <= rem:
                    cross_at.setdefault(k + blk, []).append((i, int(epoch[i])))
            peak = max(peak, used * blk)
        # ---- one iteration: decode the batch (and a prompt chunk if chunked)
        S = sumbase + b * k
        ch_tok = 0.0
        ch_flop = 0.0
        finished_prefill: list[int] = []
        if scheduling == "chunked":
            budget = float(chunk)
            for i in list(pending):
                if budget <= 0:
                    break
                rem = pending[i]
                tot = recompute.get(i, prompt[i])
                take = min(rem, budget)
                start = tot - rem
                ch_flop += prefill_flops(start, start + take)
                ch_tok += take
                budget -= take
                if take >= rem:
                    pending.pop(i)
                    finished_prefill.append(i)
                else:
                    pending[i] = rem - take
        mem = wread(b + int(ch_tok)) + S * km + ch_tok * kvw
        comp = b * cp + S * kc + ch_flop / fl
        dt = max(mem, comp)
        area_b += b * dt
        clock += dt
        busy += dt
        if b:
            steps += 1
            dec_tokens += b
            k += 1
            for i, ep in finish_at.pop(k - 1, []):
                if epoch[i] == ep and i in joined:
                    done_tokens[i] = output[i]
                    finish[i] = clock
                    leave(i)
        else:
            passes += 1
        for i in finished_prefill:
            if i in recompute:
                recompute.pop(i)
            else:
                first[i] = clock
                done_tokens[i] = 1.0
            join(i, k)

    # clean up stale finish events: any request not finished is a bug
    if np.isnan(finish).any() or np.isnan(first).any():   # pragma: no cover
        raise RuntimeError("simulation ended with unfinished requests")
    return SimulationResult(arrival=arrival, first_token=first, finish=finish, prompt=prompt, output=output,
                            mean_batch=area_b / float(finish.max() - arrival.min()), busy_seconds=busy,
                            decode_tokens=dec_tokens, prefill_passes=passes, decode_steps=steps,
                            peak_kv_tokens=peak, kv_capacity_tokens=kv_tok, preemptions=preempt,
                            scheduling=scheduling, allocation=allocation)
