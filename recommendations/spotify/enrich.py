"""Completing catalog songs from Spotify: the playlist format has no album and no artists,
so each such song is looked up once by its Spotify id (`GET /v1/tracks/{id}`, one id per
call: batch lookups are closed to new apps) and what it lacks is filled in. The catalog's
values are never overwritten (`catalog.services.sources`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from catalog.selectors.sources import songs_lacking_details
from catalog.services.sources import song_details_fill
from recommendations.spotify.client import SpotifyClient
from recommendations.spotify.tracks import source_song


@dataclass(slots=True)
class EnrichResult:
    checked: int = 0
    filled: int = 0
    unknown: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def songs_enrich(*, limit: int, client: SpotifyClient) -> EnrichResult:
    """Look up at most `limit` songs lacking details and fill them in. Each song's answer
    is committed as it comes, so an error (a 429...) part way keeps what was done and a
    second run goes on from the next song."""
    result = EnrichResult()
    for song_id, spotify_id in songs_lacking_details(limit=limit):
        track = client.track(spotify_id)
        details = source_song(track) if track is not None else None
        if song_details_fill(song_id=song_id, details=details):
            result.filled += 1
        if details is None:
            result.unknown += 1
        result.checked += 1
    return result
