"""Check the built book as a reader would see it, offline, on a laptop and on a phone.

Usage: python tools/check_site.py [_build/html]      (make check-site; about a minute)

1. **Links**: every relative ``href``/``src`` in every page resolves to a file of the site,
   and every ``#fragment`` to an element id of its target page.
2. **No off-site assets**: no ``<script src>``, ``<link href>`` (stylesheets, icons),
   ``<img src>`` or ``<iframe src>`` points off the site (links a reader clicks may).
3. **Every page in headless Chromium** (Playwright driving Debian's ``/usr/bin/chromium``, every
   host name unresolvable and every non-``file:`` request aborted), at 1280 px (desktop) and at
   390 px (a phone: mobile emulation, touch, overlay scrollbars), with every dropdown and
   hidden cell opened so what a reader can reveal is checked too:

   - a clean console: no console error, no uncaught page error, no failed request, no
     response with status >= 400, no request that leaves the site;
   - math typeset by MathJax (no raw ``\\(``, ``\\[`` or ``$$`` left in the text), every saved
     widget view rendered by the widget manager (no widget error), every figure's file present
     and a non-empty PNG/SVG, and on chapter pages a link to the chapter's notebook;
   - widgets that say they are snapshots: a note with each widget, and no control that can be
     moved (nothing computes in the book, so a live-looking control would silently do nothing);
   - nothing cut: no element of the article sticks out of the page or out of a box that clips
     it (``overflow: hidden``); a box that scrolls sideways (display math, tables, code,
     widget outputs) must show its scrollbar (at 390 px, with the phone's overlay scrollbars,
     only a styled scrollbar takes room, so a box that scrolls invisibly is reported); the page
     itself never scrolls sideways; and no widget box is wider than the viewport.

   A full-page screenshot of every page at both widths is saved in
   ``_build/site-check/<width>/<page>.jpg`` (dropdowns open).

Exits non-zero listing every problem found.
"""

from __future__ import annotations

import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# (width, height, phone?) of the two readers
VIEWPORTS = ((1280, 900, False), (390, 844, True))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
]
# console messages that are not errors of the site
IGNORED_CONSOLE = ()

# Run in the page once it has settled: open what a reader can open, wait for MathJax, then
# measure. Returns a dict of findings (lists of short element descriptions).
MEASURE_JS = r"""
async () => {
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 3);
    if (cls.length) s += '.' + cls.join('.');
    let sec = el.closest('section[id]');
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
    return s + (sec ? ' in #' + sec.id : '') + (text ? ' "' + text + '"' : '');
  };
  const vw = document.documentElement.clientWidth;
  const article = document.querySelector('article.bd-article') || document.querySelector('main')
                  || document.body;
  const cut = [], hiddenScroll = [], wideWidgets = [];
  const reported = new Set();
  const isReportedInside = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) if (reported.has(a)) return true;
    return false;
  };
  for (const el of article.querySelectorAll('*')) {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || st.position === 'fixed') continue;
    // MathJax glyphs overhang their boxes by design; its assistive MathML is clipped on purpose
    if (el.tagName === 'MJX-C' || el.closest('mjx-assistive-mml')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    // a box that scrolls sideways must show that it does, without relying on a scrollbar (a phone
    // draws none until touched): the edge with more beyond it is faded (inferecon-more-right/left,
    // set by _static/inferecon.js), checked against where the box really is scrolled
    if ((st.overflowX === 'auto' || st.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      const moreRight = el.scrollLeft + el.clientWidth < el.scrollWidth - 1;
      const cue = (!moreRight || el.classList.contains('inferecon-more-right'))
                  && (el.scrollLeft <= 1 || el.classList.contains('inferecon-more-left'));
      if (!cue || getComputedStyle(el).maskImage === 'none' && getComputedStyle(el).webkitMaskImage === 'none') {
        hiddenScroll.push(describe(el) + ` (${el.scrollWidth}px in ${el.clientWidth}px)`);
      }
    }
    // is it cut? find the nearest ancestor that clips or scrolls horizontally
    let clipper = null;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'visible') { clipper = a; break; }
    }
    const cst = clipper ? getComputedStyle(clipper).overflowX : 'visible';
    const scrolls = cst === 'auto' || cst === 'scroll';
    let limitL = 0, limitR = vw;
    if (clipper && !scrolls && clipper !== document.body) {
      const cr = clipper.getBoundingClientRect();
      limitL = Math.max(limitL, cr.left); limitR = Math.min(limitR, cr.right);
    }
    if (!scrolls && (r.right > limitR + 2 || r.left < limitL - 2)) {
      if (!isReportedInside(el)) {
        cut.push(describe(el) + ` (${Math.round(r.left)}..${Math.round(r.right)} px, `
                 + `room ${Math.round(limitL)}..${Math.round(limitR)})`);
      }
      reported.add(el);
    }
  }
  const boxes = '.widget-subarea > .jupyter-widgets, .cell_output .jupyter-widgets.widget-container';
  for (const w of article.querySelectorAll(boxes)) {
    const r = w.getBoundingClientRect();
    // wider than the screen, or needing a sideways scroll inside its own box
    if (r.width > vw + 1 || w.scrollWidth > w.clientWidth + 1) {
      const need = Math.round(Math.max(r.width, w.scrollWidth));
      wideWidgets.push(describe(w) + ` (${need} px in ${Math.round(r.width)} px)`);
    }
  }
  const pageScroll = document.documentElement.scrollWidth > vw + 1 ? document.documentElement.scrollWidth : 0;
  return {cut, hiddenScroll, wideWidgets, pageScroll,
          typeset: document.querySelectorAll('mjx-container').length,
          widgets: document.querySelectorAll('.cell_output .jupyter-widgets').length,
          widgetErrors: document.querySelectorAll('.jupyter-widgets-error, .widget-error').length,
          liveControls: [...document.querySelectorAll(
                           '.cell_output .jupyter-widgets :is(select, input, textarea, button)'
                           + ':not(:disabled), '
                           + '.cell_output .jupyter-widgets .noUi-target:not([disabled]), '
                           + '.cell_output .jupyter-widgets [contenteditable="true"]')].map(describe),
          snapshots: document.querySelectorAll('.inferecon-snapshot').length,
          downloads: [...document.querySelectorAll('a[href$=".ipynb"]')].map(a => a.getAttribute('href')),
          text: (() => { const c = article.cloneNode(true);
                          c.querySelectorAll('script, style, pre, code, mjx-container, textarea')
                           .forEach(e => e.remove());
                          return c.textContent; })()};
}
"""

