"""A real browser against a live server: Debian's Chromium driven by Playwright.

One browser for the whole package (started on first use, closed after the package's last
test), a fresh page with no cookies for each test, and a screenshot of each test's last page
under artifacts/browser/ (git-ignored), kept whatever the outcome. Without Chromium or
Playwright the tests skip, saying why; with REQUIRE_SERVICES=1 or REQUIRE_BROWSER=1 (.ci/run
sets the latter on both of its runs) they fail instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.browser.builders import PASSWORD, Catalog, catalog_with_activity

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no sandbox (CI runs as root), and none of the browser's own traffic to its vendor:
# this machine reaches no network, and a test must not depend on one.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "browser"
# The longest any single wait (a navigation, an element showing) may take.
TIMEOUT_MS = 15_000
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: make venv-dev"
    return None


def _browser_required() -> bool:
    return "1" in (os.environ.get("REQUIRE_SERVICES"), os.environ.get("REQUIRE_BROWSER"))


@dataclass
class Browser:
    context: Any  # playwright.sync_api.BrowserContext
    # URLs of requests for any host but this machine, refused.
    outside_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="package")
def browser(tmp_path_factory) -> Iterator[Browser]:
    """Chromium with a new, empty profile, reaching only this machine: a request for any
    other host is refused and remembered, so that a page that needs the network (a CDN)
    fails its test instead of passing here by chance."""
    missing = _browser_missing()
    if missing:
        if _browser_required():
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread, which Django's ORM
    # takes for async code; the tests' own queries are synchronous all the same.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        browser = Browser(context)

        def only_this_machine(route, request) -> None:
            if urlsplit(request.url).hostname in LOCAL_HOSTS or request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                browser.outside_requests.append(request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        try:
            yield browser
        finally:
            context.close()


@pytest.fixture
def expect(browser) -> Any:
    """Playwright's assertions, which wait for the page to agree (imported here, so that a
    missing Playwright skips or fails like a missing browser rather than breaking collection)."""
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def page(request, browser, live_server) -> Iterator[Any]:
    """A new page, signed out, on which a script error, a console error or a request that
    leaves this machine fails the test. Its last state is saved, whatever the outcome, as
    artifacts/browser/<test>.png."""
    browser.context.clear_cookies()
    browser.outside_requests.clear()
    page = browser.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        yield page
        assert not browser.outside_requests, f"requests left this machine: {browser.outside_requests}"
        assert not errors, f"the page reported errors: {errors}"
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        page.close()


@pytest.fixture
def catalog(transactional_db) -> Catalog:
    return catalog_with_activity()


@pytest.fixture
def admin_page(page, live_server, catalog) -> Any:
    """`page` signed in to the admin as `catalog.staff`, through the login form."""
    page.goto(f"{live_server.url}/admin/")
    # Signed out, the admin sends the browser to its login form.
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", catalog.staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
