"""Benchmark the course's build, tests and package (a script, not a test).

Usage: python tools/benchmark.py [--quick]

Measures, on this machine:
  - book build: a fresh `jupyter-book build --all` into a temporary folder (renders the stored
    notebooks, executes none); skipped with --quick
  - refreshing the stored outputs: `tools/execute_notebooks.py` on every chapter (each executed
    once, with its prose numbers) into a temporary copy; skipped with --quick
  - unit tests and nbval (the README's test command without the coursework tests); skipped with --quick
  - the coursework tests (build the assignment, grade three submissions); skipped with --quick
  - `import inferecon` in a fresh interpreter: its cost over `import numpy` (median of 15 runs
    of each, start-up and numpy subtracted), and the top-level name `inferecon.decode_step_seconds`
    that pulls in the roofline on first use
  - the million-configuration sweep of inferecon.serving.frontier against a plain Python loop
  - one widget update of every explorer, everything a reader waits for: set a control, recompute, and
    redraw its output (each explorer's output is one HTML summary, no figure; median of 5)
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


def _importtime_seconds(code: str) -> float:
    """Seconds spent importing inferecon's modules when running ``code`` (``python -X importtime``):
    the cumulative time of every top-level ``inferecon*`` import, so numpy's own import and the
    interpreter's start-up, which vary far more between runs, are not in it."""
    err = subprocess.run([PY, "-X", "importtime", "-c", code], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, check=True).stderr
    total = 0
    for line in err.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith(" ") and not name.startswith("  ") and name.strip().startswith("inferecon"):
            total += int(cumulative)
    return total * 1e-6


def bench_import() -> list[tuple[str, float]]:
    """Cost of ``import inferecon`` after ``import numpy``, and of first touching the roofline."""
    light = _median(lambda: _importtime_seconds("import numpy, inferecon"), 15)
    first = _median(lambda: _importtime_seconds("import numpy, inferecon; inferecon.decode_step_seconds"), 15)
    return [("`import inferecon` after `import numpy` (python -X importtime; median of 15)", light),
            ("... plus first use of `inferecon.decode_step_seconds` (median of 15)", first)]


def bench_sweep() -> list[tuple[str, float]]:
    """Run tools/benchmark_sweep.py (loop timed on a 20,000-point sample, extrapolated)."""
    out = subprocess.run([PY, str(ROOT / "tools" / "benchmark_sweep.py"), "--loop-sample", "20000"],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, check=True).stdout
    lines = {line.split(":")[0].strip(): line for line in out.splitlines() if ":" in line}
    n = lines["configurations"].split(":")[1].split("(")[0].strip()
    vec = float(lines["vectorized sweep (numpy)"].split(":")[1].split("s")[0])
    front = float(lines["Pareto frontier"].split(":")[1].split("s")[0])
    loop = float(lines["plain Python loop"].split(":")[1].split("s")[0])
    return [(f"sweep of {n} configurations (numpy, Llama 3 70B on H100)", vec),
            ("Pareto frontier of that sweep", front),
            (f"same {n} configurations as a plain Python loop (extrapolated from 20,000)", loop)]


def bench_widgets() -> list[tuple[str, float]]:
    """Time one control change of every explorer: the callback recomputes and rewrites the explorer's
    output (an HTML summary: no explorer redraws a matplotlib figure), so this is the whole update."""
    import importlib

    import ipywidgets as w

    results = []
    for name in sorted(p.stem for p in (ROOT / "inferecon" / "widgets").glob("*.py") if p.stem != "__init__"):
        module = importlib.import_module(f"inferecon.widgets.{name}")
        for factory in sorted(a for a in dir(module) if a.startswith("make_") and a.endswith("_explorer")):
            ex = getattr(module, factory)()
            controls = [v for v in vars(ex).values()
                        if isinstance(v, (w.IntSlider, w.FloatSlider, w.FloatLogSlider, w.IntText,
                                          w.BoundedFloatText, w.FloatText))]
            if not controls:
                continue
            ctrl = controls[0]
            values = [ctrl.value, ctrl.value * 2 if ctrl.value else 1]

            def once(i=[0]) -> float:  # noqa: B006 - alternate between two values
                i[0] += 1
                t0 = time.perf_counter()
                try:
                    ctrl.value = type(ctrl.value)(values[i[0] % 2])
                except Exception:  # noqa: BLE001 - a bounded control may reject the doubled value
                    ctrl.value = values[0]
                return time.perf_counter() - t0
            results.append((f"widget update incl. redraw of its output: {factory}() ({ctrl.description or 'first control'})",
                            _median(once, 5)))
    return results


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    rows: list[tuple[str, float]] = []
    if not quick:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("book build (renders the stored notebooks; one run)",
                         _run(["env", "-u", "SOURCE_DATE_EPOCH", str(Path(PY).parent / "jupyter-book"), "build", ".",
                               "--all", "--path-output", tmp])))
        rows.append(("refresh every chapter's stored outputs (make outputs, one execution each; one run)",
                     _run([PY, "-c", "import sys, tempfile, pathlib; sys.path.insert(0, 'tools'); "
                           "import execute_notebooks as e; "
                           "[e.execute(e.read_source(p), e.OUT, p.stem) for p in sorted(e.SRC.glob('*.md'))]"])))
        rows.append(("unit tests + nbval (pytest -n 2, coursework excluded; one run)",
                     _run([PY, "-m", "pytest", "-q", "-n", "2", "--dist", "loadscope", "--nbval", "-m", "not coursework",
                           "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"])))
        rows.append(("coursework tests (assignment + grading 3 submissions; one run)",
                     _run([PY, "-m", "pytest", "-q", "-m", "coursework", "tests/test_coursework.py"])))
    rows.extend(bench_import())
    rows.extend(bench_sweep())
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
