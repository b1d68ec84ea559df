"""The figures of bench/load_mix.py: a step's requests/s, p50, p95 and errors, and each
endpoint's, from the clients' samples (time, endpoint, ms, status; status 0: no answer)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fixtures import percentile  # bench/ is on sys.path wherever this module is imported


def step_figures(samples: list[tuple[float, str, float, int]], seconds: float) -> dict[str, Any]:
    times = [s[2] for s in samples if s[3]]
    figures: dict[str, Any] = {
        "rps": len(samples) / seconds,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "5xx": sum(1 for s in samples if s[3] >= 500),
        "other_errors": sum(1 for s in samples if s[3] == 0 or 400 <= s[3] < 500),
    }
    return figures


def per_endpoint(samples: list[tuple[float, str, float, int]]) -> str:
    by_name: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for _, name, ms, status in samples:
        by_name[name].append((ms, status))
    lines = [f"{'endpoint':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'5xx':>5}  statuses"]
    for name, rows in sorted(by_name.items()):
        times = [ms for ms, status in rows if status]
        statuses: dict[int, int] = defaultdict(int)
        for _, status in rows:
            statuses[status] += 1
        fivexx = sum(n for s, n in statuses.items() if s >= 500)
        lines.append(
            f"{name:<20} {len(rows):>8} {percentile(times, 50):>8.1f} {percentile(times, 95):>8.1f} "
            f"{fivexx:>5}  {dict(sorted(statuses.items()))}"
        )
    return "\n".join(lines)
