"""Every id in a URL path is written in ASCII digits: another script's digits (`１`, `١`),
which Python's `\\d` matches, name no object; the path is a JSON 404, as `abc` is."""

from __future__ import annotations

import uuid

import pytest
from django.urls import resolve, reverse

from music_discovery.exceptions import json_not_found
from recommendations.models import PlaylistKind
from tests.ops.test_api_never_html import ROUTES

# The path parameters that are no integer id, with a value each route takes.
OTHER_PARAMETERS = {"task_id": uuid.UUID(int=0), "kind": PlaylistKind.DAILY_MIX.value}
ID_ROUTES = {
    name: parameters for name, parameters in ROUTES.items() if set(parameters) - set(OTHER_PARAMETERS)
}


def _path(name: str, parameters: tuple[str, ...], digit: str) -> str:
    # Reversed with ASCII digits (reverse() checks each value against its converter), then
    # every id's digit swapped for the one under test.
    kwargs = {parameter: OTHER_PARAMETERS.get(parameter, 7) for parameter in parameters}
    return reverse(name, kwargs=kwargs).replace("7", digit)


def test_the_routes_with_an_id_are_walked():
    assert {"user-detail", "song-detail", "artist-detail", "rating-detail", "analytics-user-stats"} <= set(
        ID_ROUTES
    )


@pytest.mark.parametrize(("name", "parameters"), ID_ROUTES.items(), ids=ID_ROUTES.keys())
@pytest.mark.parametrize(
    "digit", ["１", "١", "۷", "७"], ids=["fullwidth", "arabic-indic", "extended-arabic-indic", "devanagari"]
)
def test_an_id_in_another_scripts_digits_reaches_no_route(name, parameters, digit):
    assert resolve(_path(name, parameters, "7")).url_name == name

    assert resolve(_path(name, parameters, digit)).func is json_not_found