# Open every dropdown, hidden cell and solution a reader could open.
OPEN_ALL_JS = r"""
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button-hidden')
    .forEach(b => b.classList.remove('toggle-button-hidden'));
  window.dispatchEvent(new Event('resize'));
}
"""

# Resolves once MathJax has typeset the page and every saved widget view has been rendered.
SETTLED_JS = r"""
async (nViews) => {
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 200; i++) {
    const mj = window.MathJax;
    const mathDone = !document.querySelector('.math')
                     || (mj && mj.startup && mj.startup.promise && mj.typesetPromise);
    const rendered = document.querySelectorAll(
      '.cell_output .widget-subarea, .cell_output .jupyter-widgets-view').length;
    if (mathDone && (nViews === 0 || rendered >= nViews)) {
      if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
      return true;
    }
    await sleep(50);
  }
  return false;
}
"""


def _ids(soup: BeautifulSoup) -> set[str]:
    named = {str(t["name"]) for t in soup.find_all("a", attrs={"name": True})}
    return {str(t["id"]) for t in soup.find_all(id=True)} | named


def _pages(site: Path) -> list[Path]:
    skip = ("_static", "_sources", "mathjax", "html-manager", "_images")
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skip)


def check_links(site: Path) -> list[str]:
    problems: list[str] = []
    pages = _pages(site)
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


def _static_checks(page: Path, rel: Path, source: BeautifulSoup) -> list[str]:
    problems: list[str] = []
    for img in source.find_all("img", attrs={"src": True}):
        src = urlsplit(str(img["src"]))
        if src.scheme:
            continue
        f = (page.parent / unquote(src.path)).resolve()
        if not f.exists() or f.stat().st_size < 100:
            problems.append(f"{rel}: figure {img['src']!r} missing or empty")
        elif f.suffix == ".png" and f.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            problems.append(f"{rel}: figure {img['src']!r} is not a PNG")
    return problems


def _limit(items: list[str], n: int = 6) -> str:
    more = f" ... and {len(items) - n} more" if len(items) > n else ""
    return "; ".join(items[:n]) + more


def _redirect(soup: BeautifulSoup) -> bool:
    return any(str(m.get("http-equiv", "")).lower() == "refresh" for m in soup.find_all("meta"))


