"""Install the book's browser assets into ``_vendor/`` so the built site renders offline.

Usage: python tools/vendor_assets.py

Reads the exact versions and sha512 integrity hashes of MathJax 3, the ipywidgets HTML
manager and require.js from the committed ``package-lock.json``, downloads each package's
tarball from the npm registry (``NPM_REGISTRY``, default https://registry.npmjs.org), checks
its hash, and extracts only the files the pages load:

    _vendor/mathjax/        MathJax es5 build (tex-mml-chtml.js and its fonts/components)
    _vendor/html-manager/   @jupyter-widgets/html-manager dist (embed-amd.js and chunks)
    _vendor/require.js      require.js

``_config.yml`` serves ``_vendor`` through ``html_extra_path`` and points ``mathjax_path``
and ``nb_ipywidgets_js`` at it. The HTML manager's icon fonts sit next to ``embed-amd.js`` in
``html-manager/``; ``_static/widgets-offline.js`` points the manager's module path there (it
resolved them under the page, ``chapters/@jupyter-widgets/html-manager/dist/``, and 404ed).
Only Python is needed (no Node); a second run is a no-op when ``_vendor/.lock`` matches the
lock file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"
# package name -> list of (path inside the tarball's package/ folder, destination under _vendor)
WANTED = {
    "mathjax": [("es5", "mathjax")],
    "@jupyter-widgets/html-manager": [("dist", "html-manager")],
    "requirejs": [("require.js", "require.js")],
}


def _tarball_url(registry: str, name: str, version: str) -> str:
    base = name.split("/")[-1]
    return f"{registry.rstrip('/')}/{name}/-/{base}-{version}.tgz"


def _check_integrity(data: bytes, integrity: str, name: str) -> None:
    algo, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"integrity check failed for {name}: expected {integrity}, got {algo}-{digest}")


def _extract(data: bytes, src: str, dest: Path) -> int:
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            rel = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if not member.isfile() or not (rel == src or rel.startswith(src + "/")):
                continue
            if rel.endswith(".map"):
                continue  # source maps: 10+ MB the reader never needs
            target = dest / rel[len(src):].lstrip("/") if rel != src else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as fh:  # type: ignore[union-attr]
                target.write_bytes(fh.read())
            count += 1
    return count


def main() -> int:
    lock_text = (ROOT / "package-lock.json").read_text(encoding="utf-8")
    stamp = VENDOR / ".lock"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == lock_text:
        print("_vendor is up to date")
        return 0
    lock = json.loads(lock_text)
    registry = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org")
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir()
    for name, parts in WANTED.items():
        entry = lock["packages"][f"node_modules/{name}"]
        url = entry.get("resolved") or _tarball_url(registry, name, entry["version"])
        with urllib.request.urlopen(url, timeout=120) as resp:
            data = resp.read()
        _check_integrity(data, entry["integrity"], name)
        for src, dest in parts:
            n = _extract(data, src, VENDOR / dest)
            if n == 0:
                raise SystemExit(f"{name}@{entry['version']}: nothing found under {src!r}")
            print(f"{name}@{entry['version']}: {n} files -> _vendor/{dest}")
    stamp.write_text(lock_text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
