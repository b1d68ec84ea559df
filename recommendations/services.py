"""Recommendations: the model build and the one service a client's list goes through.

The model (the catalog's arrays and the collaborative artist model) is built from the
database by `build_model` and kept in this process until the next build, here or elsewhere,
the next catalog load that writes songs (`catalog_load_version`), or, where no beat rebuilds
it, RECOMMENDATIONS_BUILD_SECONDS; `recommend` builds it on first use. A listener's own
evidence (activity, ratings, profile, seeds) is read fresh on every call, so a new like counts
at once; only what other listeners taught the model waits for the next build.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.cache import cache

from catalog.selectors.arrays import catalog_load_version, name_among, name_key
from catalog.selectors.refs import artist_keys_named, genre_key, genre_names_known, song_refs
from catalog.selectors.songs import song_get, song_list, songs_attach
from recommendations.engine import (
    ARTIST_CAP,
    BLEND,
    MOOD_TARGETS,
    CatalogArrays,
    CollaborativeModel,
    Listener,
    Weights,
    build_collaborative,
    similar_songs,
)
from recommendations.engine import recommend as engine_recommend
from recommendations.engine.signals import songs_blocked
from recommendations.selectors import (
    CatalogIndex,
    blocked_positions,
    catalog_arrays,
    listener_for,
    user_song_matrix,
)
from recommendations.snapshot import ReadCatalog, snapshot_load, snapshot_save
from users.selectors import blocks_active, profile_get

# The collaborative model the service uses: EASE, the better of the two on the Last.fm
# evaluation (bench/README.md, "Recommendations").
COLLABORATIVE_KIND = "ease"
MAX_LIMIT = 100


class RecommendationInputError(ValueError):
    """A request names a mood, seed song, artist or genre that does not exist, or a limit out
    of range; `field` is the request's field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, eq=False)
class Model:
    catalog: CatalogArrays
    index: CatalogIndex
    collaborative: CollaborativeModel | None
    built_at: float
    build_seconds: float
    # `catalog_load_version()` when the catalog was read: a later load makes the model stale.
    catalog_version: int

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
            catalog_version=self.catalog_version,
        )


_lock = threading.Lock()
_current: Model | None = None
# The catalog read for `similar_to` by a process that holds no model (it needs none).
_catalog_only: ReadCatalog | None = None
# A song loaded after this process read the catalog makes it read the catalog again, at most
# this often (a client asking about songs it does not hold must not make it re-read a million
# songs on every request).
CATALOG_REREAD_SECONDS = 60.0
# When the newest published model was built, in any process: a process whose own model is
# older builds again (a worker after `build_recommendations`), or hands the work to one that
# will; a cached list an older model made is stale (recommendations.lists).
MODEL_BUILT_KEY = "reco:model-built"
# How long the newest build took, in any process: whether a web process may build one itself.
MODEL_SECONDS_KEY = "reco:model-seconds"


def build_model(*, kind: str = COLLABORATIVE_KIND, catching_up: float | None = None) -> Model:
    """Read the catalog and every listener's signals, build the model, and make it the one
    `recommend` uses in this process. Returns it. The build is published as the newest,
    which every process's older model and every list an older model made give way to;
    unless it is `catching_up` with a build published elsewhere at that time: then it is not
    (the processes would otherwise rebuild in turn, each making the others' models stale),
    and it counts as built no earlier than that build (whatever this host's clock says)."""
    global _current, _catalog_only
    started = time.perf_counter()
    catalog_version = catalog_load_version()
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
        built_at=max(time.time(), catching_up or 0.0),
        build_seconds=time.perf_counter() - started,
        catalog_version=catalog_version,
    )
    with _lock:
        _current = model
        _catalog_only = None
    snapshot_save(
        ReadCatalog(catalog=catalog, index=index, read_at=model.built_at, catalog_version=catalog_version)
    )
    cache.set(MODEL_SECONDS_KEY, model.build_seconds, None)
    if catching_up is None:
        cache.set(MODEL_BUILT_KEY, model.built_at, None)
    return model


def model_for_songs(model: Model, song_ids: Sequence[int]) -> Model:
    """`model`, or one built now when the catalog holds a song of `song_ids` that `model` does
    not: one added since it read the catalog without a load (a Spotify find), which no other
    check makes stale. Not when `model` was built less than CATALOG_REREAD_SECONDS ago, so
    that requests naming new songs cannot keep a worker rebuilding."""
    if not song_ids or time.time() - model.built_at < CATALOG_REREAD_SECONDS:
        return model
    positions = model.index.song_positions(list(song_ids))
    missing = [song_id for song_id, at in zip(song_ids, positions, strict=True) if at < 0]
    if missing and song_refs(ids=missing):
        return build_model()
    return model


