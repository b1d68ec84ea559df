"""The admin in a real browser: a staff member signs in through the login form, finds a song
by a typo, reads its credits, genres and rating aggregates, a listener's ratings and
listening events, and the analytics dashboard's chart."""

from __future__ import annotations


def _styled(page) -> None:
    """The admin's own stylesheet applied (static files served): the header is coloured."""
    colour = page.locator("#header").evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour


def test_staff_find_a_song_by_a_typo_and_read_its_credits_and_ratings(expect, admin_page):
    page = admin_page
    _styled(page)
    page.get_by_role("link", name="Songs", exact=True).click()
    page.fill("#searchbar", "blnk spce")
    page.press("#searchbar", "Enter")

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Blank Space")
    expect(rows.first).to_contain_text("Taylor Swift")

    rows.first.get_by_role("link", name="Blank Space").click()
    expect(page.locator("#id_title")).to_have_value("Blank Space")
    # Genres and credits are autocomplete widgets: what they show is what was chosen.
    expect(page.locator(".field-genres .select2-selection__choice")).to_have_text(["×pop"])
    expect(page.locator(".tabular .field-artist .select2-selection__rendered")).to_have_text(["Taylor Swift"])
    expect(page.locator(".tabular td.original p")).to_have_text(["Taylor Swift on Blank Space"])
    # Two ratings, 5 and 4.
    expect(page.locator(".field-average_rating .readonly")).to_have_text("4.5")
    expect(page.locator(".field-total_ratings .readonly")).to_have_text("2")


def test_a_song_with_two_credits_lists_both_in_order(expect, admin_page, catalog, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/catalog/song/{catalog.believer.id}/change/")

    expect(page.locator(".tabular .field-artist .select2-selection__rendered")).to_have_text(
        ["Imagine Dragons", "Lil Wayne"]
    )
    expect(page.locator(".field-genres .select2-selection__choice")).to_have_count(2)
    expect(page.locator(".field-total_ratings .readonly")).to_have_text("1")


def test_staff_see_a_listeners_ratings_and_listening_events(expect, admin_page, catalog):
    page = admin_page
    page.get_by_role("link", name="Ratings", exact=True).click()
    page.fill("#searchbar", catalog.listener.username)
    page.press("#searchbar", "Enter")

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Blank Space")).to_contain_text("5")
    expect(rows.filter(has_text="Believer")).to_contain_text("2")

    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Activities", exact=True).click()
    page.fill("#searchbar", catalog.listener.username)
    page.press("#searchbar", "Enter")

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.filter(has_text="play")).to_have_count(6)
    expect(rows.filter(has_text="like")).to_contain_text("Blank Space")
    expect(rows.filter(has_text="skip")).to_contain_text("Believer")


def test_the_dashboard_draws_its_chart(expect, admin_page):
    page = admin_page
    page.get_by_role("link", name="Activities", exact=True).click()
    page.get_by_role("link", name="Dashboard", exact=True).click()

    chart = page.get_by_role("img", name="Events per day by action")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100, box
    # One line per action, really drawn: each has an area on the page.
    lines = chart.locator("polyline")
    expect(lines).to_have_count(4)
    for line in lines.all():
        drawn = line.bounding_box()
        assert drawn is not None and drawn["width"] > 100, drawn
    # Today's six plays are the play line's last point, drawn above the zero line.
    points = chart.locator("circle")
    expect(points).to_have_count(30 * 4)
    plays_today = points.filter(has_text="6 play")
    expect(plays_today).to_have_count(1)
    zero = points.filter(has_text="0 play").first.bounding_box()
    six = plays_today.bounding_box()
    assert zero is not None and six is not None and six["height"] > 0
    assert six["y"] < zero["y"] - 50, (six, zero)
    expect(page.locator(".dash-tops")).to_contain_text("Blank Space — Taylor Swift")
