"""Figures in one consistent style. Importing this package imports matplotlib.

Every plotting function takes plain numbers or package objects, calls the numeric functions
of :mod:`inferecon` (never re-implements a formula) and returns a ``matplotlib.figure.Figure``.
Topic modules: :mod:`inferecon.plots.lifecycle`, ...
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

__all__ = ["COLORS", "new_figure", "use_course_style"]

#: A colour-blind-safe palette (Okabe & Ito) used in every figure, in this order.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

_RC: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.4, 4.0),
    "font.family": "DejaVu Sans",
    "font.size": 10,
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


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 6.4, height: float = 4.0) -> tuple[Figure, Any]:
    """Create a figure and axes with the course size conventions (not shown until returned).

    The second item is one ``Axes`` or, for several panels, numpy's array of them (as
    :func:`matplotlib.pyplot.subplots` returns with ``squeeze=True``; hence ``Any``).
    """
    fig, ax = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=True)
    return fig, ax
