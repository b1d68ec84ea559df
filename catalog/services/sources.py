"""Songs from an outside source (Spotify): the details a song file did not give, and songs
no file had.

The catalog file a deployer loads is the authority: a source only fills what a song lacks
(an album, popularity, explicit, credits, genres) and never overwrites a value, so running
any of these twice, or after a re-load, gives the same catalog. Artists and genres are
matched, and created, by their normalised name (`catalog.naming.name_key`), as the loader
does. Songs a source brings have no audio features (AUDIO_FEATURE_FIELDS are null) and say
where they came from (`Song.source`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from catalog.loading.columns import INT32_MAX, MAX_NAMES
from catalog.models import Artist, Genre, Song, SongArtist, SongGenre
from catalog.models import SongSource as SongSource
from catalog.naming import name_key
from catalog.song_locks import songs_lock_for_row_writes

_FILLED_FIELDS = ("album", "popularity", "explicit")
_TITLE_LENGTH = Song._meta.get_field("title").max_length or 0
_ALBUM_LENGTH = Song._meta.get_field("album").max_length or 0
_ARTIST_LENGTH = Artist._meta.get_field("name").max_length or 0
_GENRE_LENGTH = Genre._meta.get_field("name").max_length or 0


@dataclass(frozen=True, slots=True)
class SourceSong:
    """A song as an outside source describes it, its values already within the Song
    model's bounds (the caller's parser bounds them). `artist_names` in credit order."""

    spotify_id: str
    title: str
    artist_names: tuple[str, ...] = ()
    album: str | None = None
    popularity: int | None = None
    explicit: bool | None = None
    duration_ms: int | None = None
    genre_names: tuple[str, ...] = ()

    @classmethod
    def bounded(
        cls,
        *,
        spotify_id: str,
        title: str,
        artist_names: Sequence[str] = (),
        album: str | None = None,
        popularity: int | None = None,
        explicit: bool | None = None,
        duration_ms: int | None = None,
        genre_names: Sequence[str] = (),
    ) -> SourceSong:
        """A SourceSong within the model's bounds, whatever the source sent: texts cut to
        their column's length, numbers out of their column's range dropped (null)."""
        return cls(
            spotify_id=spotify_id,
            title=title[:_TITLE_LENGTH],
            artist_names=tuple(name[:_ARTIST_LENGTH] for name in artist_names[:MAX_NAMES]),
            album=album[:_ALBUM_LENGTH] if album else None,
            popularity=_within(popularity, 0, 100),
            explicit=explicit if isinstance(explicit, bool) else None,
            duration_ms=_within(duration_ms, 1, INT32_MAX),
            genre_names=tuple(name[:_GENRE_LENGTH] for name in genre_names[:MAX_NAMES]),
        )


def _within(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


@dataclass(frozen=True, slots=True)
class SourceSongsAdded:
    created: list[int]
    existing: list[int]


def song_details_fill(*, song_id: int, details: SourceSong | None) -> bool:
    """Fill what song `song_id` lacks from `details` (album, popularity and explicit when
    null; its credits when it has none) and record that the source was asked
    (`spotify_checked_at`); `details` None means the source does not know the song, which is
    recorded too. True when anything was filled; False as well for an unknown `song_id`."""
    with transaction.atomic():
        songs_lock_for_row_writes()
        song = Song.objects.select_for_update().filter(pk=song_id).first()
        if song is None:
            return False
        filled = details is not None and _fill(song, details)
        Song.objects.filter(pk=song_id).update(spotify_checked_at=timezone.now())
    return filled


def songs_add_from_source(*, songs: Sequence[SourceSong], source: SongSource) -> SourceSongsAdded:
    """Add the songs of `songs` the catalog lacks (matched on spotify_id; a song without a
    duration is skipped: the model requires one), without audio features, with their
    credits and genres; fill the gaps of those it has (as `song_details_fill`, genres only
    where a song has none). Safe alongside another call adding the same songs."""
    wanted = {song.spotify_id: song for song in songs if song.duration_ms}
    with transaction.atomic():
        songs_lock_for_row_writes()
        before = dict(Song.objects.filter(spotify_id__in=wanted).values_list("spotify_id", "id"))
        Song.objects.bulk_create(
            [_new_song(song, source) for spotify_id, song in wanted.items() if spotify_id not in before],
            ignore_conflicts=True,
        )
        rows = Song.objects.select_for_update().filter(spotify_id__in=wanted).order_by("id")
        created: list[int] = []
        existing: list[int] = []
        for row in rows:
            details = wanted[row.spotify_id]
            _fill(row, details)
            _genres_fill(row.pk, details.genre_names)
            (existing if row.spotify_id in before else created).append(row.pk)
    return SourceSongsAdded(created=created, existing=existing)


def _new_song(song: SourceSong, source: SongSource) -> Song:
    assert song.duration_ms is not None, "songs without a duration are skipped before"
    return Song(
        spotify_id=song.spotify_id,
        title=song.title,
        album=song.album,
        popularity=song.popularity,
        explicit=song.explicit,
        duration_ms=song.duration_ms,
        source=source,
        spotify_checked_at=timezone.now(),
    )


def _fill(song: Song, details: SourceSong) -> bool:
    """Fill `song`'s null fields and missing credits from `details`. Precondition: inside a
    transaction holding `song`'s row lock, so two fills cannot both see it bare."""
    values = {
        field: getattr(details, field)
        for field in _FILLED_FIELDS
        if getattr(song, field) is None and getattr(details, field) is not None
    }
    credited = False
    if details.artist_names and not SongArtist.objects.filter(song_id=song.pk).exists():
        artist_ids = _ids_by_name(Artist, details.artist_names)
        SongArtist.objects.bulk_create(
            [
                SongArtist(song_id=song.pk, artist_id=artist_id, position=i)
                for i, artist_id in enumerate(artist_ids)
            ],
            ignore_conflicts=True,
        )
        credited = bool(artist_ids)
    if values or credited:
        Song.objects.filter(pk=song.pk).update(**values, updated_at=Now())
    return bool(values) or credited


def _genres_fill(song_id: int, genre_names: Sequence[str]) -> None:
    if not genre_names or SongGenre.objects.filter(song_id=song_id).exists():
        return
    SongGenre.objects.bulk_create(
        [SongGenre(song_id=song_id, genre_id=genre_id) for genre_id in _ids_by_name(Genre, genre_names)],
        ignore_conflicts=True,
    )


def _ids_by_name(model: type[Artist] | type[Genre], names: Sequence[str]) -> list[int]:
    """The ids of the artists (or genres) named, in the order first named, one per
    normalised name, the missing ones created; blank names are dropped."""
    spellings: dict[str, str] = {}
    for name in names:
        key = name_key(name)
        if key:
            spellings.setdefault(key, " ".join(name.split()))
    key_field = "name_key" if model is Artist else "name"
    ids = dict(model.objects.filter(**{f"{key_field}__in": spellings}).values_list(key_field, "id"))
    missing = [key for key in spellings if key not in ids]
    if missing:
        if model is Artist:
            Artist.objects.bulk_create(
                [Artist(name=spellings[key], name_key=key) for key in missing], ignore_conflicts=True
            )
        else:
            Genre.objects.bulk_create([Genre(name=key) for key in missing], ignore_conflicts=True)
        ids.update(model.objects.filter(**{f"{key_field}__in": missing}).values_list(key_field, "id"))
    return [ids[key] for key in spellings]
