"""Reads of songs: the list every endpoint starts from, lookups, similar songs, counts."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.functions import Greatest, Least
from django.shortcuts import get_object_or_404

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.lookups import ILike
from catalog.selectors.search_text import escape_like

# Pages report an exact count up to this many matches; past it, counting every row would
# cost more than the page itself at a million songs, so the planner's estimate is used.
EXACT_COUNT_LIMIT = 1000

# Audio features compared by /similar/, each mapped to 0..1 so that none dominates.
SIMILARITY_FEATURES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "loudness": (-60.0, 0.0),
    "tempo": (0.0, 250.0),
}
SIMILAR_DEFAULT_LIMIT = 10
SIMILAR_MAX_LIMIT = 50


def song_list() -> QuerySet[Song]:
    """All songs, by id. Lists attach their artists with `songs_with_artists`."""
    return Song.objects.order_by("id")


def songs_with_artists(songs: Iterable[Song]) -> list[Song]:
    """`songs` with `artist_credits` set on each: `[{id, name}]` in credit order, read in
    one query for all of them (no N+1). Cheaper than `prefetch_related`, which builds a
    model instance per credit and per artist only to read two fields of them."""
    songs = list(songs)
    credits: dict[int, list[dict]] = {song.pk: [] for song in songs}
    rows = (
        SongArtist.objects.filter(song_id__in=list(credits))
        .order_by("song_id", "position", "id")
        .values_list("song_id", "artist_id", "artist__name")
    )
    for song_id, artist_id, name in rows:
        credits[song_id].append({"id": artist_id, "name": name})
    for song in songs:
        song.artist_credits = credits[song.pk]
    return songs


def song_get(*, song_id: int) -> Song:
    """One song with its artists, or Http404."""
    return songs_with_artists([get_object_or_404(song_list(), pk=song_id)])[0]


def song_title_contains(queryset: QuerySet[Song], value: str) -> QuerySet[Song]:
    """Case-insensitive substring of the title: `title ILIKE '%value%'` on the plain column,
    which the GIN trigram index serves (unlike Django's `UPPER(title) LIKE UPPER(...)`).

    The order is by id either way, but expressed for the plan that suits the substring.
    With `ORDER BY id LIMIT n` PostgreSQL walks the primary key hoping to meet matches
    early: right for a substring in many titles, ruinous for a rare one (the whole table
    read). So unless the title-word list says the substring is common, the order is
    `id + 0`, which that index cannot serve, and the trigram plan is kept."""
    matched = queryset.filter(ILike(F("title"), f"%{escape_like(value)}%"))
    if _title_share(queryset.db, value) > COMMON_SUBSTRING_SHARE:
        return matched.order_by("id")
    return matched.order_by(F("id") + 0)


# A substring in more than this share of titles is "common" (see song_title_contains).
COMMON_SUBSTRING_SHARE = 0.01
_TRIGRAM_RUN = re.compile(r"[^\W_]{3}")


def _title_share(using: str, value: str) -> float:
    """Rough share of titles containing `value`, from the title-word list (PostgreSQL only;
    0 elsewhere, or when the value spans words and the list cannot tell)."""
    lowered = value.lower()
    if connections[using].vendor != "postgresql":
        return 0.0
    if not _TRIGRAM_RUN.search(lowered):
        # No three letters in a row: the trigram index would hand back every row to
        # recheck. A letter or two is in many titles, so walking ids finds a page early;
        # bare punctuation is rare, and the index scan is then the cheaper full pass.
        return 1.0 if any(ch.isalnum() for ch in lowered) else 0.0
    if not lowered.isalnum():
        return 0.0
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(ndoc), 0), "
            "(SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'catalog_song'::regclass) "
            "FROM catalog_searchword WHERE word LIKE %s",
            [f"%{escape_like(lowered)}%"],
        )
        occurrences, songs = cursor.fetchone()
    return float(occurrences) / float(songs)


def artist_list() -> QuerySet[Artist]:
    return Artist.objects.order_by("name", "id")


def _normalized(field: str) -> Least:
    low, high = SIMILARITY_FEATURES[field]
    return Least(Greatest((F(field) - low) / (high - low), 0.0), 1.0)


@dataclass(frozen=True)
class SimilarSong:
    song: Song
    score: float


def song_similar(*, song: Song, limit: int = SIMILAR_DEFAULT_LIMIT) -> list[SimilarSong]:
    """The `limit` songs closest to `song` in normalized audio-feature space, never `song`
    itself. score = 1 - euclidean distance / its maximum, so 1.0 is an identical profile.
    A full scan of the features: linear in the catalog, with no index to help."""
    limit = max(1, min(limit, SIMILAR_MAX_LIMIT))
    distance = None
    for field, (low, high) in SIMILARITY_FEATURES.items():
        target = min(max((getattr(song, field) - low) / (high - low), 0.0), 1.0)
        term = (_normalized(field) - target) * (_normalized(field) - target)
        distance = term if distance is None else distance + term
    nearest = list(
        song_list().exclude(pk=song.pk).annotate(distance_sq=distance).order_by("distance_sq", "id")[:limit]
    )
    distances = {other.pk: other.distance_sq for other in nearest}
    span = math.sqrt(len(SIMILARITY_FEATURES))
    return [
        SimilarSong(song=other, score=round(1.0 - math.sqrt(max(distances[other.pk], 0.0)) / span, 6))
        for other in songs_with_artists(nearest)
    ]


def queryset_count_bounded(queryset: QuerySet) -> tuple[int, bool]:
    """(count, exact). Exact up to EXACT_COUNT_LIMIT; beyond it on PostgreSQL the planner's
    row estimate (never less than the limit + 1). Elsewhere always exact."""
    vendor = connections[queryset.db].vendor
    if vendor != "postgresql":
        return queryset.count(), True
    unordered = queryset.order_by()
    counted = unordered[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return counted, True
    try:
        plan = json.loads(unordered.explain(format="json"))
        estimate = int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        estimate = 0
    return max(estimate, counted), False
