"""Why a song is not in a listener's list, in words: blocked, already in their history,
unknown to the model yet, held back by the artist cap or by a tie at the cut, or ranked
below the list's cut (with its rank, its score against the cut, and what each signal gave
it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.selectors import user_song_signals
from catalog.selectors.arrays import rating_table
from catalog.selectors.refs import labels_of
from catalog.selectors.songs import song_get
from recommendations.engine import ARTIST_CAP, BLEND, CatalogArrays
from recommendations.engine.explain import placement
from recommendations.lists import list_steer
from recommendations.model import model_current
from recommendations.models import FeedbackKind
from recommendations.selectors import feedback_kind
from recommendations.services import listener_of
from users.selectors import blocks_active

# How each signal is named when saying what a song got from it.
SIGNAL_WORDS = {
    "collaborative": "listeners with tastes like yours",
    "artist": "artists you like",
    "genre": "genres you like",
    "content": "its sound, against the songs you liked or passed on",
    "mood": "your moods",
    "popularity": "popularity",
}
# The same in a list a request's seeds steer (`Listener.asked`): its seeds stand for the
# listener's taste there, and the list's own reasons say "you asked for".
SIGNAL_WORDS_ASKED = {
    **SIGNAL_WORDS,
    "collaborative": "listeners who like what you asked for",
    "artist": "artists you asked for",
    "genre": "genres you asked for",
    "content": "its sound, against the songs you asked for",
}


# What a listener's feedback on a song said: either way it leaves their lists.
FEEDBACK_WORDS: dict[str, str] = {
    FeedbackKind.MORE_LIKE_THIS: "you asked for more like it (it counts as a like)",
    FeedbackKind.NOT_FOR_ME: "you said it is not for you",
}


def _blocked(user_id: int, song: Any) -> list[str]:
    blocks = blocks_active(user_id=user_id)
    reasons = ["you blocked this song"] if song.pk in blocks.song_ids else []
    reasons += [f"you blocked {a['name']}" for a in song.artist_credits if a["id"] in blocks.artist_ids]
    genres = labels_of(genre_ids=blocks.genre_ids).genres.values()
    reasons += [f"you blocked the genre {name}" for name in song.genre_names if name in genres]
    return reasons


def _history(user_id: int, song_id: int) -> list[str]:
    reasons = [
        f"you rated it {score} star{'' if score == 1 else 's'}"
        for _, rated, score in rating_table(user_id=user_id)
        if rated == song_id
    ]
    signals = user_song_signals(user_id=user_id)
    mine = signals.song_ids == song_id
    if signals.skips[mine].sum():
        reasons.append("you skipped it")
    elif mine.any():
        reasons.append("it is in your listening history (a list is for discovery)")
    said = feedback_kind(user_id=user_id, song_id=song_id)
    if said is not None:
        reasons.append(FEEDBACK_WORDS[said])
    return reasons


def _ids(catalog: CatalogArrays, positions: list[int]) -> str:
    return ", ".join(f"song {int(catalog.song_ids[at])}" for at in positions)


def why_not(*, user_id: int, song_id: int, limit: int) -> dict[str, Any]:
    """`{song, in_list, reasons, rank, score, cut}` for `song_id` in `user_id`'s list of
    `limit` songs, as a GET of the list serves it (a refresh's seeds and moods steering it
    while its list is the fresh one): rank, score and cut are null when the song cannot be in
    any list.
    Raises Http404 for an unknown song."""
    song = song_get(song_id=song_id)
    answer: dict[str, Any] = {"song": song_id, "in_list": False, "rank": None, "score": None, "cut": None}
    reasons = _blocked(user_id, song) + _history(user_id, song_id)
    model = model_current()
    position = int(model.index.song_positions([song_id])[0])
    if not reasons and position < 0:
        reasons = ["it came into the catalog after the model was last built"]
    if reasons:
        return {**answer, "reasons": reasons}
    # The list a GET serves: steered by the seeds and moods of the refresh that made it.
    listener = listener_of(user_id=user_id, model=model, **list_steer(user_id=user_id))
    catalog = model.catalog
    others = [int(at) for at in catalog.same_songs(np.array([position])) if at != position]
    known = sorted(set(others) & {int(at) for at in listener.exclude})
    if known:
        return {**answer, "reasons": [f"it is the same song as {_ids(catalog, known)}, in your history"]}
    placed = placement(
        catalog=model.catalog,
        listener=listener,
        model=model.collaborative,
        song=position,
        limit=limit,
        weights=BLEND,
    )
    listed = placed.listed
    answer.update(rank=placed.rank, score=round(placed.score, 6), cut=round(placed.cut, 6))
    if position in listed:
        return {
            **answer,
            "in_list": True,
            "reasons": [f"it is in your list, at #{listed.index(position) + 1}"],
        }
    for other in others:
        if other in listed:
            where = f"#{listed.index(other) + 1}"
            return {
                **answer,
                "reasons": [f"the same song is in your list as {_ids(catalog, [other])}, at {where}"],
            }
    # Capped only when its score would have put it in the list: its rank counts the songs
    # above it that the cap kept out too.
    if placed.capped and (placed.rank <= limit or placed.score > placed.cut):
        reasons = [f"its artist already has {ARTIST_CAP} songs in your list"]
    elif placed.rank <= limit:
        # Scored as high as songs the list holds, yet not capped: a tie at the cut, which
        # `rerank` breaks by catalog order.
        reasons = [
            f"it scored {placed.score:.4f}, as your list's last song did: of equal scores, "
            "the list keeps those first in the catalog"
        ]
    else:
        last = f"your list's last song scored {placed.cut:.4f}"
        reasons = [f"ranked #{placed.rank}: scored {placed.score:.4f} where {last}"]
    given = sorted(((part, signal) for signal, part in placed.parts.items() if part > 0), reverse=True)
    if given:
        words = SIGNAL_WORDS_ASKED if listener.asked else SIGNAL_WORDS
        reasons.append("it got most from " + ", ".join(f"{words[s]} ({p:.4f})" for p, s in given[:3]))
    else:
        reasons.append("nothing you did, like or asked for points to it")
    if listener.moods and placed.parts["mood"] <= 0:
        reasons.append(f"it does not fit your moods ({', '.join(listener.moods)})")
    return {**answer, "reasons": reasons}
