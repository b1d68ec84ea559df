"""The world of `bench/reco_eval.py` (../shared/EVAL.md): the 114k catalog, the Last.fm users
matched to its artists, and each user's plays and likes recorded as a listener's events
(with event ids, so a re-run stores nothing twice). Django is set up by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA = BASE_DIR.parent / "shared" / "data"
MIN_ARTISTS = 10
BACKGROUND = "lfm-"
EVALUATED = "lfm-eval-"


def read_lastfm(catalog_keys: set[str]) -> dict[int, dict[str, int]]:
    """Last.fm user id -> {matched artist key: play count}; unmatched artists dropped."""
    from catalog.selectors.arrays import name_key

    folder = DATA / "lastfm-2k"
    names: dict[int, str] = {}
    with open(folder / "artists.dat", encoding="utf-8") as file:
        next(file)
        for line in file:
            number, name, *_ = line.rstrip("\n").split("\t")
            names[int(number)] = name_key(name)
    users: dict[int, dict[str, int]] = defaultdict(dict)
    with open(folder / "user_artists.dat", encoding="utf-8") as file:
        next(file)
        for line in file:
            user_id, artist_id, weight = (int(v) for v in line.split("\t"))
            key = names.get(artist_id)
            if key is not None and key in catalog_keys:
                users[user_id][key] = users[user_id].get(key, 0) + weight
    return dict(users)


def artist_tracks() -> dict[str, list[int]]:
    """Artist key -> its songs' ids, by popularity descending then track id (EVAL.md, World 3)."""
    from catalog.models import SongArtist

    rows = SongArtist.objects.values_list(
        "artist__name_key", "song_id", "song__popularity", "song__spotify_id"
    )
    tracks: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for key, song_id, popularity, spotify_id in rows.iterator(20_000):
        tracks[key].append((-(popularity or 0), spotify_id, song_id))
    return {key: [song_id for *_, song_id in sorted(songs)] for key, songs in tracks.items()}


def events_for(artists: dict[str, int], tracks: dict[str, list[int]], now: dt.datetime) -> list:
    """EVAL.md's signals: plays on each artist's first 3 tracks, a like on the first track of
    the 5 most played artists; spread over the 30 days before `now`, with stable event ids."""
    from analytics.models import ACTION_BY_NAME
    from analytics.services import EventIn

    top5 = sorted(artists, key=lambda key: (-artists[key], key))[:5]
    wanted = [(key, song, "play") for key in sorted(artists) for song in tracks[key][:3]]
    wanted += [(key, tracks[key][0], "like") for key in top5]
    span = dt.timedelta(days=30)
    return [
        EventIn(
            song_id=song,
            action=ACTION_BY_NAME[action],
            occurred_at=now - span + span * (i + 1) / (len(wanted) + 1),
            event_id=hashlib.sha1(f"{key}|{song}|{action}".encode()).hexdigest(),
        )
        for i, (key, song, action) in enumerate(wanted)
    ]


def account(username: str) -> int:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@eval.test"}
    )
    return user.pk


def ingest(username: str, artists: dict[str, int], tracks: dict[str, list[int]], now: dt.datetime) -> int:
    from analytics.services import activity_record
    from analytics.services.rollups import rollups_refresh

    user_id = account(username)
    activity_record(user_id=user_id, events=events_for(artists, tracks, now))
    # What beat does in production: counts move from pending rows into the rollups.
    rollups_refresh()
    return user_id


def load_world(
    now: dt.datetime, reuse: bool
) -> tuple[dict[int, dict[str, int]], dict[str, list[int]], dict[int, int]]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from analytics.services.rollups import rollups_catch_up
    from catalog.selectors.songs import song_list

    if not song_list().exists():
        call_command("load_music", str(DATA / "spotify-tracks-114k.csv"), skip_invalid=True, verbosity=0)
    tracks = artist_tracks()
    users = {u: a for u, a in read_lastfm(set(tracks)).items() if len(a) >= MIN_ARTISTS}
    get_user_model().objects.filter(username__startswith=EVALUATED).delete()
    background: dict[int, int] = {}
    existing = dict(
        get_user_model().objects.filter(username__startswith=BACKGROUND).values_list("username", "pk")
    )
    started = time.perf_counter()
    for n, (user, artists) in enumerate(sorted(users.items())):
        name = f"{BACKGROUND}{user}"
        # --reuse: an account left by an earlier run already holds its events.
        reused = existing.get(name) if reuse else None
        background[user] = reused or ingest(name, artists, tracks, now)
        if n % 200 == 0:
            print(f"  background {n}/{len(users)} ({time.perf_counter() - started:.0f} s)", flush=True)
    rollups_catch_up(budget_seconds=600)
    if connection.vendor == "postgresql":
        # Fresh planner statistics after the bulk writes (autovacuum may lag a benchmark).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return users, tracks, background


def held_out_of(user: int, artists: dict[str, int]) -> set[str]:
    names = sorted(artists)
    k = max(2, round(0.2 * len(names)))
    return set(random.Random(user).sample(names, k))
