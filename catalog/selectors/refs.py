"""Resolving songs named by id or Spotify id, and artists and genres named by name, for apps
that record or ask about them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Q

from catalog.models import Artist, Genre, Song
from catalog.naming import name_among
from catalog.naming import name_key as name_key  # the one rule of names, for other apps
from catalog.selectors.lookups import InList
from catalog.selectors.search_accents import accented_texts
from catalog.selectors.search_text import normalize_query


@dataclass(frozen=True, slots=True)
class SongRef:
    id: int
    spotify_id: str
    duration_ms: int


def song_refs(*, ids: Collection[int] = (), spotify_ids: Collection[str] = ()) -> list[SongRef]:
    """The songs among `ids` and `spotify_ids` that exist, in one query; absent ones are
    simply not in the answer."""
    if not ids and not spotify_ids:
        return []
    rows = Song.objects.filter(
        Q(InList(F("id"), list(ids))) | Q(InList(F("spotify_id"), list(spotify_ids)))
    ).values_list("id", "spotify_id", "duration_ms")
    return [SongRef(*row) for row in rows]


def artist_keys_known(keys: Collection[str]) -> set[str]:
    """Those of the normalised names `keys` (`catalog.naming.name_key`) that name an artist."""
    return (
        set(Artist.objects.filter(name_key__in=list(keys)).values_list("name_key", flat=True))
        if keys
        else set()
    )


def artist_keys_named(names: Sequence[str], *, known: Collection[str] = frozenset()) -> dict[str, str]:
    """name -> the normalised name (`name_key`) of the artist that a user's `name` names:
    its own when `known` (a model's keys) holds it or an artist has it, else the first of
    its forms accented as artists' names are (as the artist search finds them: `beyonce`
    names Beyoncé) that an artist has. Names naming none are left out. Three queries at
    most, none when `known` holds every name."""
    keys = {name: name_key(name) for name in names}
    named = {name: key for name, key in keys.items() if key in known}
    rest = [name for name in keys if name not in named]
    if not rest:
        return named
    found = artist_keys_known([keys[name] for name in rest])
    named.update((name, keys[name]) for name in rest if keys[name] in found)
    named.update(artist_keys_accented([name for name in rest if name not in named]))
    return named


def artist_keys_accented(names: Sequence[str]) -> dict[str, str]:
    """name -> the normalised name of the first of its forms accented as artists' names
    are (`artist_keys_named`) that an artist has; for names whose own does not name one.
    Two queries, none for no names."""
    if not names:
        return {}
    texts = accented_texts(DEFAULT_DB_ALIAS, [normalize_query(name) for name in names])
    forms = {name: [name_key(form) for form in found[1:]] for name, found in zip(names, texts, strict=True)}
    found = artist_keys_known([form for keys_of in forms.values() for form in keys_of])
    return {
        name: next(k for k in keys_of if k in found)
        for name, keys_of in forms.items()
        if found & set(keys_of)
    }


def genre_key(text: str) -> str:
    """The name of the genre a user's `text` names (`naming.name_among`: `hip hop` is
    `hip-hop`), or its normalised name when none does, which then matches no genre."""
    key = name_key(text)
    if not key or Genre.objects.filter(name=key).exists():
        return key
    return name_among(text, list(Genre.objects.values_list("name", flat=True))) or key


def genre_names_known(names: Collection[str]) -> set[str]:
    """Those of the normalised genre names `names` that the catalog has."""
    return set(Genre.objects.filter(name__in=list(names)).values_list("name", flat=True)) if names else set()


@dataclass(frozen=True)
class Labels:
    """Names to show for ids: artists' names, songs' titles, genres' names."""

    artists: dict[int, str]
    songs: dict[int, str]
    genres: dict[int, str]


def labels_of(
    *, artist_ids: Collection[int] = (), song_ids: Collection[int] = (), genre_ids: Collection[int] = ()
) -> Labels:
    """The names of the artists, songs and genres named by id that exist (three queries at most)."""
    return Labels(
        artists=dict(Artist.objects.filter(pk__in=list(artist_ids)).values_list("id", "name"))
        if artist_ids
        else {},
        songs=dict(Song.objects.filter(pk__in=list(song_ids)).values_list("id", "title")) if song_ids else {},
        genres=dict(Genre.objects.filter(pk__in=list(genre_ids)).values_list("id", "name"))
        if genre_ids
        else {},
    )


def genre_ids_by_name(names: Collection[str]) -> dict[str, int]:
    """Normalised genre name -> id, for those of `names` (normalised) the catalog has."""
    return dict(Genre.objects.filter(name__in=list(names)).values_list("name", "id")) if names else {}
