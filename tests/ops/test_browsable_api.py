"""Every route under /api/, asked for HTML as a browser asks: outside production the browsable
API renders the answer (its filter form calls the view's get_queryset, its forms the view's
serializers), and no route may answer that with a 5xx, for a listener or for staff."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from recommendations.models import Generation, PlaylistKind
from tests.factories import RatingFactory, SongArtistFactory, UserFactory
from users.models import Block


def _api_routes(resolver: URLResolver | None = None, prefix: str = ""):
    """(name, path parameter names) of every named route under /api/."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and pattern.name and route.lstrip("^").startswith("api/"):
            yield pattern.name, tuple(pattern.pattern.regex.groupindex)


ROUTES = dict(_api_routes())


@pytest.fixture(params=["listener", "staff"])
def caller(request, make_auth_client):
    client = make_auth_client(UserFactory(is_staff=request.param == "staff"))
    # The caller's own objects, so that each route finds what its path names.
    credit = SongArtistFactory(song__genres=["pop"])
    RatingFactory(user=client.user, song=credit.song, score=4)
    block = Block.objects.create(user=client.user, song=credit.song)
    generation = Generation.objects.create(user=client.user)
    client.path_values = {
        "pk": client.user.pk,
        "user_id": client.user.pk,
        "song_id": credit.song.pk,
        "block_id": block.pk,
        "task_id": generation.task_id,
        "kind": PlaylistKind.DAILY_MIX.value,
        # `id` names a song, or an artist on the artists' routes.
        "id": credit.song.pk,
        "artist_id": credit.artist.pk,
    }
    return client


def test_every_api_route_is_walked():
    assert {"rating-list", "rating-detail", "user-detail", "song-detail", "artist-detail"} <= set(ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "parameters"), ROUTES.items(), ids=ROUTES.keys())
def test_no_api_route_answers_a_browser_with_a_server_error(caller, name, parameters):
    values = dict(caller.path_values, id=caller.path_values["artist_id" if "artist" in name else "id"])
    path = reverse(name, kwargs={parameter: values[parameter] for parameter in parameters})

    response = caller.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code < 500, (path, response.content[:2000])
