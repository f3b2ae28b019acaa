"""Figures in one consistent style. Importing this package imports matplotlib.

Every plotting function takes plain numbers or package objects, calls the numeric functions
of :mod:`inferecon` (never re-implements a formula) and returns a ``matplotlib.figure.Figure``.
Topic modules: :mod:`inferecon.plots.lifecycle`, ...
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.typing import RcKeyType

__all__ = [
    "COLORS",
    "DESKTOP_COLUMN_PX",
    "MIN_PHONE_TEXT_PX",
    "PHONE_COLUMN_PX",
    "ROW_GAP_IN",
    "SMALL",
    "WIDTH",
    "course_figure",
    "legend_below",
    "new_figure",
    "use_course_style",
    "wrap",
]

#: A colour-blind-safe palette (Okabe & Ito) used in every figure, in this order.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

# ---- One size rule for every figure (issue 16) ------------------------------------------------
# The notebook shows each figure (a retina PNG) at its natural width, figure inches x 100 CSS px,
# and the book scales it down to the column: 312 px for images on a 360 px phone (measured in the
# built book), about 670 px on a desktop. A figure of natural width W px shows text of f pt at
# f x 100/72 x min(1, 312/W) CSS px on the phone. The rule: one column of panels (stacked, never
# side by side), at most WIDTH inches wide (with the saved padding at most 480 px), and no text
# smaller than SMALL pt, so the smallest text is >= 10 x 100/72 x 312/480 = 9.0 CSS px on a phone
# and 13.9 px at natural size on a desktop (never upscaled). Legends sit below the axes.

#: Width of every figure, inches (460 CSS px at natural size, below a desktop column).
WIDTH = 4.6
#: The smallest font size any text may use, pt (tick labels, legends, notes).
SMALL = 10.0
#: Width of an image in the book's content column on a 360 px phone, CSS px (measured).
PHONE_COLUMN_PX = 312
#: Width of an image in the book's content column on a desktop (1280 px window), CSS px (measured).
DESKTOP_COLUMN_PX = 672
#: The clear space between stacked panels (the panel above, its legend, the title below), inches.
ROW_GAP_IN = 0.22
#: The smallest text a figure may show on a phone, CSS px.
MIN_PHONE_TEXT_PX = 9.0

_RC: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (WIDTH, 3.4),
    "font.family": "DejaVu Sans",
    "font.size": SMALL,
    "axes.titlesize": 11,
    "axes.labelsize": SMALL,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "legend.fontsize": SMALL,
    "legend.title_fontsize": SMALL,
    "figure.titlesize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "legend.frameon": False,
    "svg.hashsalt": "inferecon",
    "savefig.bbox": "tight",
}


def use_course_style() -> None:
    """Fix plotting and printing so notebook outputs are identical run to run.

    Sets matplotlib rcParams (100 dpi, DejaVu Sans, the course palette, a fixed SVG hash salt),
    the inline backend's format when running under IPython (PNG at twice the pixels, "retina",
    so text stays sharp on high-density screens; PNG is not compared byte for byte by nbval),
    and numpy's print options. Call it once in every notebook's first cell.
    """
    matplotlib.rcParams.update(_RC)
    np.set_printoptions(precision=4, suppress=False, linewidth=100)
    try:  # pragma: no cover - only inside IPython
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("config", "InlineBackend.figure_formats = ['retina']")
            ip.run_line_magic("config", "InlineBackend.rc = {}")
    except ImportError:  # pragma: no cover
        pass


_P = ParamSpec("_P")


def course_figure(func: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Draw the figure under the course style, whether or not :func:`use_course_style` ran."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        with matplotlib.rc_context(_RC):
            fig = func(*args, **kwargs)
            _fit_text(fig)
            return fig

    return wrapper


def _fit_text(fig: Figure) -> None:
    """Titles wrapped to the figure's width, axis labels to the panel's height; the x label of
    a panel stacked on one that shares its axis is left to the bottom panel."""
    width = fig.get_figwidth() - 0.2
    sup = fig.get_suptitle()
    if sup:
        fig.suptitle(wrap(sup, width, float(matplotlib.rcParams["figure.titlesize"])))
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        title = ax.get_title()
        if title:
            ax.set_title(wrap(title, width, float(ax.title.get_fontsize())))
        height = ax.get_position().height * fig.get_figheight()
        xlabel = ax.get_xlabel()
        if xlabel:
            ax.set_xlabel(wrap(xlabel, ax.get_position().width * fig.get_figwidth() + 0.3, SMALL))
        ylabel = ax.get_ylabel()
        if ylabel:
            ax.set_ylabel(wrap(ylabel, height + 0.3, float(ax.yaxis.label.get_fontsize())))
        if ax.get_shared_x_axes().get_siblings(ax)[1:] and not any(  # siblings first: cheap
            t.get_visible() for t in ax.get_xticklabels()
        ):
            ax.set_xlabel("")


def new_figure(
    ncols: int = 1,
    nrows: int = 1,
    width: float = WIDTH,
    height: float = 3.4,
    *,
    sharex: bool = False,
) -> tuple[Figure, Any]:
    """Create a figure and axes with the course size conventions (not shown until returned).

    The width is capped at :data:`WIDTH` (a wider request keeps its height), so that text of the
    course's sizes stays legible on a phone; panels go in one column (``nrows``), and the
    layout is matplotlib's constrained one (room for titles, colour bars and legends below).
    The second item is one ``Axes`` or, for several panels, numpy's array of them (as
    :func:`matplotlib.pyplot.subplots` returns with ``squeeze=True``; hence ``Any``).
    """
    fig, ax = plt.subplots(
        nrows,
        ncols,
        figsize=(min(width, WIDTH), height),
        squeeze=True,
        sharex=sharex,
        layout="constrained",
    )
    if nrows > 1:
        # Room between stacked panels: a panel's title sits clear of the x axis, tick labels
        # and legend of the panel above (matplotlib's default leaves 3 pt, and they touch).
        engine = fig.get_layout_engine()
        assert isinstance(engine, ConstrainedLayoutEngine)
        engine.set(h_pad=ROW_GAP_IN / 2, hspace=0.0)
    return fig, ax


_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
# Stand-ins for a space and a hyphen inside $...$ while textwrap breaks the line: neither is
# whitespace or a hyphen to textwrap, so it never breaks there (mathtext split over two lines
# would show as raw LaTeX).
_KEEP = {" ": "\x00", "-": "\x01"}


def wrap(text: str, width: float = WIDTH, fontsize: float = 11.0) -> str:
    """``text`` broken into lines that fit ``width`` inches at ``fontsize`` pt (DejaVu Sans),
    never inside a ``$...$`` math span (a span longer than a line gets a line of its own)."""
    chars = max(int(width * 72 / (0.66 * fontsize)), 16)

    def protect(m: re.Match[str]) -> str:
        out = m.group(0)
        for k, v in _KEEP.items():
            out = out.replace(k, v)
        return out

    lines = []
    for line in text.split("\n"):
        filled = textwrap.fill(_MATH.sub(protect, line), chars, break_long_words=False)
        for k, v in _KEEP.items():
            filled = filled.replace(v, k)
        lines.append(filled)
    return "\n".join(lines)


def _off_rising_line(first: bool) -> dict[str, Any]:
    """Where a point's name sits clear of a rising line through it: below right of the first
    point (room at the left edge), above left of the others (the line lies lower to the left)."""
    if first:
        return dict(xytext=(6, -6), textcoords="offset points", ha="left", va="top")
    return dict(xytext=(-6, 6), textcoords="offset points", ha="right", va="bottom")


def legend_below(
    fig: Figure,
    axes: Any = None,
    ncol: int = 1,
    handles: Sequence[Any] | None = None,
    **kwargs: Any,
) -> Any:
    """One legend for the figure, below every panel (off the data), from ``axes`` (default: all).

    Entries with the same label are shown once, so stacked panels that draw the same series
    share one legend.
    """
    if handles is None:
        found: dict[str, Any] = {}
        for ax in fig.axes if axes is None else np.atleast_1d(axes):
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                found.setdefault(lab, h)
        handles, labels = list(found.values()), list(found)
        return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, **kwargs)
    return fig.legend(handles=handles, loc="outside lower center", ncol=ncol, **kwargs)
