"""Trends: songs, artists and genres ranked by their weighted activity in a window of days,
each with its score in the window before ("rising").

Read from SongDay (a window's cost is its day rows', never the events'), and for `all` from
SongTotal (one row per song: its cost is the catalog's, not the history's; it trails SongDay
by the rollup job's user stage); an artist gets the full score of every song that credits
it, a genre of every song in it. Scores are
`analytics.scoring`'s weights; things with no positive score are not trending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from analytics.models import SongDay, SongTotal
from analytics.scoring import score_expression
from catalog.selectors.credits import song_titles

# Days in each window, ending today (UTC); "all" is every day and has no previous window.
WINDOW_DAYS: dict[str, int | None] = {"day": 1, "week": 7, "month": 30, "all": None}
DEFAULT_WINDOW = "week"
DEFAULT_LIMIT = 10
MAX_LIMIT = 50


@dataclass(frozen=True)
class Span:
    """Days `first` to `last`, both included; None leaves that end open."""

    first: dt.date | None
    last: dt.date | None

    def q(self) -> Q:
        condition = Q()
        if self.first is not None:
            condition &= Q(day__gte=self.first)
        if self.last is not None:
            condition &= Q(day__lte=self.last)
        return condition


@dataclass(frozen=True)
class Grouping:
    """What is ranked, reached from a SongDay row: its id's path and its name's."""

    key: str
    label: str | None


SONGS = Grouping("song_id", None)
ARTISTS = Grouping("song__credits__artist_id", "song__credits__artist__name")
GENRES = Grouping("song__genres__id", "song__genres__name")


def window_spans(window: str, today: dt.date) -> tuple[Span, Span | None]:
    """The window's days and those of the window of the same length just before it. The
    current window is open-ended forward: a client clock a few minutes ahead at midnight
    files its event under tomorrow."""
    days = WINDOW_DAYS[window]
    if days is None:
        return Span(None, None), None
    first = today - dt.timedelta(days=days - 1)
    return Span(first, None), Span(first - dt.timedelta(days=days), first - dt.timedelta(days=1))


def trends_compute(*, window: str, limit: int = MAX_LIMIT, today: dt.date | None = None) -> dict[str, Any]:
    """The trends of `window`, `limit` of each kind: a JSON-ready dict."""
    current, previous = window_spans(window, today or timezone.now().date())
    songs = _ranked(SONGS, current, previous, limit)
    labels = song_titles(ids=[item["id"] for item in songs])
    for item in songs:
        label = labels.get(item["id"])
        item["title"] = label.title if label else ""
        item["artists"] = list(label.artists) if label else []
    return {
        "window": window,
        "songs": songs,
        "artists": _ranked(ARTISTS, current, previous, limit),
        "genres": _ranked(GENRES, current, previous, limit),
    }


def _rows(span: Span) -> QuerySet[Any, Any]:
    """The rows whose counts make up `span`: SongTotal's for every day, else SongDay's."""
    if span.first is None and span.last is None:
        return SongTotal.objects.all()
    return SongDay.objects.filter(span.q())


def _ranked(grouping: Grouping, current: Span, previous: Span | None, limit: int) -> list[dict[str, Any]]:
    fields: dict[str, F] = {"key": F(grouping.key)}
    if grouping.label is not None:
        fields["label"] = F(grouping.label)
    # Grouped by the annotated key (and label): typed loosely, the stubs cannot follow it.
    grouped: QuerySet[Any, Any] = _rows(current).filter(**{f"{grouping.key}__isnull": False}).values(**fields)
    rows = list(
        grouped.annotate(score=score_expression()).filter(score__gt=0).order_by("-score", "key")[:limit]
    )
    before = _scores(grouping, previous, [row["key"] for row in rows]) if previous else {}
    items = []
    for row in rows:
        item: dict[str, Any] = {"id": row["key"]}
        if grouping.label is not None:
            item["name"] = row["label"]
        old = before.get(row["key"], 0) if previous else None
        item.update(
            score=row["score"], previous_score=old, change=None if old is None else row["score"] - old
        )
        items.append(item)
    return items


def _scores(grouping: Grouping, span: Span, keys: list[int]) -> dict[int, int]:
    if not keys:
        return {}
    rows = (
        _rows(span)
        .filter(**{f"{grouping.key}__in": keys})
        .values(key=F(grouping.key))
        .annotate(score=score_expression())
        .values_list("key", "score")
    )
    return dict(rows)
