"""A discrete-event simulation of one serving replica with iteration-level scheduling.

Requests arrive as a Poisson process; each iteration of the replica is either a prefill pass
(interleaved scheduling: every admissible waiting prompt, up to ``max_prefill_tokens``, while
decoding pauses, as vLLM without chunking) or a decode step of every running sequence, which
with chunked scheduling also carries up to ``chunk_tokens`` prompt tokens from the head of the
queue (Sarathi-Serve). A prompt is admitted when its KV cache fits: paged, in blocks of
``block_tokens`` allocated as the sequence grows, preempting the most recently admitted
sequence (to be recomputed) when a block is missing, as vLLM does; contiguous, reserving the
longest possible sequence. Step times are the roofline's (:func:`inferecon.serving.roofline.decode_step`
and :func:`~inferecon.serving.prefill.prefill_step`): a decode step of :math:`b` sequences
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

from inferecon.serving.kv_cache import kv_capacity
from inferecon.serving.moe import params_read_per_step
from inferecon.serving.roofline import decode_step
from inferecon.serving.workload import ALLOCATIONS, VLLM_BLOCK_TOKENS, Traffic, _deployment, _scalar
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


def simulate(
    deployment: Deployment,
    traffic: Traffic,
    rate: float,
    n_requests: int = 20_000,
    *,
    seed: int = 0,
    scheduling: str = "interleaved",
    allocation: str = "paged",
    block_tokens: int = VLLM_BLOCK_TOKENS,
    chunk_tokens: int = 512,
    reserve_tokens: int = 0,
    max_prefill_tokens: int = 16_384,
) -> SimulationResult:
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
        raise ValueError(
            f"scheduling must be interleaved or chunked (disaggregated is analytic only); got {scheduling!r}"
        )
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}; got {allocation!r}")
    blk = int(_scalar("block_tokens", block_tokens, 1, integer=True))
    chunk = int(_scalar("chunk_tokens", chunk_tokens, 1, integer=True))
    maxpf = int(_scalar("max_prefill_tokens", max_prefill_tokens, 1, integer=True))
    res = int(_scalar("reserve_tokens", reserve_tokens, 0, integer=True))
    cap = kv_capacity(d, traffic, allocation, block_tokens=blk, reserve_tokens=res)
    kv_tok = cap.kv_tokens
    if maxpf < traffic.prompt.maximum:
        raise ValueError(
            f"max_prefill_tokens must hold the longest prompt, {traffic.prompt.maximum}; got {maxpf}"
        )

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
    km = float(s1.memory_seconds - s0.memory_seconds)  # s per cached token read
    kc = float(s1.compute_seconds - s0.compute_seconds)  # s per cached token attended
    cp = float(s0.compute_seconds)  # s of matmul per token
    table_n = int(max(cap.kv_tokens / max(min(traffic.prompt.grid(64)), 1.0), 1.0)) + chunk + maxpf + 2
    if m.is_moe:
        read = params_read_per_step(m, np.arange(1, table_n + 1, dtype=float))
        mw = d.weight_format.bytes_per_element * read / d.hbm_bytes_per_s
        mw = np.concatenate([[mw[0]], mw])

        def wread(tokens: int) -> float:
            return float(mw[min(tokens, table_n)])
    else:
        w0 = float(s0.memory_seconds)

        def wread(tokens: int) -> float:
            return w0

    kvw = d.kv_bytes_per_token / d.hbm_bytes_per_s  # s per KV token written (prefill)
    a_flop = m.attention_flop_per_context_token
    n2 = 2.0 * m.active_matmul_params
    fl = d.flop_per_s

    def prefill_flops(start: float, end: float) -> float:
        """FLOPs of prompt tokens start..end-1 (each attends to all before it)."""
        return n2 * (end - start) + a_flop * (end * (end - 1.0) - start * (start - 1.0)) / 2.0

    paged = allocation == "paged"
    total_blocks = math.floor(kv_tok / blk)
    slots = math.floor(kv_tok / cap.tokens_per_sequence)
    peak = 0.0
    P = [int(x) for x in prompt.tolist()]
    outs = [int(x) for x in output.tolist()]
    done = [0] * n  # output tokens generated so far, per request
    epoch = [0] * n

    queue: deque[int] = deque()
    pending: dict[int, int] = {}  # request -> prompt tokens still to prefill (chunked progress)
    recompute: dict[int, int] = {}  # preempted request -> tokens to recompute (prompt + generated)
    held = 0  # blocks (paged) / slots (contiguous) of admitted, not decoding
    need_of: dict[int, int] = {}
    # running sequences: the step with index k attends base_i + k tokens of sequence i
    b = 0
    sumbase = 0
    k = 0
    base: dict[int, int] = {}
    joined: dict[int, int] = {}
    # paged blocks of the decoding sequences before step k: sum_i ceil((base_i + k)/blk)
    #   = fsum + b * (k // blk) + #{i : r_i >= blk - k % blk},  q_i = base_i + blk - 1, r_i = q_i % blk
    fsum = 0
    rcount = [0] * blk
    finish_at: dict[int, list[tuple[int, int]]] = {}
    finish_keys: list[int] = []
    order: list[tuple[int, int, int]] = []  # (-join order, request, epoch) heap for LIFO preemption
    join_seq = 0

    def dec_blocks(kk: int) -> int:
        t = blk - kk % blk
        return fsum + b * (kk // blk) + sum(rcount[t:])

    clock = 0.0
    nxt = 0
    area_b = 0.0
    busy = 0.0
    dec_tokens = 0
    passes = 0
    steps = 0
    preempt = 0

    def next_finish() -> float:
        while finish_keys and finish_keys[0] not in finish_at:
            heapq.heappop(finish_keys)
        return float(finish_keys[0]) if finish_keys else math.inf

    def tokens_for(i: int) -> int:
        """Tokens the (re)prefill of ``i`` processes."""
        return recompute.get(i, P[i])

    def admit_need(i: int) -> int:
        return -(-(P[i] + max(done[i], 1)) // blk) if paged else 1

    def join(i: int) -> None:
        nonlocal b, sumbase, join_seq, fsum, held
        held -= need_of.pop(i)
        remaining = outs[i] - done[i]
        if remaining <= 0:
            finish[i] = clock
            return
        ctx = P[i] + done[i]  # the first step attends the prompt and the tokens so far
        b += 1
        base[i] = ctx - k
        sumbase += base[i]
        joined[i] = k
        if paged:
            q = base[i] + blk - 1
            fsum += q // blk
            rcount[q % blk] += 1
        at = k + remaining - 1
        if at not in finish_at:
            finish_at[at] = []
            heapq.heappush(finish_keys, at)
        finish_at[at].append((i, epoch[i]))
        join_seq += 1
        heapq.heappush(order, (-join_seq, i, epoch[i]))

    def leave(i: int) -> None:
        nonlocal b, sumbase, fsum
        b -= 1
        bi = base.pop(i)
        sumbase -= bi
        joined.pop(i)
        if paged:
            q = bi + blk - 1
            fsum -= q // blk
            rcount[q % blk] -= 1

    def used_now() -> int:
        return held + (dec_blocks(k) if paged else b)

    while True:
        while nxt < n and arrival[nxt] <= clock:
            queue.append(nxt)
            nxt += 1
        if b == 0 and not queue and not pending:
            if nxt >= n:
                break
            clock = float(arrival[nxt])
            continue
        # ---- admission in FCFS order of whole prompts' KV (blocks, or a maximal reservation)
        admitted: list[int] = []
        tokens = 0
        if queue:
            free = (total_blocks if paged else slots) - used_now()
            while queue:
                i = queue[0]
                need = admit_need(i)
                ptok = tokens_for(i)
                if scheduling == "interleaved" and tokens + ptok > maxpf:
                    break
                if need > free:
                    break
                queue.popleft()
                free -= need
                held += need
                need_of[i] = need
                admitted.append(i)
                tokens += ptok
                if scheduling == "chunked":
                    pending[i] = ptok
            if admitted:  # (blocks the next step needs are allocated, or preempted for, before it runs)
                peak = max(peak, used_now() * (blk if paged else cap.tokens_per_sequence))
        if scheduling == "interleaved" and admitted:
            comp = sum(prefill_flops(0.0, tokens_for(i)) for i in admitted) / fl
            mem = wread(tokens) + tokens * kvw
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
                    done[i] = 1
                join(i)
            continue
        if b == 0 and not pending:
            if nxt >= n:  # pragma: no cover - kv_capacity guarantees one longest sequence fits
                raise RuntimeError("a waiting request can never be admitted")
            clock = max(clock, float(arrival[nxt]))
            continue
        # ---- fast path: nothing but the clock changes until the next finish, the cache's
        # last free block or (with an empty queue) the next arrival: run those steps at once.
        # Step j of the stretch takes max(am + bm j, ac + bc j) (b fixed, S grows by b a step).
        if b and not pending and (not queue or not admitted):
            J = int(min(next_finish() - k + 1, 1 << 20))
            if paged and J >= 2:
                # blocks(k + j) <= blocks(k) + b (j // blk + 1)
                room = total_blocks - held - dec_blocks(k)
                safe = (room // b) * blk if room >= b else 0
                if safe < J:
                    ks = k + np.arange(J if J <= 8192 else 8192)
                    suffix = np.concatenate([np.cumsum(rcount[::-1])[::-1], [0]])
                    need_b = held + fsum + b * (ks // blk) + suffix[blk - ks % blk]
                    over = np.nonzero(need_b > total_blocks)[0]
                    J = int(over[0]) if over.size else int(ks.size)
            if J >= 2:
                S0 = sumbase + b * k
                am, bm = wread(b) + S0 * km, b * km
                ac, bc = b * cp + S0 * kc, b * kc
                target = float(arrival[nxt] - clock) if (not queue and nxt < n) else math.inf
                mem_first, mem_last = am >= ac, am + bm * (J - 1) >= ac + bc * (J - 1)
                if mem_first == mem_last:  # one roof throughout: closed-form sums
                    al, be = (am, bm) if mem_first else (ac, bc)

                    def cum(jj: int, al: float = al, be: float = be) -> float:
                        return al * jj + be * jj * (jj - 1) / 2.0

                    if math.isfinite(target):
                        if be > 0:
                            h = al - be / 2.0
                            jj = math.ceil((-h + math.sqrt(h * h + 2.0 * be * target)) / be)
                        else:
                            jj = math.ceil(target / al)
                        jj = max(jj, 1)
                        while jj > 1 and cum(jj - 1) >= target:
                            jj -= 1
                        while cum(jj) < target:
                            jj += 1
                        J = min(J, jj)
                    dt = cum(J)
                else:
                    Sj = S0 + b * np.arange(J, dtype=float)
                    cs = np.cumsum(np.maximum(am + Sj * km - S0 * km, ac + Sj * kc - S0 * kc))
                    if math.isfinite(target):
                        J = min(J, int(np.searchsorted(cs, target)) + 1)
                    dt = float(cs[J - 1])
                if paged:
                    peak = max(peak, (held + dec_blocks(k + J - 1)) * blk)
                area_b += b * dt
                clock += dt
                busy += dt
                steps += J
                dec_tokens += b * J
                k += J
                for i, ep in finish_at.pop(k - 1, []):
                    if epoch[i] == ep and i in joined:
                        done[i] = outs[i]
                        finish[i] = clock
                        leave(i)
                continue
        # ---- paged: the blocks this step needs, preempting the newest sequences (recompute later)
        if paged and b:
            while held + dec_blocks(k) > total_blocks:
                while order and (order[0][1] not in joined or epoch[order[0][1]] != order[0][2]):
                    heapq.heappop(order)
                if not order:  # pragma: no cover
                    raise RuntimeError("KV blocks exhausted by prompts still being prefilled")
                _, v, _ = heapq.heappop(order)
                done[v] += k - joined[v]
                leave(v)
                epoch[v] += 1
                recompute[v] = P[v] + done[v]
                queue.appendleft(v)
                preempt += 1
            peak = max(peak, (held + dec_blocks(k)) * blk)
        # ---- one iteration: decode the batch (and a prompt chunk if chunked)
        S = sumbase + b * k
        ch_tok = 0
        ch_flop = 0.0
        finished_prefill: list[int] = []
        if scheduling == "chunked":
            budget = chunk
            for i in list(pending):
                if budget <= 0:
                    break
                rem = pending[i]
                tot = tokens_for(i)
                take = min(rem, budget)
                start_t = tot - rem
                ch_flop += prefill_flops(float(start_t), float(start_t + take))
                ch_tok += take
                budget -= take
                if take >= rem:
                    pending.pop(i)
                    finished_prefill.append(i)
                else:
                    pending[i] = rem - take
        mem = wread(b + ch_tok) + S * km + ch_tok * kvw
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
                    done[i] = outs[i]
                    finish[i] = clock
                    leave(i)
        else:
            passes += 1
        for i in finished_prefill:
            if i in recompute:
                recompute.pop(i)
            else:
                first[i] = clock
                done[i] = 1
            join(i)

    if np.isnan(finish).any() or np.isnan(first).any():  # pragma: no cover
        raise RuntimeError("simulation ended with unfinished requests")
    return SimulationResult(
        arrival=arrival,
        first_token=first,
        finish=finish,
        prompt=prompt,
        output=output,
        mean_batch=area_b / float(finish.max() - arrival.min()),
        busy_seconds=busy,
        decode_tokens=dec_tokens,
        prefill_passes=passes,
        decode_steps=steps,
        peak_kv_tokens=peak,
        kv_capacity_tokens=kv_tok,
        preemptions=preempt,
        scheduling=scheduling,
        allocation=allocation,
    )
