"""A listener's list: computed by a generation (recorded), kept in the cache for
RECOMMENDATIONS_CACHE_SECONDS, dropped when their signals change, a new model is built or a
catalog load writes songs.

The flow of `GET /api/recommendations/user/{id}/` (`list_for`):
1. a fresh cached list with at least `limit` items: served (the songs read anew, so their
   rating aggregates are current);
2. otherwise, when this process can compute one at once (it holds the newest model, or
   building one is quick): computed now, recorded, cached;
3. otherwise: a generation is queued and its task id returned (202); the worker computes it.

A cached entry holds song ids, scores and reasons, stamped with when the model that made it
was built, the time its computation began and the catalog's load version then. It is stale
when a newer model was published since (`model.MODEL_BUILT_KEY`: a build by the beat, or
one due to a load or to the model's age), when a catalog load wrote songs since (in any
process: the database records it), or when the listener's signals changed after that time
(`lists_mark_stale`): a like that lands while a list is being computed still makes that list
stale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from catalog.selectors.arrays import catalog_load_version
from catalog.selectors.songs import song_count_exceeds, song_list, songs_attach
from recommendations.model import (
    MODEL_BUILT_KEY,
    Model,
    build_model,
    model_build_seconds,
    model_current,
    model_for_songs,
    model_ready,
)
from recommendations.models import Generation, GenerationState
from recommendations.selectors import interest_rows
from recommendations.services import RecommendationInputError, recommend, request_check
from recommendations.spotify.client import spotify_enabled

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
# `source` of a list: every song from the catalog files a deployer loaded, or some brought
# from Spotify searches (catalog.models.SongSource).
SOURCE_CATALOG = "catalog"
SOURCE_WITH_SPOTIFY = "catalog+spotify"


def _list_key(user_id: int) -> str:
    return f"reco:list:{user_id}"


def _stale_key(user_id: int) -> str:
    return f"reco:stale:{user_id}"


@dataclass(frozen=True)
class RecommendationList:
    user_id: int
    generated_at: datetime
    source: str
    results: list[dict[str, Any]]  # {"song": Song with songs_attach's extras, "score", "reasons"}


def _materialise(
    user_id: int, generated_at: datetime, source: str, items: Sequence[dict]
) -> RecommendationList:
    """The items with their songs read now; a song deleted since is left out. No rating of
    the listener's is read: a list never holds a song they rated (rating one makes it stale)."""
    ids = [item["song"] for item in items]
    songs = {song.pk: song for song in songs_attach(song_list().filter(pk__in=ids))}
    results = [
        {"song": songs[item["song"]], "score": item["score"], "reasons": item["reasons"]}
        for item in items
        if item["song"] in songs
    ]
    return RecommendationList(user_id=user_id, generated_at=generated_at, source=source, results=results)


def _fresh_entry(user_id: int) -> dict[str, Any] | None:
    """`user_id`'s cached list, whatever its length, when it is still fresh (one cache
    round trip)."""
    key = _list_key(user_id)
    found = cache.get_many([key, MODEL_BUILT_KEY, _stale_key(user_id)])
    entry = found.get(key)
    if (
        entry is None
        or entry.get("model", 0.0) < (found.get(MODEL_BUILT_KEY) or 0.0)
        or entry["began"] <= found.get(_stale_key(user_id), 0.0)
        or entry.get("catalog") != catalog_load_version()
    ):
        return None
    return entry


def list_is_fresh(*, user_id: int) -> bool:
    return _fresh_entry(user_id) is not None


def list_cached(*, user_id: int, limit: int) -> RecommendationList | None:
    """`user_id`'s cached list cut to `limit`, or None when there is none fresh with as many
    items (one cache round trip)."""
    return _served(user_id, _fresh_entry(user_id), limit)


