"""Which artists a song's listening counts for (`recommendations.engine.credits`): the
collaborative model's rows, a listener's question and the artists they know follow one rule."""

from __future__ import annotations

import numpy as np

from recommendations.engine import Weights, build_collaborative, recommend
from tests.recommendations.builders import catalog_of, listener_of, user_songs

COLLABORATIVE = Weights(collaborative=1.0)


def _artists_of(catalog, items) -> list[int]:
    return [int(catalog.main_artist[item.song]) for item in items]


def _song_list(items) -> list[int]:
    return [item.song for item in items]


def test_an_artist_met_as_a_guest_on_one_song_is_neither_followed_nor_known():
    """Listening to a song is listening to its artists in shares: an artist counts as
    followed, in the model's rows as in a listener's question, and as known to the listener,
    from a whole song's worth; a guest met once on an artist's song gets a small share."""
    # 4 artists x 3 songs (song s by artist s // 3); song 1 (artist 0) features artist 3.
    catalog = catalog_of(artists=[s // 3 for s in range(12)], guests={1: [3]})
    # Listeners of artist 0 who played the duet, listeners of artist 0 and of artist 2, and
    # artist 3's own listeners.
    background = [[0, 1]] * 6 + [[0, 6]] * 4 + [[9]] * 3
    model = build_collaborative(
        user_ids=np.arange(len(background)),
        user_songs=user_songs(background, 12),
        song_artists=catalog.song_artists,
    )

    # Follows artist 0 (two songs of their own).
    items = recommend(
        catalog=catalog,
        listener=listener_of(liked={0: 1.0, 2: 1.0}),
        model=model,
        limit=3,
        weights=COLLABORATIVE,
    )

    # The duet's listeners did not follow artist 3: artist 2 is who artist 0's listeners follow.
    assert [s // 3 for s in _song_list(items[:2])] == [2, 2]
    assert "liked by listeners who like Artist 0" in items[0].reasons
    # Follows artist 0 (two songs) and met artist 3 once, as the duet's guest: artist 3 is
    # not known to them, their own songs come by the collaborative signal.
    guest = recommend(
        catalog=catalog,
        listener=listener_of(liked={2: 1.0, 1: 1.0}, exclude=[2, 1, 6, 7, 8]),
        model=build_collaborative(
            user_ids=np.arange(4),
            user_songs=user_songs([[0, 9]] * 4, 12),
            song_artists=catalog.song_artists,
        ),
        limit=1,
        weights=COLLABORATIVE,
    )
    assert _song_list(guest)[0] in (9, 10, 11)
    assert guest[0].reasons == ("liked by listeners who like Artist 0",)


def test_the_partner_on_duets_of_an_artist_the_listener_plays_is_not_followed():
    """A song is divided among its artists by what the listener's other songs give each: two
    duets of artist 0 with artist 1, among artist 0's own songs, are mostly artist 0's."""
    # 3 artists x 4 songs (song s by artist s // 4); songs 1 and 2 (artist 0) feature artist 1.
    catalog = catalog_of(artists=[s // 4 for s in range(12)], guests={1: [1], 2: [1]})
    model = build_collaborative(
        user_ids=np.arange(4), user_songs=user_songs([[0, 4]] * 4, 12), song_artists=catalog.song_artists
    )
    listener = listener_of(liked={0: 1.0, 1: 1.0, 2: 1.0}, exclude=[0, 1, 2, 3, 8, 9, 10, 11])

    items = recommend(catalog=catalog, listener=listener, model=model, limit=1, weights=COLLABORATIVE)

    # Artist 1 is not known to the listener: their own songs come by the collaborative signal.
    assert _artists_of(catalog, items) == [1]
    assert items[0].reasons == ("liked by listeners who like Artist 0",)


def test_an_artist_whose_only_song_is_a_duet_is_followed_by_its_listeners():
    """A whole share is a song's worth, or all the catalog holds of an artist when less."""
    # Artist 0: songs 0-2 and the duet, song 3, whose first credit is artist 1 (their only
    # song); artist 2: songs 4-6.
    catalog = catalog_of(artists=[0, 0, 0, 1, 2, 2, 2], guests={3: [0]})
    background = [[3, 4]] * 5 + [[0]] * 3
    model = build_collaborative(
        user_ids=np.arange(len(background)),
        user_songs=user_songs(background, 7),
        song_artists=catalog.song_artists,
    )

    items = recommend(
        catalog=catalog, listener=listener_of(liked={3: 1.0}), model=model, limit=1, weights=COLLABORATIVE
    )

    assert _artists_of(catalog, items) == [2]
    assert items[0].reasons == ("liked by listeners who like Artist 1",)
