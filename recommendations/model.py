"""Recommendations' model: the catalog's arrays and the collaborative artist model, built from
the database by `build_model` and kept in this process until the next build, here or
elsewhere, the next catalog load that writes songs (`catalog_load_version`), or, where no beat
rebuilds it, RECOMMENDATIONS_BUILD_SECONDS. `recommendations.services` builds it on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from catalog.selectors.arrays import catalog_load_version
from catalog.selectors.refs import song_refs
from recommendations.engine import CatalogArrays, CollaborativeModel, build_collaborative
from recommendations.selectors import CatalogIndex, catalog_arrays, user_song_matrix
from recommendations.snapshot import ReadCatalog, snapshot_load, snapshot_save

# The collaborative model the service uses: EASE, the better of the two on the Last.fm
# evaluation (bench/README.md, "Recommendations").
COLLABORATIVE_KIND = "ease"


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
# How long the newest build took, in any process, and the catalog load it read
# (`{"seconds", "catalog"}`): whether a web process may build one itself.
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
    cache.set(MODEL_SECONDS_KEY, {"seconds": model.build_seconds, "catalog": catalog_version}, None)
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
    """How long the newest build took, if it read the catalog as it is now; None before any
    build, when the cache lost it, or when a load wrote songs since it read the catalog: that
    load may have made the catalog a thousand times larger, and the build's time with it."""
    timed = cache.get(MODEL_SECONDS_KEY)
    if not isinstance(timed, dict) or timed.get("catalog") != catalog_load_version():
        return None
    return float(timed["seconds"])


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


def catalog_current(song_id: int) -> tuple[CatalogArrays, CatalogIndex]:
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
