"""Every route under /api/, asked as a browser asks (HTML preferred, anything accepted), answers
in JSON, never an HTML page and never a 5xx: for a listener, for staff and for no one signed
in. Only /api/docs/, the page to browse the API with, is HTML."""

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


ROUTES = {name: parameters for name, parameters in _api_routes() if name != "docs"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


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


def _path(values: dict, name: str, parameters: tuple[str, ...]) -> str:
    values = dict(values, id=values["artist_id" if "artist" in name else "id"])
    return reverse(name, kwargs={parameter: values[parameter] for parameter in parameters})


def _not_html(response) -> bool:
    return not response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "parameters"), ROUTES.items(), ids=ROUTES.keys())
def test_no_api_route_answers_a_browser_with_html_or_a_server_error(caller, api_client, name, parameters):
    path = _path(caller.path_values, name, parameters)

    for client in (caller, api_client):
        response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
        assert response.status_code < 500, (path, response.content[:2000])
        assert _not_html(response), (path, response["Content-Type"])


@pytest.mark.django_db
def test_a_request_that_accepts_html_alone_is_a_json_406(api_client):
    response = api_client.get("/api/songs/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json" and response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/users/me/?format=x", "/api/songs/?format=xml", "/api/songs/1/?format=html"]
)
def test_an_unknown_format_is_a_json_406_not_a_missing_route(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 406
    assert response.json()["detail"].startswith("Unknown format")
    assert api_client.get(path.split("?")[0] + "?format=json").status_code != 406


@pytest.mark.django_db
def test_the_docs_page_answers_options_with_a_405_not_a_500(client):
    assert client.options("/api/docs/").status_code == 405
    assert client.head("/api/docs/").status_code == 200
