"""Spotify as an optional source of songs (on with SPOTIFY_CLIENT_ID and
SPOTIFY_CLIENT_SECRET, off without them).

Only what a new Spotify app may still call in 2026: track search (at most 10 items a page),
one track, one artist (`client`). With them: catalog songs that lack an album or artists
are completed from their Spotify ids (`enrich`), and searches on a user's favourite artists
and genres bring new songs, without audio features, into the catalog (`discover`). The
Celery tasks (`tasks`) wrap both and own the retry policy; nothing else here retries.
"""
