"""The self-assessment chart: one horizontal bar per pillar, 0-100, as a PNG.

Rendering takes tens of milliseconds of CPU and matplotlib holds the GIL for long
stretches, so the bot runs `pillar_chart` in one worker process (a spawned
`ProcessPoolExecutor`, warmed at start-up): on the event loop, or even in a thread, it would
stall updates (bench/bench_chart.py measures this). matplotlib is imported lazily: a process
that never draws a chart (the CLI, most tests) does not pay for it.
"""

from __future__ import annotations

import io
import os
import textwrap
import threading
import time
from collections.abc import Sequence

PARENT_CHECK_S = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process as soon as the bot that started it is gone.

    A pool worker only notices its parent's orderly shutdown; after a kill -9 it would live on
    (with multiprocessing's resource tracker, ~110 MB per restart under a supervisor)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


WIDTH_IN, DPI = 6.0, 120
"""Narrow and large-lettered: a phone shows the image about 360 points wide, so text is sized
against that width (at 8 inches and 9 points, pillar names were too small to read)."""
LABEL_PT, TITLE_PT = 13, 15
BAR_COLOUR = "#2e7d32"
PREVIOUS_COLOUR = "#b0bec5"


def pillar_chart(
    title: str,
    labels: Sequence[str],
    scores: Sequence[float],
    previous: Sequence[float] | None = None,
    previous_label: str = "",
    current_label: str = "",
) -> bytes:
    """A PNG bar chart of pillar scores; `previous` draws the last assessment behind it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    height = 1.4 + 0.95 * len(labels)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    axes = figure.subplots()
    positions = list(range(len(labels)))[::-1]
    wrapped = ["\n".join(textwrap.wrap(label, 23)) for label in labels]
    if previous is not None:
        axes.barh(
            [p + 0.2 for p in positions], previous, height=0.35, color=PREVIOUS_COLOUR, label=previous_label
        )
        bars = axes.barh(
            [p - 0.15 for p in positions], scores, height=0.45, color=BAR_COLOUR, label=current_label
        )
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=LABEL_PT - 1, frameon=False
        )
    else:
        bars = axes.barh(positions, scores, height=0.6, color=BAR_COLOUR)
    for bar, score in zip(bars, scores, strict=True):
        axes.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{score:.0f}",
            va="center",
            fontsize=LABEL_PT,
        )
    axes.set_yticks(positions, wrapped, fontsize=LABEL_PT)
    axes.tick_params(axis="x", labelsize=LABEL_PT - 2)
    axes.set_xlim(0, 110)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.grid(axis="x", alpha=0.3)
    axes.set_title("\n".join(textwrap.wrap(title, 40)), fontsize=TITLE_PT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
