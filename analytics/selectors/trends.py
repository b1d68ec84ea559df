"""Trends: songs, artists and genres ranked by their weighted activity in a window of days,
each with its score in the window before ("rising").

Read from SongDay (a window's cost is its day rows', never the events'), and for `all` from
SongTotal (one row per song: its cost is the catalog's, not the history's; it trails SongDay
by the rollup job's user stage); an artist gets the full score of every song that credits
it, a genre of every song in it. Scores are
`analytics.scoring`'s weights; things with no positive score are not trending. A song's item
also holds the ids of its artists and genres, which a viewer's blocks are matched against
(`selectors.snapshots`); the API's serializer leaves them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from analytics.models import SongDay, SongTotal
from analytics.scoring import score_expression
from catalog.selectors.credits import song_artist_ids, song_genre_ids, song_titles

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
GROUPINGS = {"songs": SONGS, "artists": ARTISTS, "genres": GENRES}

# Whether an item of a kind is left out (a viewer's blocks: `selectors.snapshots`).
Hidden = Callable[[str, dict[str, Any]], bool]
# Ranked rows fetched and labelled at a time (a few queries each) when some are left out.
CHUNK = 500


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
    today = today or timezone.now().date()
    return {
        "window": window,
        **{kind: trends_ranked(window=window, kind=kind, limit=limit, today=today) for kind in GROUPINGS},
    }


def trends_ranked(
    *, window: str, kind: str, limit: int, hidden: Hidden | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The first `limit` of `kind` ("songs", "artists", "genres") in `window`, leaving out
    what `hidden` names: read down the ranking as far as it takes, so that `limit` are left
    whenever that many score, whatever it hides."""
    current, previous = window_spans(window, today or timezone.now().date())
    grouping = GROUPINGS[kind]
    ranking = _ranking(grouping, current)
    if hidden is None:
        items = _items(grouping, list(ranking[:limit]))
    else:
        # Streamed, a chunk at a time: blocks hiding most of the top may take thousands of
        # rows, seldom all of them.
        rows = ranking.iterator(chunk_size=CHUNK)
        items = first_shown(_items_chunked(grouping, rows), kind=kind, limit=limit, hidden=hidden)
    _add_previous(grouping, previous, items)
    return items


def first_shown(
    items: Iterable[dict[str, Any]], *, kind: str, limit: int, hidden: Hidden
) -> list[dict[str, Any]]:
    """The first `limit` of `items` (of `kind`) that `hidden` does not leave out."""
    return list(islice((item for item in items if not hidden(kind, item)), limit))


def _items_chunked(grouping: Grouping, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    while chunk := list(islice(rows, CHUNK)):
        yield from _items(grouping, chunk)


def _items(grouping: Grouping, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` of `_ranking` as items, songs labelled."""
    items = []
    for row in rows:
        item: dict[str, Any] = {"id": row["key"]}
        if grouping.label is not None:
            item["name"] = row["label"]
        item["score"] = row["score"]
        items.append(item)
    if grouping is SONGS:
        _label(items)
    return items


def _label(songs: list[dict[str, Any]]) -> None:
    """Each song's title and artists' names, and the ids of its artists (at any position) and
    genres: what a block is matched against (`selectors.snapshots`), not shown."""
    ids = [item["id"] for item in songs]
    labels = song_titles(ids=ids)
    artist_ids, genre_ids = song_artist_ids(ids=ids), song_genre_ids(ids=ids)
    for item in songs:
        label = labels.get(item["id"])
        item["title"] = label.title if label else ""
        item["artists"] = list(label.artists) if label else []
        item["artist_ids"] = artist_ids.get(item["id"], [])
        item["genre_ids"] = genre_ids.get(item["id"], [])


def _rows(span: Span) -> QuerySet[Any, Any]:
    """The rows whose counts make up `span`: SongTotal's for every day, else SongDay's."""
    if span.first is None and span.last is None:
        return SongTotal.objects.all()
    return SongDay.objects.filter(span.q())


def _ranking(grouping: Grouping, current: Span) -> QuerySet[Any, Any]:
    """Every key of `grouping` with a positive score in `current`, best first: `{key, label?, score}`."""
    fields: dict[str, F] = {"key": F(grouping.key)}
    if grouping.label is not None:
        fields["label"] = F(grouping.label)
    # Grouped by the annotated key (and label): typed loosely, the stubs cannot follow it.
    grouped: QuerySet[Any, Any] = _rows(current).filter(**{f"{grouping.key}__isnull": False}).values(**fields)
    return grouped.annotate(score=score_expression()).filter(score__gt=0).order_by("-score", "key")


def _add_previous(grouping: Grouping, previous: Span | None, items: list[dict[str, Any]]) -> None:
    """Each item's score in `previous` and its change since (None for `all`)."""
    before = _scores(grouping, previous, [item["id"] for item in items]) if previous else {}
    for item in items:
        old = before.get(item["id"], 0) if previous else None
        item.update(previous_score=old, change=None if old is None else item["score"] - old)


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
