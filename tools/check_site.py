"""Check the built book as a reader would see it, with no network.

Usage: python tools/check_site.py [_build/html]

1. **Links**: every relative ``href``/``src`` in every page resolves to a file of the site,
   and every ``#fragment`` to an element id of its target page.
2. **No off-site requests**: no ``<script src>``, ``<link href>`` (stylesheets, icons),
   ``<img src>`` or ``<iframe src>`` points off the site (links a reader clicks may).
3. **Rendering**: each chapter page is opened in headless Chromium with every host name
   unresolvable (``--host-resolver-rules="MAP * ~NOTFOUND"``); in the rendered DOM, math
   is typeset by MathJax (no raw ``\\(``, ``\\[`` or ``$$`` left in the text), every saved
   widget view is rendered by the widget manager, and every figure's image file exists and
   is a non-empty PNG/SVG. A screenshot of each page is kept in ``_build/screenshots/``.

Exits non-zero listing every problem found.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _ids(soup: BeautifulSoup) -> set[str]:
    return {str(t["id"]) for t in soup.find_all(id=True)} | {str(t["name"]) for t in soup.find_all("a", attrs={"name": True})}


def check_links(site: Path) -> list[str]:
    problems: list[str] = []
    skip = ("_static", "_sources", "mathjax", "html-manager", "_images")
    pages = sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skip)
    ids: dict[Path, set[str]] = {}
    soups = {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in pages}
    for p, soup in soups.items():
        ids[p.resolve()] = _ids(soup)
    for page, soup in soups.items():
        rel = page.relative_to(site)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
                          ("iframe", "src"), ("source", "src")):
            for el in soup.find_all(tag, attrs={attr: True}):
                url = str(el[attr])
                parts = urlsplit(url)
                if parts.scheme in ("http", "https") or url.startswith("//"):
                    if tag != "a":
                        problems.append(f"{rel}: <{tag} {attr}={url!r}> loads from off the site")
                    continue
                if parts.scheme in ("mailto", "data", "javascript"):
                    continue
                target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    problems.append(f"{rel}: broken link {url!r}")
                    continue
                frag = unquote(parts.fragment)
                if frag and target.suffix == ".html" and frag not in ids.get(target.resolve(), set()):
                    problems.append(f"{rel}: anchor {url!r} does not exist")
    return problems


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: install Debian's `chromium` package (apt-get install -y chromium)")


def _text_outside_code(soup: BeautifulSoup) -> str:
    for tag in soup.find_all(["script", "style", "pre", "code", "mjx-container", "textarea"]):
        tag.decompose()
    return soup.get_text(" ")


def check_rendering(site: Path, shots: Path) -> list[str]:
    problems: list[str] = []
    chromium = _chromium()
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted((site / "chapters").glob("*.html")) + [
        site / name for name in ("glossary.html", "bibliography.html") if (site / name).exists()]
    with tempfile.TemporaryDirectory() as profile:
        for page in pages:
            rel = page.relative_to(site)
            source = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            n_math = len(source.select(".math, span.math, div.math"))
            n_views = len(source.find_all("script", attrs={"type": WIDGET_VIEW}))
            url = page.resolve().as_uri()
            dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                                 capture_output=True, text=True, timeout=120).stdout
            subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1100,2400",
                            f"--screenshot={shots / (page.stem + '.png')}", url],
                           capture_output=True, timeout=120)
            rendered = BeautifulSoup(dom, "html.parser")
            n_typeset = len(rendered.find_all("mjx-container"))
            if n_math and n_typeset < n_math:
                problems.append(f"{rel}: {n_math} math elements but only {n_typeset} typeset by MathJax")
            text = _text_outside_code(rendered)
            for raw in (r"\(", r"\[", "$$"):
                if raw in text:
                    i = text.index(raw)
                    problems.append(f"{rel}: raw math delimiter {raw!r} left in the page: ...{text[max(0, i - 40):i + 40]!r}")
            if n_views:
                boxes = rendered.select(".jupyter-widgets.widget-container, .jupyter-widgets.widget-box")
                widgets = rendered.select(".jupyter-widgets")
                if not widgets or len(boxes) < 1:
                    problems.append(f"{rel}: {n_views} saved widget views but the widget manager rendered none")
                errors = rendered.select(".jupyter-widgets-error, .widget-error")
                if errors:
                    problems.append(f"{rel}: widget manager reported {len(errors)} errors")
            for img in source.find_all("img", attrs={"src": True}):
                src = urlsplit(str(img["src"]))
                if src.scheme:
                    continue
                f = (page.parent / unquote(src.path)).resolve()
                if not f.exists() or f.stat().st_size < 100:
                    problems.append(f"{rel}: figure {img['src']!r} missing or empty")
                elif f.suffix == ".png" and f.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
                    problems.append(f"{rel}: figure {img['src']!r} is not a PNG")
            print(f"{rel}: {n_typeset} formulas typeset, {n_views} widget views, "
                  f"{len(source.find_all('img'))} images")
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "_build" / "html"
    if not (site / "index.html").exists():
        raise SystemExit(f"no built site at {site}; run `make book` first")
    problems = check_links(site)
    print(f"links: {len(problems)} problems")
    problems += check_rendering(site, site.parent / "screenshots")
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
