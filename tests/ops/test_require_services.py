"""With REQUIRE_SERVICES=1 (CI on PostgreSQL + Redis) no test may skip: a skip is a failure."""

from __future__ import annotations

import re

PROBE = "tests/ops/require_services_probe.py"


def _outcomes(run_django, require: str) -> dict[str, int]:
    env = {"DJANGO_ENV": "test", "REQUIRE_SERVICES": require}
    result = run_django("-m", "pytest", PROBE, "-q", "-p", "no:cacheprovider", env=env)
    summary = result.stdout.strip().splitlines()[-1]
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", summary)}


def test_skips_fail_when_services_are_required(run_django):
    # pytest.skip() in the test fails it; a skip marker, applied at setup, errors it.
    assert _outcomes(run_django, "1") == {"failed": 1, "error": 1, "passed": 1, "xfailed": 1}


def test_skips_stay_skips_otherwise(run_django):
    assert _outcomes(run_django, "0") == {"skipped": 2, "passed": 1, "xfailed": 1}


def test_a_module_skipped_while_collected_fails_when_services_are_required(run_django):
    env = {"DJANGO_ENV": "test", "REQUIRE_SERVICES": "1"}
    probe = "tests/ops/require_services_module_probe.py"

    result = run_django("-m", "pytest", probe, "-q", "-p", "no:cacheprovider", env=env)

    assert result.returncode != 0
    assert "REQUIRE_SERVICES=1 allows no skip" in result.stdout