def _served(user_id: int, entry: dict[str, Any] | None, limit: int) -> RecommendationList | None:
    """A fresh cache entry's list cut to `limit`; None without one holding as many items."""
    if entry is None or entry["limit"] < limit:
        return None
    generated_at = datetime.fromisoformat(entry["generated_at"])
    return _materialise(user_id, generated_at, entry["source"], entry["items"][:limit])


def lists_mark_stale(*, user_id: int) -> None:
    """`user_id`'s signals changed: their cached list (and any being computed) is stale."""
    cache.set(_stale_key(user_id), time.time(), settings.RECOMMENDATIONS_CACHE_SECONDS)
    cache.delete(_list_key(user_id))


def _cache_list(generation: Generation, began: float, model: Model) -> None:
    assert generation.finished_at is not None
    entry = {
        "model": model.built_at,
        "began": began,
        "catalog": model.catalog_version,
        "limit": generation.request["limit"],
        # What steered it (seeds, moods): a longer list asked for later is steered alike.
        "steer": {key: value for key, value in generation.request.items() if key != "limit" and value},
        "generated_at": generation.finished_at.isoformat(),
        "source": generation.source,
        "items": generation.items,
    }
    cache.set(_list_key(generation.user_id), entry, settings.RECOMMENDATIONS_CACHE_SECONDS)


def generation_run(*, generation_id: int) -> Generation | None:
    """Compute the list a generation asks for, record it and cache it. Idempotent: a
    generation already finished (or deleted) is returned as it is. Errors other than the
    request's own (an unknown seed, the catalog having changed since it was checked) propagate,
    for the task to retry; `generation_fail` records the last one."""
    generation = Generation.objects.filter(pk=generation_id).first()
    if generation is None or generation.finished:
        return generation
    Generation.objects.filter(pk=generation_id).update(state=GenerationState.STARTED)
    began, started = time.time(), time.perf_counter()
    model = model_for_songs(model_current(), generation.request.get("seed_songs", []))
    try:
        items = recommend(user_id=generation.user_id, model=model, **generation.request)
    except RecommendationInputError as error:
        return generation_fail(generation_id=generation_id, error=str(error))
    generation.items = [
        {"song": item["song"].pk, "score": round(float(item["score"]), 6), "reasons": item["reasons"]}
        for item in items
    ]
    from_spotify = any(item["song"].source != "file" for item in items)
    generation.source = SOURCE_WITH_SPOTIFY if from_spotify else SOURCE_CATALOG
    generation.state = GenerationState.SUCCESS
    generation.finished_at = timezone.now()
    generation.duration_ms = round((time.perf_counter() - started) * 1000)
    generation.save(update_fields=["items", "source", "state", "finished_at", "duration_ms"])
    _cache_list(generation, began, model)
    return generation


def generation_fail(*, generation_id: int, error: str) -> Generation | None:
    """Record that a generation failed for good (shown to the client who polls it)."""
    Generation.objects.filter(pk=generation_id).exclude(state=GenerationState.SUCCESS).update(
        state=GenerationState.FAILURE, error=error[:2000], finished_at=timezone.now()
    )
    return Generation.objects.filter(pk=generation_id).first()


def _enqueue(generation_id: int, countdown: float) -> None:
    # Imported here: the task module imports this one.
    from recommendations.tasks import generate_task

    try:
        generate_task.apply_async((generation_id,), countdown=countdown)
    except Exception as error:  # a dead broker: the client must not poll forever
        logger.warning("could not queue generation %s: %s", generation_id, error)
        generation_fail(generation_id=generation_id, error="The background queue is unavailable; try again.")


def _discover(user_id: int) -> None:
    from recommendations.spotify.tasks import spotify_discover

    try:
        spotify_discover.delay(user_id)
    except Exception as error:  # the list does not depend on it
        logger.warning("could not queue a Spotify search for user %s: %s", user_id, error)


