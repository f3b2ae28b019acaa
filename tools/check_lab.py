"""Open every chapter in the pinned JupyterLab, headless, as a student would, and check it.

Usage: python tools/check_lab.py [OUTDIR] [--only NN]   (make check-lab; default _build/lab-check)

Starts ``jupyter lab`` (the project's pinned JupyterLab with jupyterlab-myst) on 127.0.0.1 in a
scratch copy of ``chapters/``, drives Debian's Chromium with Playwright, and for each chapter:

1. opens it and, before running anything, checks that the prose shows numbers, not
   ``{eval}`` roles (jupyterlab-myst renders the stored values), then saves it and checks that
   saving changed no cell (so a student who opens and saves a committed notebook cannot break
   ``make test``);
2. runs all cells and waits for the kernel, then checks: no error output, every figure the
   committed notebook has is displayed (as many images as stored ``image/png`` outputs), no raw
   role text (``{eval}``, ``{glue``) anywhere in the rendered notebook, every inline expression
   evaluated;
3. saves a screenshot, ``OUTDIR/NN_slug.png``.

Exits 1 with one line per problem. Needs ``chromium`` (Debian package) and the ``playwright``
Python package (no browser download: it drives /usr/bin/chromium).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BIN = Path(sys.executable).parent
RAW = ("{eval}", "{glue", "{glue:")
# Students need JupyterLab and jupyterlab-myst only: jupytext's server extension would pair and
# rewrite files on save, nbgrader's belong to the instructor (make assignment / make grade).
SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "jupyterlab_jupytext": False, "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False, "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False}}}
PAGE_CONFIG = {"disabledExtensions": {"jupyterlab-jupytext": True, "@jupyter/nbgrader": True}}


NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def write_student_config(config_dir: Path) -> Path:
    """A Jupyter config directory that leaves out the instructor's and authoring extensions.

    Returns the JupyterLab user-settings directory inside it (no news or update checks: the
    course works offline).
    """
    settings = config_dir / "lab-user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS), encoding="utf-8")
    # render every cell (no virtual scrolling), so the whole chapter is in the page
    notebook = config_dir / "lab-user-settings" / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True, exist_ok=True)
    (notebook / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=1), encoding="utf-8")
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG, indent=1), encoding="utf-8")
    return config_dir / "lab-user-settings"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: install Debian's `chromium` package")


def _wait_for_server(url: str, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"JupyterLab did not start at {url}")


def _cells_equal(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Differences between two notebooks' cells that `make test` would see."""
    diffs = []
    if len(a["cells"]) != len(b["cells"]):
        return [f"cell count {len(a['cells'])} -> {len(b['cells'])}"]
    for i, (x, y) in enumerate(zip(a["cells"], b["cells"])):
        for key in ("cell_type", "source", "outputs", "execution_count", "metadata"):
            vx, vy = x.get(key), y.get(key)
            if key == "source":
                vx, vy = "".join(vx or ""), "".join(vy or "")
            if vx != vy:
                diffs.append(f"cell {i}: {key} changed")
    return diffs


def _raw_text(page: Any, settle_seconds: float) -> list[str]:
    """Raw role text still visible after the notebook had ``settle_seconds`` to render."""
    deadline = time.time() + settle_seconds
    while True:
        page.wait_for_timeout(1000)
        text = page.inner_text(".jp-Notebook")
        found = [raw for raw in RAW if raw in text]
        if not found or time.time() > deadline:
            return found


JS_RUN_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.sessionContext || !w.content) return null;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.model.cells;
  let pending = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && (c.executionCount === null || c.executionCount === undefined)) pending++;
  }
  return {status: k ? k.status : 'none', pending: pending};
}"""

JS_MODEL = "() => JSON.stringify(window.jupyterapp.shell.currentWidget.content.model.toJSON())"


def check(outdir: Path, only: str = "") -> list[str]:
    from playwright.sync_api import sync_playwright

    outdir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="inferecon-lab-"))
    notebooks = sorted(p for p in CHAPTERS.glob("*.ipynb") if p.name.startswith(only))
    for nb in notebooks:
        shutil.copy(nb, work / nb.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_CONFIG_DIR=str(work / ".jupyter-config"))
    settings = write_student_config(work / ".jupyter-config")
    log = open(outdir / "jupyterlab.log", "w", encoding="utf-8")
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True",
         f"--LabApp.user_settings_dir={settings}"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=_chromium(), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            for nb in notebooks:
                name = nb.name
                stored = json.loads(nb.read_text(encoding="utf-8"))
                n_images = sum(1 for c in stored["cells"] for o in c.get("outputs", [])
                               if "image/png" in o.get("data", {}))
                page.goto(f"{base}/lab/tree/{name}?token={token}&reset")
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                       "&& window.jupyterapp.shell.currentWidget.context "
                                       "&& window.jupyterapp.shell.currentWidget.context.isReady", timeout=120_000)
                # 1. before running: the stored numbers show (once the page has settled: markdown
                # cells render one after another, so allow up to 30 s)
                for raw in _raw_text(page, 30.0):
                    problems.append(f"{name}: raw {raw!r} visible before running")
                # opening and saving must leave every cell as committed
                page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
                page.wait_for_timeout(1500)
                saved = json.loads((work / name).read_text(encoding="utf-8"))
                for d in _cells_equal(stored, saved)[:5]:
                    problems.append(f"{name}: opening and saving changed {d}")
                # 2. run all
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                deadline = time.time() + 600
                state: dict[str, Any] | None = None
                while time.time() < deadline:
                    page.wait_for_timeout(2000)
                    state = page.evaluate(JS_RUN_STATE)
                    if state and state["status"] == "idle" and state["pending"] == 0:
                        break
                else:
                    problems.append(f"{name}: run-all did not finish in 600 s ({state})")
                page.wait_for_timeout(2500)  # let jupyterlab-myst re-render the prose
                model = json.loads(page.evaluate(JS_MODEL))
                errors = [o for c in model["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
                for e in errors[:3]:
                    problems.append(f"{name}: error output {e.get('ename')}: {e.get('evalue', '')[:120]}")
                images = sum(1 for c in model["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
                shown = page.locator(".jp-RenderedImage img").count()
                if images < n_images or shown < n_images:
                    problems.append(f"{name}: {n_images} figures committed, {images} produced, {shown} displayed")
                for raw in _raw_text(page, 30.0):
                    problems.append(f"{name}: raw {raw!r} visible after running")
                for i, c in enumerate(model["cells"]):
                    for e in c.get("metadata", {}).get("user_expressions", []):
                        if e.get("result", {}).get("status") != "ok":
                            problems.append(f"{name}: cell {i}: {{eval}}`{e['expression']}` not evaluated")
                if shown:
                    page.locator(".jp-RenderedImage img").first.scroll_into_view_if_needed()
                    page.wait_for_timeout(500)
                page.screenshot(path=str(outdir / f"{nb.stem}.png"))
                print(f"{name}: ran, {images} figures, {len(errors)} errors", flush=True)
                page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return problems


def main(argv: list[str]) -> int:
    only = ""
    if "--only" in argv:
        i = argv.index("--only")
        only = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    outdir = Path(argv[0]) if argv else ROOT / "_build" / "lab-check"
    problems = check(outdir, only)
    for p in problems:
        print(p)
    print(f"{len(problems)} problems; screenshots in {outdir}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
