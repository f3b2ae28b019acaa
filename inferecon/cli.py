"""The ``inferecon`` command: ``inferecon plan`` and ``inferecon frontier``.

``inferecon plan`` searches the deployments of one model on one accelerator (replicas of 1,
2, 4 or 8 ideally tensor-parallel devices, in every weight format allowed) for the cheapest
that serve a workload within a time-to-first-token and a time-per-output-token target, with
:func:`inferecon.planning.planner.plan`; it prints them cheapest first, with what bounds each
(the batch: latency, memory or the batch cap; the decode step: HBM bandwidth or arithmetic)::

    inferecon plan --model llama-3-70b --accelerator h100-sxm --requests-per-s 20 \\
        --input-tokens 1000 --output-tokens 250 --ttft-ms 500 --tpot-ms 50 --weight-format fp8

``inferecon frontier`` sweeps every split of a model over an accelerator
(:func:`inferecon.serving.frontier.sweep`) and writes its speed-cost Pareto figure
(:func:`inferecon.plots.frontier.frontier_figure`)::

    inferecon frontier --model llama-3-70b --accelerator h100-sxm --out frontier.svg

Both take ``--json`` for scripts. Unknown ids and targets no deployment can meet exit with
status 2 and a message saying what is valid, or what comes closest and what bounds it.
Everything heavy is imported inside the commands, so ``import inferecon`` stays light.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from inferecon.specs.hardware import Accelerator
    from inferecon.specs.models import ModelSpec
    from inferecon.specs.precision import NumberFormat

__all__ = [
    "DEFAULT_DEVICE_COUNTS",
    "DEFAULT_WEIGHT_FORMATS",
    "Candidate",
    "CliError",
    "build_parser",
    "main",
    "plan_candidates",
]

#: GPUs per replica the planner tries (one HGX/DGX node at most: the replica is an ideal group).
DEFAULT_DEVICE_COUNTS = (1, 2, 4, 8)
#: Weight formats tried when ``--weight-format`` is not given (those the chip computes in).
DEFAULT_WEIGHT_FORMATS = ("bf16", "fp8")

EXIT_OK, EXIT_ERROR = 0, 2


class CliError(Exception):
    """A message for the user and exit status 2 (unknown id, impossible target, bad value)."""


def _resolve(kind: str, key: str, catalogue: Mapping[str, Any]) -> Any:
    """Look ``key`` up; unknown ids list the valid ones and suggest the closest (difflib)."""
    k = key.strip().lower()
    if k in catalogue:
        return catalogue[k]
    valid = sorted(catalogue)
    close = difflib.get_close_matches(k, valid, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise CliError(f"unknown {kind} {key!r}{hint} Valid {kind} ids: {', '.join(valid)}")


def _accelerator(key: str, price: float | None) -> Accelerator:
    import dataclasses

    from inferecon.specs.hardware import ACCELERATORS

    acc: Accelerator = _resolve("accelerator", key, ACCELERATORS)
    if price is not None:
        if not (math.isfinite(price) and price > 0):
            raise CliError(f"--price-usd-per-hour must be a positive number, got {price!r}")
        acc = dataclasses.replace(
            acc, price_usd_per_hour=float(price), price_basis="given on the command line"
        )
    return acc


def _model(key: str) -> ModelSpec:
    from inferecon.specs.models import MODELS

    m: ModelSpec = _resolve("model", key, MODELS)
    return m


def _formats(values: Sequence[str] | None, acc: Accelerator) -> list[NumberFormat]:
    from inferecon.specs.precision import FORMATS

    if not values:
        fmts = [FORMATS[f] for f in DEFAULT_WEIGHT_FORMATS]
        usable = [f for f in fmts if f.compute_precision in acc.flop_per_s]
        return usable
    out: list[NumberFormat] = []
    for v in values:
        for key in v.split(","):
            f: NumberFormat = _resolve("weight format", key, FORMATS)
            if f.compute_precision not in acc.flop_per_s:
                raise CliError(
                    f"{acc.name} has no {f.compute_precision} tensor-core rate for weight format "
                    f"{f.id!r}; it computes in: {', '.join(acc.flop_per_s)}"
                )
            if f not in out:
                out.append(f)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One deployment the planner sized: layout, fleet, price and what bounds it.

    ``ttft_s`` is a lone prompt's prefill plus one decode step at the plan's batch;
    ``tpot_s`` the time per output token at full load under the prefill scheduling;
    ``batch_limit`` what caps the batch (``latency``: the TPOT target, ``memory``: HBM,
    ``max_batch``); ``decode_bound`` what limits the decode step (``memory`` bandwidth or
    ``compute``); ``prefill_bound`` the same for the prompt.
    """

    weight_format: str
    n_devices: int
    tp: int
    replicas: int
    devices: int
    batch: int
    batch_limit: str
    usd_per_million_output_tokens: float
    usd_per_month: float
    ttft_s: float
    tpot_s: float
    step_s: float
    decode_bound: str
    prefill_bound: str
    utilization_at_average: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, times in milliseconds."""
        return {
            "weight_format": self.weight_format,
            "gpus_per_replica": self.n_devices,
            "tp": self.tp,
            "replicas": self.replicas,
            "gpus": self.devices,
            "batch": self.batch,
            "batch_limit": self.batch_limit,
            "usd_per_million_output_tokens": self.usd_per_million_output_tokens,
            "usd_per_month": self.usd_per_month,
            "ttft_ms": 1e3 * self.ttft_s,
            "tpot_ms": 1e3 * self.tpot_s,
            "decode_step_ms": 1e3 * self.step_s,
            "decode_bound": self.decode_bound,
            "prefill_bound": self.prefill_bound,
            "utilization_at_average": self.utilization_at_average,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class _Search:
    candidates: list[Candidate]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    fastest_tpot: tuple[float, str] | None = None
    fastest_ttft: tuple[float, str] | None = None
    capacity: list[str] = field(default_factory=list)


def _layout_text(acc: Accelerator, n: int, fmt: str, detail: str) -> str:
    return f"{n} x {acc.name}, tp={n}, {fmt}, {detail}"


def plan_candidates(
    model: ModelSpec,
    accelerator: Accelerator,
    *,
    requests_per_s: float,
    input_tokens: float,
    output_tokens: float,
    ttft_s: float,
    tpot_s: float,
    weight_formats: Sequence[NumberFormat],
    device_counts: Sequence[int] = DEFAULT_DEVICE_COUNTS,
    peak_to_average: float = 1.0,
    kv_format: str = "bf16",
    prefill_scheduling: str = "interleaved",
) -> _Search:
    """Every (weight format, GPUs per replica) the planner can size, cheapest first; why not the others."""
    import numpy as np

    from inferecon.planning.planner import (
        ReplicaConfig,
        Workload,
        ideal_replica,
        plan,
        seconds_per_output_token,
    )
    from inferecon.serving.prefill import prefill_compute_seconds, prefill_step
    from inferecon.serving.roofline import decode_step
    from inferecon.specs.deployment import deployment

    work = Workload(
        requests_per_s=requests_per_s,
        peak_to_average=peak_to_average,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )
    prompt = max(input_tokens, 1.0)
    found: list[Candidate] = []
    rejected: list[dict[str, Any]] = []
    capacity: list[str] = []
    best_tpot: tuple[float, str] | None = None
    best_ttft: tuple[float, str] | None = None
    for fmt in weight_formats:
        for n in device_counts:
            dep = deployment(
                accelerator,
                model,
                weight_format=fmt,
                kv_format=kv_format,
                n_devices=n,
                context_tokens=work.mean_context_tokens,
                hbm_fraction=0.9,
            )
            # fastest this replica can be: one sequence (the planner's own per-token time at batch 1)
            one = decode_step(dep, 1.0, work.max_context_tokens)
            if not bool(np.all(one.fits)):
                capacity.append(one.explain_infeasible())
                rejected.append(
                    {"weight_format": fmt.id, "gpus_per_replica": n, "reason": one.explain_infeasible()}
                )
                continue
            replica = ideal_replica(accelerator, n)
            pre = float(prefill_compute_seconds(replica, model, prompt, weight_format=fmt))
            st1 = decode_step(dep, 1.0)
            tau1 = float(
                seconds_per_output_token(
                    st1.seconds,
                    1.0,
                    pre,
                    output_tokens,
                    prefill_scheduling,
                    compute_seconds=st1.compute_seconds,
                )
            )
            pst = prefill_step(dep, prompt)
            ttft1 = float(pst.seconds) + float(st1.seconds)
            where = _layout_text(accelerator, n, fmt.id, f"batch 1, {st1.bound!s}-bound")
            if best_tpot is None or tau1 < best_tpot[0]:
                best_tpot = (tau1, where)
            pre_where = _layout_text(
                accelerator, n, fmt.id, f"{prompt:,.0f}-token prompt {pst.bound!s}-bound"
            )
            if best_ttft is None or ttft1 < best_ttft[0]:
                best_ttft = (ttft1, pre_where)
            cfg = ReplicaConfig(
                model=model,
                accelerator=accelerator,
                n_devices=n,
                weight_format=fmt.id,
                kv_format=kv_format,
                max_seconds_per_output_token=tpot_s,
                max_seconds_to_first_token=ttft_s,
                prefill_scheduling=prefill_scheduling,
            )
            try:
                p = plan(work, cfg)
            except ValueError as exc:
                rejected.append({"weight_format": fmt.id, "gpus_per_replica": n, "reason": str(exc)})
                continue
            stb = decode_step(dep, float(p.batch))
            found.append(
                Candidate(
                    weight_format=fmt.id,
                    n_devices=n,
                    tp=n,
                    replicas=p.replicas,
                    devices=p.devices,
                    batch=p.batch,
                    batch_limit=p.batch_limit,
                    usd_per_million_output_tokens=p.usd_per_million_output_tokens,
                    usd_per_month=p.usd_per_month,
                    ttft_s=float(pst.seconds) + p.step_seconds,
                    tpot_s=p.seconds_per_output_token,
                    step_s=p.step_seconds,
                    decode_bound=str(stb.bound),
                    prefill_bound=str(pst.bound),
                    utilization_at_average=p.utilization_at_average,
                )
            )
    found.sort(key=lambda c: (c.usd_per_million_output_tokens, c.tpot_s, c.devices))
    return _Search(
        candidates=found, rejected=rejected, fastest_tpot=best_tpot, fastest_ttft=best_ttft, capacity=capacity
    )


def _no_deployment(search: _Search, *, ttft_s: float, tpot_s: float) -> str:
    """Why nothing was found: the target that is out of reach and what comes closest."""
    if search.fastest_tpot is None:
        return "no deployment fits in memory: " + (search.capacity[-1] if search.capacity else "")
    tau, where = search.fastest_tpot
    if tau > tpot_s:
        return (
            f"no deployment meets TPOT {tpot_s * 1e3:g} ms: the fastest is {tau * 1e3:.1f} ms ({where}). "
            f"Raise --tpot-ms, allow a smaller --weight-format or a faster accelerator."
        )
    assert search.fastest_ttft is not None
    ttft, where = search.fastest_ttft
    if ttft > ttft_s:
        return (
            f"no deployment meets TTFT {ttft_s * 1e3:g} ms: the fastest is {ttft * 1e3:.1f} ms "
            f"({where}). Raise --ttft-ms or shorten --input-tokens."
        )
    reasons = "; ".join(
        f"{r['gpus_per_replica']} x {r['weight_format']}: {r['reason']}" for r in search.rejected
    )
    return f"no deployment meets TTFT {ttft_s * 1e3:g} ms and TPOT {tpot_s * 1e3:g} ms together: {reasons}"


_COLUMNS = (
    ("#", 2),
    ("format", 9),
    ("GPUs/rep", 8),
    ("tp", 3),
    ("replicas", 8),
    ("GPUs", 5),
    ("batch", 6),
    ("batch cap", 9),
    ("$/M out", 8),
    ("TTFT ms", 8),
    ("TPOT ms", 8),
    ("decode", 7),
    ("$/month", 10),
)


def _table(rows: Sequence[Candidate]) -> str:
    head = "  ".join(f"{name:>{w}}" for name, w in _COLUMNS)
    lines = [head, "  ".join("-" * w for _, w in _COLUMNS)]
    for i, c in enumerate(rows, 1):
        cells = (
            str(i),
            c.weight_format,
            str(c.n_devices),
            str(c.tp),
            str(c.replicas),
            str(c.devices),
            str(c.batch),
            c.batch_limit,
            f"{c.usd_per_million_output_tokens:.3f}",
            f"{c.ttft_s * 1e3:.1f}",
            f"{c.tpot_s * 1e3:.1f}",
            c.decode_bound,
            f"{c.usd_per_month:,.0f}",
        )
        lines.append("  ".join(f"{v:>{w}}" for v, (_, w) in zip(cells, _COLUMNS, strict=True)))
    return "\n".join(lines)


def _cmd_plan(args: argparse.Namespace, out: TextIO) -> int:
    acc = _accelerator(args.accelerator, args.price_usd_per_hour)
    model = _model(args.model)
    fmts = _formats(args.weight_format, acc)
    if not fmts:
        raise CliError(
            f"{acc.name} computes in none of the default weight formats "
            f"{', '.join(DEFAULT_WEIGHT_FORMATS)}; pass --weight-format"
        )
    for name in ("requests_per_s", "ttft_ms", "tpot_ms", "top"):
        v = getattr(args, name)
        if not (math.isfinite(v) and v > 0):
            raise CliError(f"--{name.replace('_', '-')} must be a positive number, got {v!r}")
    try:
        search = plan_candidates(
            model,
            acc,
            requests_per_s=args.requests_per_s,
            input_tokens=args.input_tokens,
            output_tokens=args.output_tokens,
            ttft_s=args.ttft_ms / 1e3,
            tpot_s=args.tpot_ms / 1e3,
            weight_formats=fmts,
            device_counts=DEFAULT_DEVICE_COUNTS,
            peak_to_average=args.peak_to_average,
            kv_format=args.kv_format,
            prefill_scheduling=args.prefill_scheduling,
        )
    except ValueError as exc:  # bad workload values: the package's message names the argument
        raise CliError(str(exc)) from None
    if not search.candidates:
        raise CliError(_no_deployment(search, ttft_s=args.ttft_ms / 1e3, tpot_s=args.tpot_ms / 1e3))
    top = search.candidates[: int(args.top)]
    header = {
        "model": model.id,
        "accelerator": acc.id,
        "price_usd_per_gpu_hour": acc.price_usd_per_hour,
        "requests_per_s": args.requests_per_s,
        "peak_to_average": args.peak_to_average,
        "input_tokens": args.input_tokens,
        "output_tokens": args.output_tokens,
        "ttft_ms": args.ttft_ms,
        "tpot_ms": args.tpot_ms,
        "kv_format": args.kv_format,
        "prefill_scheduling": args.prefill_scheduling,
        "weight_formats": [f.id for f in fmts],
    }
    if args.json:
        json.dump(
            {
                "command": "plan",
                **header,
                "deployments": [c.as_dict() for c in top],
                "rejected": search.rejected,
            },
            out,
            indent=2,
        )
        out.write("\n")
        return EXIT_OK
    out.write(
        f"{model.name} on {acc.name} at ${acc.price_usd_per_hour:g}/GPU-h: "
        f"{args.requests_per_s:g} req/s (peak x{args.peak_to_average:g}), {args.input_tokens:g} in / "
        f"{args.output_tokens:g} out tokens, TTFT <= {args.ttft_ms:g} ms, TPOT <= {args.tpot_ms:g} ms "
        f"({args.prefill_scheduling} prefill)\n"
    )
    out.write(_table(top) + "\n")
    out.write(
        f"{len(search.candidates)} deployment(s) meet the targets, {len(search.rejected)} do not. "
        "Roofline bounds: ideal tensor parallelism, no network, kernels at peak; real replicas are "
        "slower and dearer.\n"
    )
    return EXIT_OK


def _cmd_frontier(args: argparse.Namespace, out: TextIO) -> int:
    acc = _accelerator(args.accelerator, args.price_usd_per_hour)
    model = _model(args.model)
    fmt = _formats([args.weight_format], acc)[0]
    if not (math.isfinite(args.context_tokens) and args.context_tokens >= 0):
        raise CliError(f"--context-tokens must be >= 0, got {args.context_tokens!r}")
    from inferecon.serving.frontier import sweep

    try:  # keyword arguments: valid with either argument order of sweep
        sw = sweep(
            model=model,
            accelerator=acc,
            weight_format=fmt,
            context_tokens=args.context_tokens,
            max_devices=args.max_devices,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not bool(sw.feasible.any()):
        raise CliError(
            f"no configuration of {model.name} on up to {args.max_devices} x {acc.name} in "
            f"{fmt.id} is feasible; reasons: {sw.reason_counts()}"
        )
    fr = sw.frontier()
    rows = [fr.row(k) for k in range(fr.index.size)]
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        from inferecon.plots.frontier import frontier_figure

        fig = frontier_figure([sw], [f"{model.name} on {acc.name} ({fmt.id})"])
        fig.savefig(args.out)
    if args.json:
        json.dump(
            {
                "command": "frontier",
                "model": model.id,
                "accelerator": acc.id,
                "weight_format": fmt.id,
                "context_tokens": args.context_tokens,
                "price_usd_per_gpu_hour": acc.price_usd_per_hour,
                "configurations": sw.size,
                "feasible": int(sw.feasible.sum()),
                "out": args.out,
                "min_usd_per_million_tokens": fr.min_cost,
                "max_tokens_per_s_per_request": fr.max_speed,
                "frontier": rows,
            },
            out,
            indent=2,
        )
        out.write("\n")
        return EXIT_OK
    out.write(
        f"{model.name} on {acc.name} ({fmt.id}, context {args.context_tokens:,.0f}): {sw.size:,} "
        f"configurations, {int(sw.feasible.sum()):,} feasible, {len(rows)} on the Pareto frontier\n"
    )
    out.write(f"cheapest ${fr.min_cost:.3f}/M tokens, fastest {fr.max_speed:.1f} tokens/s per request\n")
    step = max(1, len(rows) // 10)
    picks = sorted({*range(0, len(rows), step), len(rows) - 1})
    out.write(f"{'tok/s/req':>10}  {'$/M':>8}  {'GPUs':>5}  {'tp':>4}  {'pp':>3}  {'ep':>3}  {'batch':>6}\n")
    for k in picks:
        r = rows[k]
        out.write(
            f"{r['tokens_per_s_per_request']:>10.1f}  {r['usd_per_million_tokens']:>8.3f}  "
            f"{r['n_devices']:>5}  {r['tp']:>4}  {r['pp']:>3}  {r['ep']:>3}  {r['batch']:>6}\n"
        )
    if args.out:
        out.write(f"wrote {args.out}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``inferecon`` argument parser (subcommands ``plan`` and ``frontier``)."""
    p = argparse.ArgumentParser(prog="inferecon", description="Roofline planning of LLM serving deployments.")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("plan", help="cheapest deployments that meet TTFT and TPOT targets")
    pl.add_argument("--model", required=True, help="catalogue model id, e.g. llama-3-70b")
    pl.add_argument("--accelerator", required=True, help="catalogue accelerator id, e.g. h100-sxm")
    pl.add_argument("--requests-per-s", type=float, required=True, help="average request rate")
    pl.add_argument("--input-tokens", type=float, required=True, help="mean prompt tokens per request")
    pl.add_argument("--output-tokens", type=float, required=True, help="mean output tokens per request")
    pl.add_argument("--ttft-ms", type=float, required=True, help="time-to-first-token target (ms)")
    pl.add_argument("--tpot-ms", type=float, required=True, help="time-per-output-token target (ms)")
    pl.add_argument(
        "--weight-format",
        action="append",
        default=None,
        help="allowed weight format(s), repeatable or comma-separated "
        f"(default: {', '.join(DEFAULT_WEIGHT_FORMATS)} where the chip supports them)",
    )
    pl.add_argument("--kv-format", default="bf16", help="KV-cache format (default bf16)")
    pl.add_argument("--price-usd-per-hour", type=float, default=None, help="price of one GPU-hour")
    pl.add_argument("--peak-to-average", type=float, default=1.0, help="peak over average request rate")
    pl.add_argument(
        "--prefill-scheduling",
        default="interleaved",
        choices=("interleaved", "chunked", "disaggregated"),
        help="how prefills share a replica",
    )
    pl.add_argument("--top", type=int, default=5, help="rows to print (default 5)")
    pl.add_argument("--json", action="store_true", help="print JSON instead of a table")
    fr = sub.add_parser("frontier", help="speed-cost Pareto frontier of every split, as a figure")
    fr.add_argument("--model", required=True)
    fr.add_argument("--accelerator", required=True)
    fr.add_argument("--out", default=None, help="figure file to write (.svg, .png, .pdf)")
    fr.add_argument("--weight-format", default="bf16")
    fr.add_argument("--context-tokens", type=float, default=0.0)
    fr.add_argument("--max-devices", type=int, default=512)
    fr.add_argument("--price-usd-per-hour", type=float, default=None)
    fr.add_argument("--json", action="store_true", help="print the frontier as JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``inferecon``; returns the exit status (0, or 2 with a message on stderr)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its usage message
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        if args.command == "plan":
            return _cmd_plan(args, sys.stdout)
        return _cmd_frontier(args, sys.stdout)
    except CliError as exc:
        msg = str(exc)
        if getattr(args, "json", False):
            json.dump({"command": args.command, "error": msg}, sys.stdout)
            sys.stdout.write("\n")
        sys.stderr.write(f"inferecon {args.command}: error: {msg}\n")
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
