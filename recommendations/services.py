"""Recommendations: the model build and the one service a client's list goes through.

The model (the catalog's arrays and the collaborative artist model) is built from the
database by `build_model` and kept in this process until the next build; `recommend` builds
it on first use. A listener's own evidence (activity, ratings, profile, seeds) is read fresh
on every call, so a new like counts at once; only what other listeners taught the model
waits for the next build.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog.selectors.arrays import name_key
from catalog.selectors.songs import song_list, songs_attach
from recommendations.engine import (
    ARTIST_CAP,
    BLEND,
    MOOD_TARGETS,
    CatalogArrays,
    CollaborativeModel,
    Weights,
    build_collaborative,
)
from recommendations.engine import recommend as engine_recommend
from recommendations.selectors import (
    CatalogIndex,
    catalog_arrays,
    listener_for,
    user_song_matrix,
)
from users.selectors import profile_get

# The collaborative model the service uses: EASE, the better of the two on the Last.fm
# evaluation (bench/README.md, "Recommendations").
COLLABORATIVE_KIND = "ease"
MAX_LIMIT = 100


class RecommendationInputError(ValueError):
    """A request names a mood, seed song, artist or genre that does not exist."""


@dataclass(frozen=True, eq=False)
class Model:
    catalog: CatalogArrays
    index: CatalogIndex
    collaborative: CollaborativeModel | None
    built_at: float
    build_seconds: float

    def excluding(self, user_id: int) -> Model:
        """This model as if `user_id`'s signals had not been part of its build (evaluation)."""
        if self.collaborative is None:
            return self
        return Model(
            catalog=self.catalog,
            index=self.index,
            collaborative=self.collaborative.excluding(user_id),
            built_at=self.built_at,
            build_seconds=self.build_seconds,
        )


_lock = threading.Lock()
_current: Model | None = None


def build_model(*, kind: str = COLLABORATIVE_KIND) -> Model:
    """Read the catalog and every listener's signals, build the model, and make it the one
    `recommend` uses in this process. Returns it."""
    global _current
    started = time.perf_counter()
    catalog, index = catalog_arrays()
    user_ids, user_songs = user_song_matrix(catalog, index)
    collaborative = (
        build_collaborative(
            user_ids=user_ids, user_songs=user_songs, song_artists=catalog.song_artists, kind=kind
        )
        if len(user_ids)
        else None
    )
    model = Model(
        catalog=catalog,
        index=index,
        collaborative=collaborative,
        built_at=time.time(),
        build_seconds=time.perf_counter() - started,
    )
    with _lock:
        _current = model
    return model


def model_current() -> Model:
    """The model of this process, built now if there is none yet."""
    with _lock:
        model = _current
    return model if model is not None else build_model()


def model_forget() -> None:
    """Drop this process's model (the next `recommend` rebuilds it)."""
    global _current
    with _lock:
        _current = None


def _resolve_names(names: Sequence[str], table: dict[str, int], what: str) -> list[int]:
    keys = [name_key(name) for name in names]
    unknown = [name for name, key in zip(names, keys, strict=True) if key not in table]
    if unknown:
        raise RecommendationInputError(f"Unknown {what}: {', '.join(unknown)}.")
    return [table[key] for key in keys]


def _resolve_songs(song_ids: Sequence[int], index: CatalogIndex) -> list[int]:
    positions = index.song_positions(list(song_ids))
    unknown = [str(song_id) for song_id, at in zip(song_ids, positions, strict=True) if at < 0]
    if unknown:
        raise RecommendationInputError(f"Unknown seed song(s): {', '.join(unknown)}.")
    return [int(at) for at in positions]


def _known_only(names: Sequence[str], table: dict[str, int]) -> list[int]:
    """A profile's names that the catalog holds (a profile is free text: others are ignored)."""
    return [table[key] for key in (name_key(name) for name in names) if key in table]


def recommend(
    *,
    user_id: int,
    limit: int = 20,
    seed_genres: Sequence[str] = (),
    seed_artists: Sequence[str] = (),
    seed_songs: Sequence[int] = (),
    moods: Sequence[str] = (),
    weights: Weights = BLEND,
    model: Model | None = None,
) -> list[dict[str, Any]]:
    """Up to `limit` (1..MAX_LIMIT) songs for `user_id`, best first: `{song, score, reasons}`
    with `song` as `songs_attach` returns it. Never a song the user rated, skipped, played,
    liked or shared, nor a seed song, nor a song twice. Seeds and moods add to the profile's
    genres, artists and moods (request moods replace the profile's). Raises
    RecommendationInputError for an unknown mood, seed song, artist or genre. `weights` and
    `model` are for the evaluation (bench/reco_eval.py); clients use the defaults."""
    if not 1 <= limit <= MAX_LIMIT:
        raise RecommendationInputError(f"limit must be between 1 and {MAX_LIMIT}.")
    unknown_moods = [mood for mood in moods if mood not in MOOD_TARGETS]
    if unknown_moods:
        raise RecommendationInputError(f"Unknown mood(s): {', '.join(unknown_moods)}.")
    model = model or model_current()
    index = model.index
    profile = profile_get(user_id=user_id)
    favourite_genres = profile.favorite_genres if profile else []
    favourite_artists = profile.favorite_artists if profile else []
    profile_moods = profile.moods if profile else []
    seeds = _resolve_songs(seed_songs, index)
    listener = listener_for(
        user_id=user_id,
        index=index,
        genres=_known_only(favourite_genres, index.genre_by_name)
        + _resolve_names(seed_genres, index.genre_by_name, "genre(s)"),
        artists=_known_only(favourite_artists, index.artist_by_key)
        + _resolve_names(seed_artists, index.artist_by_key, "artist(s)"),
        seed_songs=seeds,
        moods=tuple(moods) or tuple(m for m in profile_moods if m in MOOD_TARGETS),
    )
    items = engine_recommend(
        catalog=model.catalog,
        listener=listener,
        model=model.collaborative,
        limit=limit,
        weights=weights,
        artist_cap=ARTIST_CAP,
    )
    ids = [int(model.catalog.song_ids[item.song]) for item in items]
    songs = {song.pk: song for song in songs_attach(song_list().filter(pk__in=ids), viewer_id=user_id)}
    return [
        {"song": songs[song_id], "score": item.score, "reasons": list(item.reasons)}
        for song_id, item in zip(ids, items, strict=True)
        if song_id in songs
    ]