def model_build_seconds() -> float | None:
    """How long the newest build took (None before any, or when the cache lost it)."""
    return cache.get(MODEL_SECONDS_KEY)


def _model_if_fresh() -> Model | None:
    """This process's model unless a newer one was built elsewhere, a catalog load wrote songs
    after it read the catalog (whatever process ran the load: the database says), or, where no
    beat rebuilds it (the embedded default, without Redis), it is older than
    RECOMMENDATIONS_BUILD_SECONDS: what other listeners did since must reach it some time."""
    with _lock:
        model = _current
    if model is None:
        return None
    newest = cache.get(MODEL_BUILT_KEY)
    if newest is not None and newest > model.built_at:
        return None
    if not settings.REDIS_URL and time.time() - model.built_at > settings.RECOMMENDATIONS_BUILD_SECONDS:
        return None
    return model if catalog_load_version() <= model.catalog_version else None


def model_ready() -> bool:
    """Whether this process holds a model as new as the newest build (a list then costs
    milliseconds; otherwise building the model comes first)."""
    return _model_if_fresh() is not None


def model_current() -> Model:
    """The model of this process, built now if there is none yet or it is stale (see
    `_model_if_fresh`: a newer build elsewhere, a catalog load since, or its age without a
    beat). A build that catches up with one published elsewhere (this process held an older
    model, or none) is not published."""
    model = _model_if_fresh()
    if model is not None:
        return model
    newest = cache.get(MODEL_BUILT_KEY)
    with _lock:
        held = _current
    catching_up = newest is not None and (held is None or newest > held.built_at)
    return build_model(catching_up=newest if catching_up else None)


def model_forget() -> None:
    """Drop this process's model and catalog (the next use reads them again)."""
    global _current, _catalog_only
    with _lock:
        _current = None
        _catalog_only = None


def _still_serves(held: ReadCatalog, song_id: int, newest: float | None, version: int) -> bool:
    """Whether arrays read at `held.read_at` may answer for `song_id`: no model was built since
    (`newest`: the newest build's time, any process's), no load wrote songs since (`version`:
    `catalog_load_version()` now), and they hold the song or were read less than
    CATALOG_REREAD_SECONDS ago."""
    if (newest is not None and newest > held.read_at) or version > held.catalog_version:
        return False
    return held.index.song_positions([song_id])[0] >= 0 or time.time() - held.read_at < CATALOG_REREAD_SECONDS


def _catalog_current(song_id: int) -> tuple[CatalogArrays, CatalogIndex]:
    """The catalog arrays of this process's model, or of a catalog read for `similar_to` alone
    (which needs no collaborative model), read again after a newer build or when `song_id` is
    newer than them: from the snapshot another process saved when it may answer (and a
    build's time is known to bound its age), else from the database, saved for the others."""
    global _catalog_only
    model = _model_if_fresh()
    if model is not None and model.index.song_positions([song_id])[0] >= 0:
        return model.catalog, model.index
    newest = cache.get(MODEL_BUILT_KEY)
    version = catalog_load_version()
    with _lock:
        held = _catalog_only
    if held is not None and _still_serves(held, song_id, newest, version):
        return held.catalog, held.index
    held = snapshot_load() if newest is not None else None
    if held is None or not _still_serves(held, song_id, newest, version):
        read_at = time.time()
        catalog, index = catalog_arrays()
        held = ReadCatalog(catalog=catalog, index=index, read_at=read_at, catalog_version=version)
        snapshot_save(held)
    with _lock:
        _catalog_only = held
    return held.catalog, held.index


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
    catalog, index = _catalog_current(song_id)
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
        what = {"seed_songs": "song", "seed_artists": "artist", "seed_genres": "genre", "moods": "mood"}[
            field
        ]
        names = ", ".join(str(name) for name in dict.fromkeys(unknown))
        raise RecommendationInputError(field, f"Unknown {what}(s): {names}.")


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
    _refuse_unknown("moods", moods, [mood for mood in moods if mood not in MOOD_TARGETS])
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
    _refuse_unknown("moods", moods, [mood for mood in moods if mood not in MOOD_TARGETS])
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
