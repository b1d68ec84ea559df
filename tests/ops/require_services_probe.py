"""Not collected by the suite (no test_ prefix): test_require_services.py runs it in a child
pytest to see what becomes of skips under REQUIRE_SERVICES=1."""

import pytest


def test_skips_itself():
    pytest.skip("a missing tool")


@pytest.mark.skipif(True, reason="a missing file")
def test_skipped_by_a_marker():
    pass


@pytest.mark.xfail(reason="an expected failure stays one", strict=True)
def test_expected_failure():
    raise AssertionError


def test_passes():
    pass