def check_rendering(site: Path, shots: Path, viewport: tuple[int, int, bool]) -> list[str]:
    """Open every page at one viewport (width, height, phone?) and return its problems."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Request, Response, Route, sync_playwright

    width, height, phone = viewport
    problems: list[str] = []
    chapter_notebooks = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    sources = {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in _pages(site)}
    pages = [p for p, soup in sources.items() if not _redirect(soup)]
    (shots / str(width)).mkdir(parents=True, exist_ok=True)
    seen: list[str] = []

    def _route(route: Route) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            seen.append(f"request off the site: {route.request.url}")
            route.abort()

    def _failed(req: Request) -> None:
        if req.url.startswith(("file:", "data:", "blob:")):  # off-site ones are reported by _route
            seen.append(f"failed request {unquote(req.url)} ({req.failure})")

    def _response(resp: Response) -> None:
        if resp.status >= 400:
            seen.append(f"HTTP {resp.status} for {resp.url}")

    with sync_playwright() as pw:
        # keep scrollbars: a phone's overlay scrollbar takes no room, a styled one does
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS,
                                     ignore_default_args=["--hide-scrollbars"])
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone,
                                          has_touch=phone, device_scale_factor=1,
                                          service_workers="block", reduced_motion="reduce")
            context.route("**/*", _route)
            tab = context.new_page()
            tab.on("console", lambda m: seen.append(f"console {m.type}: {m.text[:300]}")
                   if m.type == "error" and not m.text.startswith(IGNORED_CONSOLE) else None)
            tab.on("pageerror", lambda e: seen.append(f"page error: {str(e)[:300]}"))
            tab.on("requestfailed", _failed)
            tab.on("response", _response)
            for page in pages:
                problems += _check_page(tab, site, page, sources[page], width, shots, seen, chapter_notebooks,
                                        PlaywrightError)
        finally:
            browser.close()
    return problems


def _check_page(tab: Any, site: Path, page: Path, source: BeautifulSoup, width: int, shots: Path,
                seen: list[str], chapter_notebooks: set[str], error: type[Exception]) -> list[str]:
    problems: list[str] = []
    rel = page.relative_to(site)
    where = f"{rel} @{width}px"
    n_math = len(source.select(".math, span.math, div.math"))
    n_views = len(source.find_all("script", attrs={"type": WIDGET_VIEW}))
    seen.clear()
    try:
        tab.goto(page.resolve().as_uri(), wait_until="load", timeout=60_000)
        settled = tab.evaluate(SETTLED_JS, n_views)
        height = tab.evaluate("document.documentElement.scrollHeight")  # as a reader first sees it
        tab.evaluate(OPEN_ALL_JS)
        tab.wait_for_timeout(150)
        found: dict[str, Any] = tab.evaluate(MEASURE_JS)
        tab.screenshot(path=str(shots / str(width) / f"{page.stem}.jpg"), full_page=True, type="jpeg",
                       quality=80, animations="disabled")
        tab.wait_for_timeout(50)  # let late console messages arrive
    except error as exc:
        return [f"{where}: could not be checked: {str(exc).splitlines()[0]}"]
    # the same message repeated is one problem with a count
    counts: dict[str, int] = {}
    for msg in seen:
        counts[msg] = counts.get(msg, 0) + 1
    problems += [f"{where}: {m}" + (f" (x{c})" if c > 1 else "") for m, c in counts.items()]
    if not settled:
        problems.append(f"{where}: MathJax or the widget manager never finished")
    if n_math and found["typeset"] < n_math:
        problems.append(f"{where}: {n_math} math elements but only {found['typeset']} typeset by MathJax")
    text = found["text"]
    for raw in (r"\(", r"\[", "$$"):
        if raw in text:
            i = text.index(raw)
            problems.append(f"{where}: raw math delimiter {raw!r} left in the page: "
                            f"...{text[max(0, i - 40):i + 40]!r}")
    if n_views:
        if found["widgets"] == 0:
            problems.append(f"{where}: {n_views} saved widget views but the widget manager rendered none")
        if found["widgetErrors"]:
            problems.append(f"{where}: widget manager reported {found['widgetErrors']} errors")
        if found["liveControls"]:
            problems.append(f"{where}: {len(found['liveControls'])} widget controls can be moved although "
                            "nothing computes in the book: " + _limit(found["liveControls"]))
        if found["snapshots"] < n_views:
            problems.append(f"{where}: {n_views} widgets but {found['snapshots']} notes saying they "
                            "are snapshots (live only in Jupyter)")
    if rel.parts[0] == "chapters" and page.stem in chapter_notebooks:
        want = f"{page.stem}.ipynb"
        if not any(unquote(h).endswith(want) for h in found["downloads"]):
            problems.append(f"{where}: no link to download {want}")
    if found["pageScroll"]:
        problems.append(f"{where}: the page scrolls sideways ({found['pageScroll']} px wide)")
    if found["cut"]:
        problems.append(f"{where}: {len(found['cut'])} elements cut off with no way to scroll: "
                        + _limit(found["cut"]))
    if found["hiddenScroll"]:
        problems.append(f"{where}: {len(found['hiddenScroll'])} boxes scroll sideways with nothing "
                        "showing that they do (no faded edge): " + _limit(found["hiddenScroll"]))
    if found["wideWidgets"]:
        problems.append(f"{where}: {len(found['wideWidgets'])} widget boxes wider than the "
                        "viewport or scrolling sideways: " + _limit(found["wideWidgets"]))
    print(f"{where}: {height:,} px tall (dropdowns closed), {found['typeset']} formulas typeset, {n_views} widget views, "
          f"{len(source.find_all('img'))} images, {len(problems)} problems", flush=True)
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "_build" / "html"
    if not (site / "index.html").exists():
        raise SystemExit(f"no built site at {site}; run `make book` first")
    start = time.monotonic()
    problems = check_links(site)
    print(f"links: {len(problems)} problems")
    shots = site.parent / "site-check"
    for shot in shots.glob("*/*.jpg"):
        shot.unlink()
    # the two widths in two browsers at once (the check is mostly waiting on Chromium)
    with ProcessPoolExecutor(max_workers=len(VIEWPORTS)) as pool:
        for found in pool.map(check_rendering, [site] * len(VIEWPORTS), [shots] * len(VIEWPORTS), VIEWPORTS):
            problems += found
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(problems)} problems; screenshots in {shots}; {time.monotonic() - start:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
