"""The API's Swagger UI in a real browser: served from this machine alone, its operations
listed, and "Try it out" on the song search answering."""

from __future__ import annotations

import re


def test_swagger_ui_lists_the_operations_and_tries_a_search(expect, page, live_server, catalog):
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Music Discovery API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20

    search = page.locator("#operations-songs-songs_list")
    expect(search).to_contain_text("/api/songs/")
    search.locator(".opblock-summary").click()
    search.get_by_role("button", name="Try it out").click()
    search.locator("tr[data-param-name='search'] input").fill("blnk spce")
    search.get_by_role("button", name="Execute").click()

    response = search.locator(".live-responses-table .response")
    expect(response.locator(".response-col_status")).to_have_text(re.compile(r"^\s*200"))
    expect(response.locator(".response-col_description")).to_contain_text('"title": "Blank Space"')
    expect(search.locator(".request-url")).to_contain_text("search=blnk%20spce")
