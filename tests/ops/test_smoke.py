import pytest


@pytest.mark.django_db
def test_healthz_answers(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_user_factory_creates_a_profile(user):
    assert user.profile.moods == ["happy"]


@pytest.mark.django_db
def test_a_route_named_without_its_trailing_slash_is_redirected_for_a_read(api_client):
    response = api_client.get("/api/songs?page_size=5")
    assert response.status_code == 301
    assert response["Location"] == "http://testserver/api/songs/?page_size=5"
    assert response["Content-Type"] == "application/json"

    # A write is not redirected (its body would be lost): its 404 names the route.
    response = api_client.post("/api/auth/token", {"username": "x", "password": "y"}, format="json")
    assert response.status_code == 404
    hint = "Not found. Did you mean /api/auth/token/ (with the trailing slash)?"
    assert response.json() == {"detail": hint}
    assert api_client.get("/api/no-such-thing").json() == {"detail": "Not found."}
