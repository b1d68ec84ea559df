"""Reads for the outside sources of songs (Spotify): which songs still lack details."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from catalog.models import Song, SongArtist
from catalog.naming import name_key


def songs_lacking_details(*, limit: int) -> list[tuple[int, str]]:
    """`(id, spotify_id)` of at most `limit` songs, by id, that lack an album or artist
    credits (the playlist format gives neither) and that Spotify has never been asked
    about (`spotify_checked_at` is null): once asked, a song leaves this list whatever the
    answer, so repeated runs move on through the catalog."""
    credited = SongArtist.objects.filter(song_id=OuterRef("pk"))
    return list(
        Song.objects.filter(spotify_checked_at__isnull=True)
        .filter(Q(album__isnull=True) | ~Exists(credited))
        .order_by("id")
        .values_list("id", "spotify_id")[: max(limit, 0)]
    )


def same_name(a: str, b: str) -> bool:
    """Whether two artist (or genre) names are the same one for the catalog
    (`catalog.naming`)."""
    return name_key(a) == name_key(b)
