"""Published measurements of LLM serving (throughput, latency, prefill, provider prices) and their parsing."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from inferecon.specs.hardware import get_accelerator
from inferecon.specs.models import get_model
from inferecon.specs.precision import get_format

__all__ = [
    "BOUND_EXCEPTIONS",
    "COLUMNS",
    "PHASES",
    "REGIMES",
    "SOURCE_LABELS",
    "UNITS",
    "BoundException",
    "Measurement",
    "load_measurements",
]


#: Units of the ``value`` column and whether a larger value is better (speed-like).
UNITS: Mapping[str, bool] = MappingProxyType(
    {
        "s": False,  # total seconds of the phase (all generated tokens for decode)
        "ms/token": False,  # milliseconds per generated token of one sequence
        "tokens/s": True,  # aggregate output tokens per second of the replica
        "tokens/s/request": True,  # serial speed seen by one request
        "mfu": True,  # model FLOP utilization, a fraction of peak
    }
)


#: ``prefill`` (prompt processing), ``decode`` (token generation), ``request`` (both, for a
#: static batch: the throughput benchmarks of inference engines count the prefill).
PHASES = ("prefill", "decode", "request")


#: Calibration groups: large-batch throughput, small-batch or minimum latency, prompt
#: processing, and public providers (whose prices hide a markup; never fitted).
REGIMES = ("throughput", "latency", "prefill", "provider")


#: Columns of ``measurements.csv``, in order.
COLUMNS = (
    "id",
    "source",
    "evidence",
    "model",
    "accelerator",
    "n_chips",
    "weight_format",
    "kv_format",
    "phase",
    "batch",
    "prompt_tokens",
    "generated_tokens",
    "price_usd_per_mtok",
    "value",
    "unit",
    "regime",
    "duplicate_of",
    "bound_exception",
    "conditions",
    "explanation",
)


#: Short display names of the sources in ``measurements.csv`` (for tables).
SOURCE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "pope2022efficiently": "Pope et al., 2023",
        "erdil2025inference": "Erdil, 2025",
        "artificialanalysis2024": "Artificial Analysis, 2024",
        "llmviewer2024issue4": "TensorRT-LLM via LLM-Viewer issue #4",
        "yuan2024llmviewer": "LLM-Viewer",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One published measurement with the conditions it was taken under.

    ``n_chips`` and ``batch`` are ``None`` when the source gives the best value over
    configurations (the prediction then searches them too); ``price_usd_per_mtok`` is set
    only for provider rows. ``sources`` are citation keys of ``references.bib``.
    """

    id: str
    sources: tuple[str, ...]
    evidence: str
    model: str
    accelerator: str
    n_chips: int | None
    weight_format: str
    kv_format: str
    phase: str
    batch: int | None
    prompt_tokens: int
    generated_tokens: int
    price_usd_per_mtok: float | None
    value: float
    unit: str
    regime: str
    duplicate_of: str | None
    bound_exception: str | None
    conditions: str
    explanation: str

    @property
    def higher_is_better(self) -> bool:
        """True for speed-like units (tokens/s, MFU), False for times."""
        return UNITS[self.unit]

    @property
    def independent(self) -> bool:
        """False for a row that restates another run (an MFU next to its latency)."""
        return self.duplicate_of is None


def _int_or_none(row: dict[str, str], col: str) -> int | None:
    s = row[col].strip()
    if not s:
        return None
    v = float(s)
    if v != int(v) or v < 0:
        raise ValueError(f"measurement {row['id']!r}: {col} must be a whole number >= 0, got {s!r}")
    return int(v)


