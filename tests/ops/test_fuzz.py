"""Fuzzing the whole API against its own OpenAPI schema (schemathesis), in process.

Every operation of /api/schema/ gets schema-valid and schema-violating requests (bodies,
query parameters, headers) from a listener and from staff. A failure prints the request
as a curl command to reproduce it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from music_discovery.wsgi import application
from tests.factories import SongFactory, UserFactory

# What the schema can promise: no 5xx, every status and body as documented, and data the
# schema says is bad refused. Not "schema-valid data is accepted": a song id the schema
# allows may name no song, a time may be too old, and those are 400s by design.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


# Examples per operation and caller: bounded so that the whole run stays within a minute or
# two in CI; each operation still gets its positive and negative cases.
EXAMPLES = 12


@pytest.fixture(params=["user", "staff"])
def bearer(request, db):
    SongFactory.create_batch(3)
    user = UserFactory(is_staff=request.param == "staff")
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.django_db(transaction=True)
def test_every_operation(case, bearer):
    """As a listener and as staff: no 5xx, and every answer as the schema documents it."""
    case.call_and_validate(headers=bearer, checks=CHECKS)
