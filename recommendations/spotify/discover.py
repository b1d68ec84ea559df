"""New songs for a user from Spotify searches on their favourite artists and genres.

One search page (10 tracks) per favourite, at most MAX_ARTISTS artists and MAX_GENRES
genres a run. A track found by `artist:"X"` is kept only when X is credited on it
(Spotify's search is fuzzy), and takes the genres Spotify gives X (`GET /v1/artists/{id}`,
once per artist); a track found by `genre:"g"` takes g. The songs enter the catalog without
audio features (`catalog.services.sources`), so they are searchable and recommendable by
artist and genre, and feature filters leave them out.

Each search page is cached for SEARCH_CACHE_SECONDS: a task retried after a 429 part way
does not spend its rate limit again on the searches it already made.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache

from catalog.selectors.sources import same_name
from catalog.services.sources import SongSource, SourceSong, songs_add_from_source
from recommendations.spotify.client import SpotifyClient
from recommendations.spotify.tracks import artist_credits, search_items, source_song
from users.selectors import profile_get

MAX_ARTISTS = 5
MAX_GENRES = 5
SEARCH_CACHE_SECONDS = 3600


@dataclass(slots=True)
class DiscoverResult:
    searches: int = 0
    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def user_discover(*, user_id: int, client: SpotifyClient) -> DiscoverResult:
    """Search Spotify on `user_id`'s favourite artists and genres and add the songs found
    (nothing for an unknown user or an empty profile). Running it again adds nothing new
    unless Spotify's answers changed."""
    result = DiscoverResult()
    profile = profile_get(user_id=user_id)
    if profile is None:
        return result
    for artist in _names(profile.favorite_artists, MAX_ARTISTS):
        result.searches += 1
        _add(result, _artist_songs(client, artist))
    for genre in _names(profile.favorite_genres, MAX_GENRES):
        result.searches += 1
        page = _search(client, f'genre:"{genre}"')
        _add(
            result, [song for item in search_items(page) if (song := source_song(item, genre_names=[genre]))]
        )
    return result


def _names(values: Any, limit: int) -> list[str]:
    names = [value.replace('"', " ").strip() for value in values or [] if isinstance(value, str)]
    return [name for name in names if name][:limit]


def _artist_songs(client: SpotifyClient, artist: str) -> list[SourceSong]:
    """The tracks of a search on `artist` that credit that artist, with its genres."""
    credited = []
    artist_id = None
    for item in search_items(_search(client, f'artist:"{artist}"')):
        for name, spotify_id in artist_credits(item):
            if same_name(name, artist):
                credited.append(item)
                artist_id = artist_id or spotify_id
                break
    genres = _artist_genres(client, artist_id) if artist_id else []
    return [song for item in credited if (song := source_song(item, genre_names=genres))]


def _artist_genres(client: SpotifyClient, artist_id: str) -> list[str]:
    found = client.artist(artist_id) or {}
    genres = found.get("genres")
    return [genre for genre in genres if isinstance(genre, str)] if isinstance(genres, list) else []


def _search(client: SpotifyClient, query: str) -> Any:
    key = "spotify:search:" + hashlib.sha256(query.casefold().encode()).hexdigest()
    page = cache.get(key)
    if page is None:
        page = client.search_tracks(query)
        cache.set(key, page, timeout=SEARCH_CACHE_SECONDS)
    return page


def _add(result: DiscoverResult, songs: list[SourceSong]) -> None:
    if songs:
        added = songs_add_from_source(songs=songs, source=SongSource.SPOTIFY)
        result.created += added.created
        result.existing += added.existing
