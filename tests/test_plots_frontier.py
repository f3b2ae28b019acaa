"""The frontier figure keeps its legend and its labels off the data (issue 16)."""

import matplotlib

matplotlib.use("Agg")

from inferecon.plots import frontier as fplots  # noqa: E402
from inferecon.serving import frontier  # noqa: E402


def test_legend_below_the_axes_and_no_annotation_on_the_curves():
    sw = frontier.sweep("h100-sxm", "llama-3-8b", max_devices=8, n_batches=12)
    fig = fplots.frontier_figure([sw], observed=[(400, 0.2, "provider A"), (150, 0.9, "provider B")])
    ax = fig.axes[0]
    assert len(ax.texts) == 0                                 # observed points named in the legend
    legend = fig.legends[0]                                   # one legend, below the plot
    labels = [t.get_text() for t in legend.get_texts()]
    assert "provider A" in labels and "provider B" in labels
    fig.canvas.draw()
    legend_box = legend.get_window_extent()
    assert legend_box.y1 <= ax.get_window_extent().y0          # entirely below the plotting area
    matplotlib.pyplot.close(fig)
