"""Plain helpers for analytics tests (fixtures are in conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict

from django.utils import timezone

from analytics.models import SongDay, SongTotal, UserArtist, UserGenre, UserMonth, UserSong
from analytics.scoring import score
from catalog.models import SongArtist, SongGenre

COUNTERS = ("plays", "likes", "skips", "shares")

# A ListenBrainz import (test_import*.py).
IMPORT_URL = "/api/analytics/import/"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# History: a year ago, and older than the activity endpoint's 30 days.
T0 = int((NOW - dt.timedelta(days=365)).timestamp())


def today_at(hour: int = 0, minute: int = 0, days_ago: int = 0) -> dt.datetime:
    """A moment of today (UTC), or of `days_ago` days before. Today's default (00:00:01) is
    never in the future and always today, whenever the test runs."""
    day = timezone.now().date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute, 1), tzinfo=dt.UTC)


def rollups() -> dict[str, set[tuple]]:
    """Every rollup row's key and values, to compare whole tables."""
    return {
        "song_days": set(SongDay.objects.values_list("day", "song_id", *COUNTERS)),
        "song_totals": set(SongTotal.objects.values_list("song_id", *COUNTERS)),
        "user_months": set(
            UserMonth.objects.values_list("user_id", "month", *COUNTERS, "days", "listen_ms", "last_at")
        ),
        "user_songs": set(UserSong.objects.values_list("user_id", "song_id", *COUNTERS, "last_at", "score")),
        "user_artists": set(UserArtist.objects.values_list("user_id", "artist_id", *COUNTERS, "score")),
        "user_genres": set(UserGenre.objects.values_list("user_id", "genre_id", *COUNTERS, "score")),
    }


def song_days_summed() -> set[tuple]:
    """SongTotal as it should be once no row waits in the user stage: SongDay summed by song."""
    sums: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for song_id, *counts in SongDay.objects.values_list("song_id", *COUNTERS):
        sums[song_id] = [a + b for a, b in zip(sums[song_id], counts, strict=True)]
    return {(song_id, *counts) for song_id, counts in sums.items()}


def tops_recounted() -> dict[str, set[tuple]]:
    """UserArtist and UserGenre as they should be: each user's UserSong counters summed over
    the songs crediting each artist (at any position) and of each genre, scored anew."""
    artists = defaultdict(list)
    for song_id, artist_id in SongArtist.objects.values_list("song_id", "artist_id"):
        artists[song_id].append(artist_id)
    genres = defaultdict(list)
    for song_id, genre_id in SongGenre.objects.values_list("song_id", "genre_id"):
        genres[song_id].append(genre_id)
    sums: dict[str, defaultdict[tuple, list[int]]] = {
        "user_artists": defaultdict(lambda: [0, 0, 0, 0]),
        "user_genres": defaultdict(lambda: [0, 0, 0, 0]),
    }
    for user_id, song_id, *counts in UserSong.objects.values_list("user_id", "song_id", *COUNTERS):
        for name, keys in (("user_artists", artists[song_id]), ("user_genres", genres[song_id])):
            for key in keys:
                total = sums[name][(user_id, key)]
                total[:] = [a + b for a, b in zip(total, counts, strict=True)]
    return {
        name: {
            (*key, *counts, score(**dict(zip(COUNTERS, counts, strict=True)))) for key, counts in rows.items()
        }
        for name, rows in sums.items()
    }


def scores_kept() -> bool:
    """Whether every stored score is its row's counters' score."""
    return all(
        stored == score(**dict(zip(COUNTERS, counts, strict=True)))
        for model in (UserSong, UserArtist, UserGenre)
        for stored, *counts in model.objects.values_list("score", *COUNTERS)
    )


def listen(artist_name: str, track: str, at: int, **extra) -> dict:
    """One listen of a ListenBrainz export, at `at` (a Unix time)."""
    return {
        "listened_at": at,
        "track_metadata": {
            "artist_name": artist_name,
            "track_name": track,
            "release_name": "Some album",
            "additional_info": {"media_player": "foobar", "duration_ms": 123},
        },
        "recording_msid": "0a1b2c3d-0000-4000-8000-000000000000",
        "user_name": "someone",
        **extra,
    }


def post_listens(client, listens):
    """POST `listens` to the import as a JSON array."""
    return client.post(IMPORT_URL, json.dumps(listens), content_type="application/json")


def as_ndjson(listens) -> str:
    """`listens` as JSON lines."""
    return "\n".join(json.dumps(one) for one in listens) + "\n"


def import_counts(response) -> dict:
    """The import's counts; its `import_id` checked for shape and left out."""
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body.pop("import_id"))
    return body
