"""The staff dashboard's chart as SVG geometry, drawn by the template on the server: no
script, no external file, readable in any browser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 28, 16, 40
COLOURS = {"play": "#2b6cb0", "like": "#2f855a", "skip": "#c53030", "share": "#b7791f"}


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Series:
    action: str
    colour: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def label_left(self) -> int:
        return self.left - 6

    @property
    def label_top(self) -> int:
        return self.height - self.bottom + 18


def _gridline_step(peak: int) -> int:
    """The smallest round step (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, ...) of which four
    reach `peak`: the four gridlines above zero then fall on whole, evenly spaced numbers."""
    scale = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = scale * factor
            if step == int(step) and 4 * step >= peak:
                return int(step)
        scale *= 10


def chart_build(days: list[tuple[dt.date, dict[str, int]]]) -> Chart:
    """One line per action over `days` (oldest first), on a shared scale from zero."""
    step_y = _gridline_step(max((max(counts.values()) for _, counts in days), default=0))
    top = 4 * step_y
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    series = [
        Series(
            action,
            colour,
            [
                Point(x(i), y(counts[action]), f"{day:%Y-%m-%d}: {counts[action]} {action}")
                for i, (day, counts) in enumerate(days)
            ],
        )
        for action, colour in COLOURS.items()
    ]
    y_ticks = [Tick(y(step_y * k), f"{step_y * k:,}") for k in range(5)]
    x_ticks = [Tick(x(i), f"{day:%b %d}") for i, (day, _) in enumerate(days) if (len(days) - 1 - i) % 7 == 0]
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, series, y_ticks, x_ticks)
