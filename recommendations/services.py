"""Recommendations: the services a client's list, similar songs and feedback go through.

The model they use (`recommendations.model`) is built on first use and kept until it is
stale. A listener's own evidence (activity, ratings, profile, seeds) is read fresh on every
call, so a new like counts at once; only what other listeners taught the model waits for the
next build.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction

from catalog.selectors.arrays import name_among, name_key
from catalog.selectors.refs import artist_keys_named, genre_key, genre_names_known, song_refs
from catalog.selectors.songs import song_get, song_list, songs_attach
from music_discovery.signals import signals_changed
from recommendations.engine import (
    ARTIST_CAP,
    BLEND,
    MOOD_TARGETS,
    CatalogArrays,
    Listener,
    Weights,
    similar_songs,
)
from recommendations.engine import recommend as engine_recommend
from recommendations.engine.signals import songs_blocked
from recommendations.model import Model, catalog_current, model_current
from recommendations.models import Feedback
from recommendations.selectors import CatalogIndex, blocked_positions, listener_for
from users.selectors import blocks_active, profile_get
from users.services import unknown_moods_message

MAX_LIMIT = 100


class RecommendationInputError(ValueError):
    """A request names a mood, seed song, artist or genre that does not exist, or a limit out
    of range; `field` is the request's field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _blocked_positions(
    catalog: CatalogArrays, index: CatalogIndex, viewer_id: int | None
) -> npt.NDArray[np.int64]:
    """The songs `viewer_id` has blocked, by song, artist or genre, as positions."""
    blocks = blocks_active(user_id=viewer_id)
    if not blocks:
        return np.zeros(0, np.int64)
    blocked = blocked_positions(index, blocks)
    return songs_blocked(catalog, blocked.songs, blocked.artists, blocked.genres)


SIMILAR_DEFAULT_LIMIT = 10
SIMILAR_MAX_LIMIT = 50


def similar_to(
    *, song_id: int, limit: int = SIMILAR_DEFAULT_LIMIT, viewer_id: int | None = None
) -> list[dict]:
    """The `limit` songs (at most SIMILAR_MAX_LIMIT) that sound most like `song_id`
    (`recommendations.engine.sound_similarity`), best first: `{song, score}` with `song` as
    `songs_attach` returns it. Raises Http404 for an unknown song; none for a song without
    audio features."""
    song_get(song_id=song_id)  # Http404 for an unknown id
    catalog, index = catalog_current(song_id)
    position = int(index.song_positions([song_id])[0])
    if position < 0:
        return []
    nearest = similar_songs(
        catalog,
        position,
        max(1, min(limit, SIMILAR_MAX_LIMIT)),
        exclude=_blocked_positions(catalog, index, viewer_id),
    )
    ids = [int(catalog.song_ids[at]) for at, _ in nearest]
    songs = {song.pk: song for song in songs_attach(song_list().filter(pk__in=ids), viewer_id=viewer_id)}
    return [
        {"song": songs[song_id], "score": round(score, 6)}
        for song_id, (_, score) in zip(ids, nearest, strict=True)
        if song_id in songs
    ]


def _refuse_unknown(field: str, asked: Sequence[object], unknown: Sequence[object]) -> None:
    if unknown:
        what = {"seed_songs": "song", "seed_artists": "artist", "seed_genres": "genre"}[field]
        names = ", ".join(str(name) for name in dict.fromkeys(unknown))
        raise RecommendationInputError(field, f"Unknown {what}(s): {names}.")


def _refuse_unknown_moods(moods: Sequence[str]) -> None:
    # In the profile's words (users.services), which list the allowed moods.
    unknown = [mood for mood in moods if mood not in MOOD_TARGETS]
    if unknown:
        raise RecommendationInputError("moods", unknown_moods_message(unknown))


def _resolve_names(
    field: str, names: Sequence[str], table: dict[str, int], keys: Sequence[str] | None = None
) -> list[int]:
    """The positions of `names` (their `keys`, name_key by default) in `table`; raises
    RecommendationInputError for one it lacks."""
    keys = [name_key(name) for name in names] if keys is None else keys
    _refuse_unknown(field, names, [name for name, key in zip(names, keys, strict=True) if key not in table])
    return [table[key] for key in keys]


def _resolve_songs(song_ids: Sequence[int], index: CatalogIndex) -> list[int]:
    positions = index.song_positions(list(song_ids))
    _refuse_unknown("seed_songs", song_ids, [s for s, at in zip(song_ids, positions, strict=True) if at < 0])
    return [int(at) for at in positions]


