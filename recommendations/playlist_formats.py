"""Playlists in the formats other players read: JSPF (the JSON playlist format ListenBrainz
uses, https://xspf.org/jspf) and XSPF (its XML original, https://xspf.org/spec)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

if TYPE_CHECKING:
    from catalog.models import Song

XSPF_NAMESPACE = "http://xspf.org/ns/0/"
CREATOR = "Music Discovery"
TITLES = {"daily_mix": "Daily mix", "weekly_discovery": "Weekly discovery"}


def _track(song: Song, annotation: str) -> dict[str, Any]:
    track: dict[str, Any] = {
        "title": song.title,
        "creator": ", ".join(credit["name"] for credit in song.artist_credits),
        "duration": song.duration_ms,
        "identifier": [f"https://open.spotify.com/track/{song.spotify_id}"],
        "annotation": annotation,
    }
    if song.album:
        track["album"] = song.album
    return track


def jspf(*, kind: str, created_at: dt.datetime, songs: list[tuple[Song, list[str]]]) -> dict[str, Any]:
    """The playlist as JSPF: `{"playlist": {title, creator, date, track: [...]}}`."""
    return {
        "playlist": {
            "title": TITLES.get(kind, kind),
            "creator": CREATOR,
            "date": created_at.isoformat(),
            "track": [_track(song, "; ".join(reasons)) for song, reasons in songs],
        }
    }


def xspf(*, kind: str, created_at: dt.datetime, songs: list[tuple[Song, list[str]]]) -> bytes:
    """The playlist as an XSPF document (UTF-8, with its XML declaration)."""
    ElementTree.register_namespace("", XSPF_NAMESPACE)

    def child(parent: ElementTree.Element, tag: str, text: str) -> None:
        ElementTree.SubElement(parent, f"{{{XSPF_NAMESPACE}}}{tag}").text = text

    root = ElementTree.Element(f"{{{XSPF_NAMESPACE}}}playlist", version="1")
    child(root, "title", TITLES.get(kind, kind))
    child(root, "creator", CREATOR)
    child(root, "date", created_at.isoformat())
    tracks = ElementTree.SubElement(root, f"{{{XSPF_NAMESPACE}}}trackList")
    for song, reasons in songs:
        described = _track(song, "; ".join(reasons))
        track = ElementTree.SubElement(tracks, f"{{{XSPF_NAMESPACE}}}track")
        for tag in ("title", "creator", "annotation", "album"):
            if described.get(tag):
                child(track, tag, str(described[tag]))
        child(track, "identifier", described["identifier"][0])
        child(track, "duration", str(described["duration"]))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
