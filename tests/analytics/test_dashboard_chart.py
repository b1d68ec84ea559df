"""The dashboard chart's scale: gridlines on whole, evenly spaced numbers above the peak."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from analytics.dashboard_chart import chart_build

DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("peak", "labels"),
    [
        (0, ["0", "1", "2", "3", "4"]),
        (4, ["0", "1", "2", "3", "4"]),
        (6, ["0", "2", "4", "6", "8"]),
        (10, ["0", "5", "10", "15", "20"]),
        (100, ["0", "25", "50", "75", "100"]),
        (101, ["0", "50", "100", "150", "200"]),
        (3_456, ["0", "1,000", "2,000", "3,000", "4,000"]),
    ],
)
def test_gridlines_are_whole_evenly_spaced_and_reach_the_peak(peak, labels):
    chart = chart_build([(DAY, {"play": peak, "like": 0, "skip": 0, "share": 0})])

    assert [tick.label for tick in chart.y_ticks] == labels
    gaps = {round(a.position - b.position, 6) for a, b in pairwise(chart.y_ticks)}
    assert len(gaps) == 1
    # The peak's point is on or below the top gridline (a smaller y is higher).
    assert chart.series[0].points[0].y >= chart.y_ticks[-1].position
