"""The package's layout follows the course's thread: floors, no import circle, a light top level."""

import ast
import subprocess
import sys
from pathlib import Path

import inferecon as ie

PKG = Path(ie.__file__).resolve().parent

#: Each subpackage's floor: a module may import its own floor and the floors below, never above.
FLOORS = {"_validate": 0, "units": 0, "tables": 0, "specs": 1, "training": 2, "serving": 2, "levers": 3,
          "planning": 4, "validation": 4, "symbolic": 5, "plots": 5, "widgets": 5, "exercises": 5,
          "cli": 6}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every inferecon module and the inferecon modules it imports at module level or in functions."""
    graph: dict[str, set[str]] = {}
    for path in PKG.rglob("*.py"):
        name = _module(path)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inferecon"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("inferecon"))
        graph[name] = deps
    modules = set(graph)
    return {m: {d for d in deps if d in modules and d != m} for m, deps in graph.items()}


def _floor(module: str) -> int:
    return FLOORS[module.split(".")[1]]


def test_no_module_imports_a_floor_above_its_own():
    bad = [(m, d) for m, deps in _imports().items() if m != "inferecon" for d in deps
           if d != "inferecon" and _floor(d) > _floor(m)]
    assert bad == []


def test_no_import_circle():
    graph = _imports()
    graph.pop("inferecon")  # the top level resolves names lazily, on first use
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in graph.get(m, ()):
            if d.count(".") == 1 and d not in graph:   # a subpackage's own __init__ is lazy
                continue
            if state.get(d) == 1:
                raise AssertionError(" -> ".join([*path, m, d]))
            if d not in state:
                visit(d, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_serving_follows_the_thread_memory_then_roofline_then_prefill():
    # what fits in HBM needs no step time; the decode step needs capacity (the cheapest batch is
    # min(ceil(b*), b_max)); the prefill pass is a RooflineStep of its own phase
    graph = _imports()
    memory, roofline, prefill = ("inferecon.serving." + m for m in ("memory", "roofline", "prefill"))
    assert roofline not in graph[memory] and prefill not in graph[memory]
    assert memory in graph[roofline] and prefill not in graph[roofline]
    assert roofline in graph[prefill]


def test_no_module_is_longer_than_700_lines():
    long = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}


def test_import_inferecon_loads_no_subpackage_until_asked():
    code = ("import sys, inferecon; print(sorted(m for m in sys.modules if m.startswith('inferecon.'))); "
            "inferecon.decode_step_seconds; print('inferecon.serving.roofline' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    first, second = out.splitlines()
    assert first == "[]" and second == "True"


def test_top_level_names_resolve_and_are_listed():
    for name in ie.__all__:
        assert getattr(ie, name) is not None
    assert "Deployment" in dir(ie) and "decode_step" in ie.__all__