def generation_start(
    *,
    user_id: int,
    limit: int = DEFAULT_LIMIT,
    seed_genres: Sequence[str] = (),
    seed_artists: Sequence[str] = (),
    seed_songs: Sequence[int] = (),
    moods: Sequence[str] = (),
    discover: bool = False,
    countdown: float = 0.0,
    asker_id: int | None = None,
) -> Generation:
    """Check a request (RecommendationInputError names the field at fault), record it and
    queue its computation once the record is committed. Returns the generation as it stands
    after that (already finished where tasks run in-process). With `discover` and Spotify on,
    also queue a search of Spotify on the listener's favourites: the songs it brings into the
    catalog count from the next model build on (this list is not held up by Spotify). `countdown`:
    seconds the computation waits in the queue (the beat's refresh spreads its work).
    `asker_id`: the user who asked (None: the listener, or nobody), the one who may poll it."""
    asked: dict[str, Any] = {
        "limit": limit,
        "seed_genres": list(seed_genres),
        "seed_artists": list(seed_artists),
        "seed_songs": list(seed_songs),
        "moods": list(moods),
    }
    request_check(**asked)
    with transaction.atomic():
        generation = Generation.objects.create(
            user_id=user_id,
            asked_by_id=_asked_by(user_id, asker_id),
            request=asked,
            due_at=timezone.now() + timedelta(seconds=countdown),
        )
        transaction.on_commit(lambda: _enqueue(generation.pk, countdown), robust=True)
        if discover and spotify_enabled():
            transaction.on_commit(lambda: _discover(user_id), robust=True)
    generation.refresh_from_db()
    return generation


def _computes_fast() -> bool:
    """Whether this process can answer in the request: it holds the newest model, or the last
    build was quick (the collaborative fit grows with the cube of the artists listened to, so
    the catalog's size alone does not say), or, with no build timed on the catalog as it is
    (none yet, or a load wrote songs since: `model_build_seconds`), the catalog is small."""
    if model_ready():
        return True
    seconds = model_build_seconds()
    if seconds is not None:
        return seconds <= settings.RECOMMENDATIONS_SYNC_BUILD_SECONDS
    return not song_count_exceeds(settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS)


# A GET that finds its list still being computed for an earlier GET polls that computation
# rather than queue another, as long as it was due to start this recently.
QUEUED_REUSE = timedelta(minutes=10)
GIVEN_UP = "The computation did not finish in time (its worker may have stopped): ask for the list again."


def generation_given_up(generation: Generation) -> bool:
    """Whether `generation`, not finished, was due to start (`Generation.due_at`) longer than
    QUEUED_REUSE ago: a task runs at most CELERY_TASK_TIME_LIMIT, so its worker stopped before
    finishing (Redis hands the task out again only after the visibility timeout, an hour) or
    the queue is that far behind. A GET then queues another (`_queued_for`), and the poller is
    told to ask again rather than see `started` for an hour."""
    return not generation.finished and generation.due_at <= timezone.now() - QUEUED_REUSE


def _stale_since(user_id: int) -> datetime | None:
    """When `user_id`'s signals last changed, as far as the cache remembers."""
    marked = cache.get(_stale_key(user_id))
    return None if marked is None else datetime.fromtimestamp(marked, tz=UTC)


def _asked_by(user_id: int, asker_id: int | None) -> int | None:
    """Generation.asked_by for a request of `asker_id` for `user_id`'s list."""
    return None if asker_id == user_id else asker_id


