"""Importing a listening history (ListenBrainz listens) as `play` events.

Each listen is matched to a catalog song by artist and title (`catalog.selectors.match`);
matched listens are stored through `activity_record` in batches of BATCH, each with an
`event_id` derived from the listen itself (`listen_event_id`), so importing the same file
again stores nothing new: its listens come back as duplicates. Listens that match no song
are counted and dropped. Each batch commits on its own: an import that fails midway has
stored some batches, and running it again stores the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from analytics.models import Action
from analytics.services.events import EventIn
from analytics.services.ingest import activity_record
from analytics.services.retention import retention_cutoff
from catalog.selectors.match import song_name_key, songs_match

BATCH = 500
SOURCE = "listenbrainz"


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen of a history: unix seconds, the artist's and the track's names as given."""

    listened_at: int
    artist: str
    title: str
    recording_msid: str | None

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.listened_at, tz=dt.UTC)


@dataclass(frozen=True)
class Imported:
    # Listens matched to a song: stored now, or already stored (duplicates).
    matched: int
    # Listens that matched no song: not stored.
    unmatched: int
    # Matched listens already stored for this user (an earlier import, or twice in the file).
    duplicates: int
    # Listens from before the retention's cutoff (ANALYTICS_RETENTION_MONTHS): not stored,
    # as retention would drop them with their event ids while the rollups kept their counts,
    # and importing them again would count them twice.
    too_old: int = 0
    # Stamped on the events this import stored (their context's `import`): what marks the
    # whole import as kept out of the user's taste later (analytics.services.exclusions).
    import_id: str = ""

    @property
    def stored(self) -> int:
        return self.matched - self.duplicates


def listen_event_id(listen: Listen) -> str:
    """The event id of an imported listen: its time and a hash of its artist and title under
    `song_name_key`, so the same listen gets the same id however the file spells its case or
    spaces, and whichever song it matches. At most 3 + 10 + 1 + 24 characters."""
    names = song_name_key(listen.artist, listen.title).encode()
    return f"lb:{listen.listened_at}:{hashlib.sha256(names).hexdigest()[:24]}"


def import_id_of(listens: Sequence[Listen]) -> str:
    """An import's id: a hash of its listens' event ids, so that the same history imported
    again, or twice at once, has one id, which names the events it stored (a new id each
    time named nothing on a second import, and split concurrent ones)."""
    ids = "\n".join(sorted({listen_event_id(listen) for listen in listens}))
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def listens_import(
    *,
    user_id: int,
    listens: Sequence[Listen],
    excluded: bool = False,
    progress: Callable[[], object] | None = None,
) -> Imported:
    """Store `listens` as `user_id`'s plays (see the module), kept out of their taste if
    `excluded`; returns the counts and the import's id (`import_id_of`). `progress` is
    called once the listens are matched, then after each batch stored (a web request's
    heartbeat: a large file takes seconds)."""
    import_id = import_id_of(listens)
    cutoff = retention_cutoff(now=timezone.now())
    kept = [listen for listen in listens if cutoff is None or listen.moment >= cutoff]
    too_old = len(listens) - len(kept)
    listens = kept
    matches = songs_match({(listen.artist, listen.title) for listen in listens})
    if progress is not None:
        progress()
    events = []
    for listen in listens:
        song_id = matches.get((listen.artist, listen.title))
        if song_id is None:
            continue
        context = {"source": SOURCE, "import": import_id}
        if listen.recording_msid:
            context["recording_msid"] = listen.recording_msid
        events.append(
            EventIn(
                song_id=song_id,
                action=Action.PLAY,
                occurred_at=listen.moment,
                event_id=listen_event_id(listen),
                context=context,
                excluded=excluded,
            )
        )
    duplicates = 0
    for start in range(0, len(events), BATCH):
        duplicates += activity_record(user_id=user_id, events=events[start : start + BATCH]).duplicates
        if progress is not None:
            progress()
    return Imported(
        matched=len(events),
        unmatched=len(listens) - len(events),
        duplicates=duplicates,
        too_old=too_old,
        import_id=import_id,
    )