def request_check(
    *,
    limit: int,
    seed_genres: Sequence[str] = (),
    seed_artists: Sequence[str] = (),
    seed_songs: Sequence[int] = (),
    moods: Sequence[str] = (),
) -> None:
    """Refuse (RecommendationInputError) what `recommend` would refuse, from the database
    rather than the model: a request is checked before it is queued, in a process that may
    hold no model."""
    if not 1 <= limit <= MAX_LIMIT:
        raise RecommendationInputError("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    _refuse_unknown_moods(moods)
    known_songs = {ref.id for ref in song_refs(ids=seed_songs)}
    _refuse_unknown("seed_songs", seed_songs, [s for s in seed_songs if s not in known_songs])
    artists = artist_keys_named(seed_artists)
    _refuse_unknown("seed_artists", seed_artists, [a for a in seed_artists if a not in artists])
    keys = [genre_key(name) for name in seed_genres]
    genres = genre_names_known(keys)
    _refuse_unknown(
        "seed_genres", seed_genres, [g for g, k in zip(seed_genres, keys, strict=True) if k not in genres]
    )


def _genre_names(texts: Sequence[str], table: dict[str, int]) -> list[str]:
    """The genre each text names among the model's (`name_among`: `hip hop` is `hip-hop`),
    else the text itself, which then names none."""
    return [name_among(text, table) or text for text in texts]


def _known_only(names: Sequence[str], table: dict[str, int], keys: Sequence[str] | None = None) -> list[int]:
    """A profile's names (their `keys`, name_key by default) that the catalog holds (a
    profile is free text: others are ignored)."""
    keys = [name_key(name) for name in names] if keys is None else keys
    return [table[key] for key in keys if key in table]


def _artist_keys(names: Sequence[str], table: dict[str, int]) -> list[str]:
    """Each of a user's artist names as the key of the artist it names
    (`artist_keys_named`: `beyonce` names Beyoncé), else its own name_key."""
    named = artist_keys_named(names, known=table.keys())
    return [named.get(name, name_key(name)) for name in names]


def listener_of(
    *,
    user_id: int,
    model: Model,
    seed_genres: Sequence[str] = (),
    seed_artists: Sequence[str] = (),
    seed_songs: Sequence[int] = (),
    moods: Sequence[str] = (),
) -> Listener:
    """`user_id`'s evidence for `model`: their signals, profile, moods and blocks; or, when
    the request names seeds, the seeds in place of their signals and profile favourites (a
    list steered by them, as a new listener who named only them would get it), their history
    still left out of it. Raises RecommendationInputError for an unknown seed."""
    index = model.index
    asked = bool(seed_genres or seed_artists or seed_songs)
    profile = profile_get(user_id=user_id)
    favourite_genres = profile.favorite_genres if profile and not asked else []
    favourite_artists = profile.favorite_artists if profile and not asked else []
    profile_moods = profile.moods if profile else []
    # The profile's artists and the seeds, named in one lookup (`_artist_keys`).
    artist_keys = _artist_keys([*favourite_artists, *seed_artists], index.artist_by_key)
    favourite_keys, seed_keys = artist_keys[: len(favourite_artists)], artist_keys[len(favourite_artists) :]
    return listener_for(
        user_id=user_id,
        index=index,
        genres=_known_only(_genre_names(favourite_genres, index.genre_by_name), index.genre_by_name)
        + _resolve_names("seed_genres", _genre_names(seed_genres, index.genre_by_name), index.genre_by_name),
        artists=_known_only(favourite_artists, index.artist_by_key, favourite_keys)
        + _resolve_names("seed_artists", seed_artists, index.artist_by_key, seed_keys),
        seed_songs=_resolve_songs(seed_songs, index),
        moods=tuple(moods) or tuple(m for m in profile_moods if m in MOOD_TARGETS),
        blocks=blocks_active(user_id=user_id),
        asked=asked,
    )


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
    liked or shared, nor a seed song, nor a song twice. Seeds, when given, stand for the
    listener's signals and profile favourites (`listener_of`); request moods replace the
    profile's. Raises
    RecommendationInputError for an unknown mood, seed song, artist or genre. `weights` and
    `model` are for the evaluation (bench/reco_eval.py); clients use the defaults."""
    if not 1 <= limit <= MAX_LIMIT:
        raise RecommendationInputError("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    _refuse_unknown_moods(moods)
    model = model or model_current()
    listener = listener_of(
        user_id=user_id,
        model=model,
        seed_genres=seed_genres,
        seed_artists=seed_artists,
        seed_songs=seed_songs,
        moods=moods,
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
    # No viewer: a list never holds a song its listener rated, so there is no rating to read.
    songs = {song.pk: song for song in songs_attach(song_list().filter(pk__in=ids))}
    return [
        {"song": songs[song_id], "score": item.score, "reasons": list(item.reasons)}
        for song_id, item in zip(ids, items, strict=True)
        if song_id in songs
    ]


def feedback_give(*, user_id: int, song_id: int, kind: str) -> Feedback:
    """Record `user_id`'s word on a song (replacing an earlier one); their next list takes it
    into account and no longer holds the song."""
    if not song_refs(ids=[song_id]):
        raise RecommendationInputError("song", f"No song has id {song_id}.")
    with transaction.atomic():
        feedback, _ = Feedback.objects.update_or_create(
            user_id=user_id, song_id=song_id, defaults={"kind": kind}
        )
        signals_changed(user_id=user_id)
    return feedback
