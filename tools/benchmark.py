"""Benchmark the course's build, tests and package (a script, not a test).

Usage: python tools/benchmark.py [--quick]

Measures, on this machine:
  - cold book build: a fresh `jupyter-book build --all` into a temporary folder (executes
    every notebook); skipped with --quick
  - test suite: the README's test command (pytest -n 2 --nbval ...); skipped with --quick
  - `import inferecon` in a fresh interpreter (median of 7, interpreter start-up subtracted)
  - the largest configuration sweep of inferecon.frontier (median of 5), if it exists
  - one widget update: setting a control of each explorer and recomputing its output
Prints a Markdown table; the README quotes the latest figures.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "0", "PYTHONHASHSEED": "0"}


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _median(fn, n: int) -> float:
    return statistics.median(fn() for _ in range(n))


def bench_import() -> float:
    base = _median(lambda: _run([PY, "-c", "pass"]), 7)
    full = _median(lambda: _run([PY, "-c", "import inferecon"]), 7)
    return max(full - base, 0.0)


def bench_sweep() -> tuple[str, float] | None:
    sys.path.insert(0, str(ROOT))
    bench = ROOT / "tools" / "benchmark_sweep.py"
    if not bench.exists():
        return None
    out = subprocess.run([PY, str(bench), "--json"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    import json
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return f"sweep of {data['n_configs']:,} configurations (loop: {data['loop_seconds_per_config'] * 1e6:.0f} µs/config)", data["sweep_seconds"]


def bench_widgets() -> list[tuple[str, float]]:
    import importlib
    results = []
    specs = [("lifecycle", "make_crossover_explorer", "requests_per_day", 1e9)]
    for module_name, factory, control, value in specs:
        module = importlib.import_module(f"inferecon.widgets.{module_name}")
        ex = getattr(module, factory)()
        ctrl = getattr(ex, control)

        def once() -> float:
            t0 = time.perf_counter()
            ctrl.value = value if ctrl.value != value else value / 10
            return time.perf_counter() - t0
        results.append((f"widget update ({module_name} explorer)", _median(once, 21)))
    return results


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    rows: list[tuple[str, float]] = []
    if not quick:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("cold book build (all notebooks executed)",
                         _run([str(Path(PY).parent / "jupyter-book"), "build", ".", "--all", "--path-output", tmp])))
        rows.append(("test suite (pytest -n 2, unit + nbval)",
                     _run([PY, "-m", "pytest", "-q", "-n", "2", "--dist", "loadscope", "--nbval",
                           "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"])))
    rows.append(("`import inferecon`", bench_import()))
    sweep = bench_sweep()
    if sweep:
        rows.append(sweep)
    rows.extend(bench_widgets())
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print()
    print("| what | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.4g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