def _queued_for(user_id: int, size: int, steer: dict[str, Any], asked_by: int | None) -> Generation | None:
    """A computation of `user_id`'s list steered by `steer` (seeds, moods; none: their plain
    list), of at least `size` songs, not finished, due lately but not later than now (never one
    the beat queued to start up to an hour on), queued since their signals last changed: GETs
    must not flood the queue, nor wait for a list made without a new rating. Only one
    `asked_by` asked for: the task it answers with must be one its asker may poll."""
    now = timezone.now()
    recent = Generation.objects.filter(
        user_id=user_id,
        asked_by_id=asked_by,
        state__in=[GenerationState.PENDING, GenerationState.STARTED],
        due_at__gt=now - QUEUED_REUSE,
        due_at__lte=now,
    )
    stale_since = _stale_since(user_id)
    if stale_since is not None:
        recent = recent.filter(created_at__gt=stale_since)
    wanted: dict[str, list] = {"seed_genres": [], "seed_artists": [], "seed_songs": [], "moods": [], **steer}
    for generation in recent.order_by("-created_at")[:5]:
        asked = generation.request
        if asked.get("limit", 0) >= size and all(
            asked.get(key, []) == value for key, value in wanted.items()
        ):
            return generation
    return None


def _steer_of(entry: dict[str, Any] | None) -> dict[str, Any]:
    """What steered a fresh cached list (a refresh's seeds and moods; none: the plain list):
    a longer list a GET asks for is steered alike, and why-not explains that list. None when a
    seed is no longer in the catalog: the listener's own list then."""
    steer: dict[str, Any] = entry.get("steer", {}) if entry is not None else {}
    if not steer:
        return steer
    try:
        request_check(limit=DEFAULT_LIMIT, **steer)
    except RecommendationInputError:
        return {}
    return steer


def list_steer(*, user_id: int) -> dict[str, Any]:
    """The seeds and moods that steer the list a GET of `user_id`'s serves (`_steer_of`)."""
    return _steer_of(_fresh_entry(user_id))


def list_for(*, user_id: int, limit: int, asker_id: int | None = None) -> RecommendationList | Generation:
    """`user_id`'s list of `limit` songs (see the module's docstring), or the generation
    queued to compute it, which `asker_id` (None: the listener) may poll."""
    entry = _fresh_entry(user_id)
    cached = _served(user_id, entry, limit)
    if cached is not None:
        return cached
    size = max(limit, DEFAULT_LIMIT)
    steer = _steer_of(entry)
    asked_by = _asked_by(user_id, asker_id)
    if _computes_fast():
        generation = Generation.objects.create(
            user_id=user_id, asked_by_id=asked_by, request={"limit": size, **steer}
        )
        generation = generation_run(generation_id=generation.pk) or generation
    else:
        generation = _queued_for(user_id, size, steer, asked_by) or generation_start(
            user_id=user_id, limit=size, asker_id=asker_id, **steer
        )
    if generation.state != GenerationState.SUCCESS:
        return generation
    return generation_list(generation, limit=limit)


def generation_list(generation: Generation, *, limit: int | None = None) -> RecommendationList:
    """A successful generation's list (its songs read now). When the listener's signals
    changed after it was asked for (a task polled after a rating), the songs now in their
    history are left out: a list never holds a song they rated, skipped or played."""
    assert generation.finished_at is not None
    items = generation.items
    stale_since = _stale_since(generation.user_id)
    if stale_since is not None and stale_since >= generation.created_at:
        history = set(interest_rows(user_id=generation.user_id).song_ids.tolist())
        items = [item for item in items if item["song"] not in history]
    items = items if limit is None else items[:limit]
    return _materialise(generation.user_id, generation.finished_at, generation.source, items)


def generations_prune(*, now: datetime | None = None) -> int:
    """Delete generations older than RECOMMENDATIONS_KEEP_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RECOMMENDATIONS_KEEP_DAYS)
    deleted, _ = Generation.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@dataclass(frozen=True)
class Build:
    songs: int
    listeners: int
    seconds: float
    pruned: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recommendations_build() -> Build:
    """Rebuild the model from the catalog and every listener's signals and publish it (every
    cached list an older model made is then stale), and prune old generations."""
    model = build_model()
    listeners = 0 if model.collaborative is None else len(model.collaborative.user_ids)
    return Build(
        songs=model.catalog.size,
        listeners=listeners,
        seconds=round(model.build_seconds, 3),
        pruned=generations_prune(),
    )