def _parse(row: dict[str, str]) -> Measurement:
    rid = row["id"].strip()

    def bad(col: str, why: str) -> ValueError:
        return ValueError(f"measurement {rid!r}: {col} {why}, got {row[col]!r}")

    get_model(row["model"])
    get_accelerator(row["accelerator"])
    get_format(row["weight_format"])
    get_format(row["kv_format"])
    if row["phase"] not in PHASES:
        raise bad("phase", f"must be one of {PHASES}")
    if row["unit"] not in UNITS:
        raise bad("unit", f"must be one of {tuple(UNITS)}")
    if row["regime"] not in REGIMES:
        raise bad("regime", f"must be one of {REGIMES}")
    if row["evidence"] not in ("V", "S"):
        raise bad("evidence", "must be 'V' (verified) or 'S' (secondary); unverified rows are not admitted")
    if row["evidence"] == "S" and not row["conditions"].startswith("[S]"):
        raise bad("conditions", "of a secondary-source row must start with '[S]'")
    try:
        value = float(row["value"])
    except ValueError:
        raise bad("value", "must be a number") from None
    if not (math.isfinite(value) and value > 0):
        raise bad("value", "must be a finite number > 0")
    if row["unit"] == "mfu" and value > 1:
        raise bad("value", "must be <= 1 for an MFU")
    price = float(row["price_usd_per_mtok"]) if row["price_usd_per_mtok"].strip() else None
    if (row["regime"] == "provider") != (price is not None):
        raise bad("price_usd_per_mtok", "must be given for provider rows and only for them")
    exc = row["bound_exception"].strip() or None
    if exc is not None and exc not in BOUND_EXCEPTIONS:
        raise bad("bound_exception", f"must be one of {tuple(BOUND_EXCEPTIONS)} or empty")
    m = Measurement(
        id=rid,
        sources=tuple(s.strip() for s in row["source"].split(";") if s.strip()),
        evidence=row["evidence"],
        model=row["model"],
        accelerator=row["accelerator"],
        n_chips=_int_or_none(row, "n_chips"),
        weight_format=row["weight_format"],
        kv_format=row["kv_format"],
        phase=row["phase"],
        batch=_int_or_none(row, "batch"),
        prompt_tokens=_int_or_none(row, "prompt_tokens") or 0,
        generated_tokens=_int_or_none(row, "generated_tokens") or 0,
        price_usd_per_mtok=price,
        value=value,
        unit=row["unit"],
        regime=row["regime"],
        duplicate_of=row["duplicate_of"].strip() or None,
        bound_exception=exc,
        conditions=row["conditions"].strip(),
        explanation=row["explanation"].strip(),
    )
    if not m.sources:
        raise bad("source", "must name at least one citation key")
    if m.phase in ("decode", "request") and m.generated_tokens < 1:
        raise bad("generated_tokens", "must be >= 1 for a decode or request row")
    if m.phase in ("prefill", "request") and (m.prompt_tokens < 1 or m.batch is None or m.n_chips is None):
        raise bad("prompt_tokens", "must be >= 1, with batch and n_chips given, for a prefill or request row")
    if m.n_chips == 0 or m.batch == 0:
        raise bad("n_chips" if m.n_chips == 0 else "batch", "must be >= 1 or empty")
    if (m.batch is None) != (m.n_chips is None):
        raise bad("batch", "must be given together with n_chips (both empty means: best configuration)")
    return m


def load_measurements(path: str | Path | None = None) -> tuple[Measurement, ...]:
    """Read ``measurements.csv`` (the package's copy unless ``path`` is given).

    Uses only the standard library's :mod:`csv`. Every row is checked (known model,
    accelerator, formats, units; ``[S]`` marked; references between rows resolve) and a
    ValueError names the row and column of the first problem.
    """
    if path is None:
        text = resources.files("inferecon").joinpath("data", "measurements.csv").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"measurements file must have the columns {COLUMNS}, got {reader.fieldnames}")
    rows = tuple(_parse(r) for r in reader)
    ids = [r.id for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"measurement ids must be unique; repeated: {dup}")
    for r in rows:
        if r.duplicate_of is not None and r.duplicate_of not in ids:
            raise ValueError(f"measurement {r.id!r}: duplicate_of names an unknown row {r.duplicate_of!r}")
    return rows


@dataclass(frozen=True, slots=True)
class BoundException:
    """A named reason a measurement may beat the bound, with a check that it does explain it.

    ``alternative`` returns the row re-stated under the reason's assumption (e.g. 8-bit
    weights); the tests require the measurement to lie within the bound of that row.
    """

    key: str
    description: str
    alternative: Callable[[Measurement], Measurement]


def _as_fp8(m: Measurement) -> Measurement:
    return replace(m, weight_format="fp8", kv_format="fp8", bound_exception=None)


#: Reasons a measurement may beat the bound (column ``bound_exception``).
BOUND_EXCEPTIONS: Mapping[str, BoundException] = MappingProxyType(
    {
        "undisclosed-precision": BoundException(
            "undisclosed-precision",
            "The provider does not disclose its number format. The row is predicted in the "
            "model's released 16-bit precision, which no provider is obliged to serve; with 8-bit "
            "weights and KV cache the measurement lies within the bound.",
            _as_fp8,
        ),
    }
)
