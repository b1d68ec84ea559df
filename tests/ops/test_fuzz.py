"""Fuzzing the whole API against its own OpenAPI schema (schemathesis), in process.

Every operation of /api/schema/ gets schema-valid and schema-violating requests (bodies,
query parameters, headers) from a listener and from staff. Then, statefully, the schema's
OpenAPI links (music_discovery/schema.py) are followed from one answer to the next request:
register, log in, rate a song, read the recommendations, poll their task. A failure prints
the request as a curl command to reproduce it (and, statefully, the steps before it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from music_discovery.wsgi import application
from recommendations.model import model_forget
from recommendations.tasks import generate_task
from tests.factories import SongFactory, UserFactory
from users.models import User

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


# The operations the links join, and nothing else: only links the schema states are followed
# (schemathesis would otherwise infer links of its own, and the test would not tell them apart).
LINKED = [
    "users_create",
    "auth_token_create",
    "ratings_submit",
    "recommendations_user",
    "recommendations_task",
]
NO_INFERRED_LINKS = SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})
linked_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", application, config=NO_INFERRED_LINKS
).include(operation_id=LINKED)

# Put before a drawn password at registration (LinkFollower.before_call).
PASSWORD_HEAD = "Fuzz-7q!Lw2#"

# Scenarios and calls per scenario: each run takes seconds, and follows the whole sequence
# several times over (the test says how often).
SCENARIOS = 80
STEPS = 12


@dataclass(frozen=True)
class Step:
    """One call of a scenario: which link led to it (none for a scenario's first calls) and
    whether the link's values were used (schemathesis sometimes draws its own instead)."""

    case_id: str
    parent_id: str | None
    operation: str
    link: str | None
    applied: bool
    status: int

    def made_by(self, operation: str, link: str, statuses: set[int], parent: Step | None) -> bool:
        """A call of `operation` made by `link` from `parent`'s answer, with the link's values,
        and answered with one of `statuses`."""
        return (
            self.operation == operation
            and self.link == link
            and self.applied
            and self.status in statuses
            and parent is not None
            and self.parent_id == parent.case_id
        )


def _operation_id(case) -> str:
    return case.operation.definition.raw["operationId"]


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE


def _link_name(transition) -> str | None:
    # schemathesis names a transition "<source> -> [<status>] <link> -> <target>".
    return transition.id.split("] ", 1)[1].rsplit(" -> ", 1)[0] if transition is not None else None


def _user_ids_restart() -> None:
    """The next user id made the one after the highest kept."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            highest = f"SELECT coalesce(max(id), 0) FROM {table}"
            cursor.execute(f"UPDATE sqlite_sequence SET seq = ({highest}) WHERE name = %s", [table])
        else:
            for sql in connection.ops.sequence_reset_sql(no_style(), [User]):
                cursor.execute(sql)


class LinkFollower:
    """What the test adds to schemathesis's state machine: a client's credentials and data,
    and a record of each call (`scenarios`, one list of Steps per scenario)."""

    song_id: int
    scenarios: list[list[Step]]

    def setup(self):
        # Each scenario is a new client: no throttle budget spent by the ones before it.
        cache.clear()
        self.steps: list[Step] = []
        self.scenarios.append(self.steps)
        self.registered: list[int] = []
        self.bearer: str | None = None

    def teardown(self):
        # The next scenario meets the same database: Hypothesis refuses a run whose
        # answers depend on what an earlier scenario left (a username already taken, or a
        # drawn user id that names a user in one scenario and nobody in the next, as the
        # ids go on rising: they start where this one's started).
        User.objects.filter(pk__in=self.registered).delete()
        _user_ids_restart()
        super().teardown()

    def before_call(self, case):
        # Data the sequence can go on with, where a drawn value would end it with a 400 by
        # design; schema-violating requests keep what was drawn. A rating names a song of
        # the catalog; a drawn password starts with one the password validators accept (most
        # drawn ones alone are too short, too common or all digits).
        if not (_positive(case) and isinstance(case.body, dict)):
            return
        if _operation_id(case) == "ratings_submit":
            case.body["song"] = self.song_id
        if _operation_id(case) == "users_create" and isinstance(case.body.get("password"), str):
            case.body["password"] = (PASSWORD_HEAD + case.body["password"])[:256]

    def after_call(self, response, case):
        super().after_call(response, case)
        if _operation_id(case) == "users_create" and response.status_code == 201:
            self.registered.append(response.json()["id"])
        if _operation_id(case) == "auth_token_create" and response.status_code == 200:
            self.bearer = f"Bearer {response.json()['access']}"

    def step(self, input):
        self._authenticate(input)
        output = super().step(input)
        transition = input.transition
        self.steps.append(
            Step(
                case_id=input.case.id,
                parent_id=transition.parent_id if transition is not None else None,
                operation=_operation_id(input.case),
                link=_link_name(transition),
                applied=input.is_applied,
                status=output.response.status_code,
            )
        )
        return output

    def _authenticate(self, input):
        # Credentials are out of band in OpenAPI: a call made by a link is the client
        # carrying on, with the scenario's latest login, unless the link passed a token
        # itself (RateASong). A scenario's first calls, and schema-violating ones, keep
        # what schemathesis drew, made-up tokens included: those must be refused (401).
        case = input.case
        headers = dict(case.headers or {})
        drawn = any(name.lower() == "authorization" for name in headers)
        passed = ("header", "Authorization") in input.applied_parameters
        if self.bearer is None or passed or (drawn and (input.transition is None or not _positive(case))):
            return
        headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        case.headers = {**headers, "Authorization": self.bearer}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(
            response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder
        )


def _workflow(song_id: int, scenarios: list[list[Step]]):
    machine = linked_schema.as_state_machine()
    return type("Workflow", (LinkFollower, machine), {"song_id": song_id, "scenarios": scenarios})


def _sequences(steps: list[Step]) -> list[list[Step]]:
    """Register, log in (LogIn), rate (RateASong), then the recommendations of the account
    registered (Recommendations) and, if queued, their task (TaskStatus): each call made by
    its link, with its values, and answered with success."""
    by_id = {step.case_id: step for step in steps}
    found = []
    for position, listing in enumerate(steps):
        register = by_id.get(listing.parent_id or "")
        if register is None or not listing.made_by(
            "recommendations_user", "Recommendations", {200, 202}, register
        ):
            continue
        for rating in steps[:position]:
            login = by_id.get(rating.parent_id or "")
            if (
                rating.made_by("ratings_submit", "RateASong", {200, 201}, login)
                and login is not None
                and login.made_by("auth_token_create", "LogIn", {200}, register)
                and register.status == 201
            ):
                polls = [
                    step
                    for step in steps
                    if step.made_by("recommendations_task", "TaskStatus", {200}, listing)
                ]
                found.append([register, login, rating, listing, *polls[:1]])
                break
    return found


@pytest.fixture(params=["at once", "queued"])
def lists_answer(request, settings, monkeypatch):
    """How the recommendations answer: computed in the request (200), or queued (202) for a
    worker that has not picked the task up yet (the task is then polled: pending)."""
    if request.param == "queued":
        settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
        model_forget()
        monkeypatch.setattr(generate_task, "apply_async", lambda *args, **kwargs: None)
    return request.param


@pytest.mark.django_db(transaction=True)
def test_links_followed_in_sequence(lists_answer):
    """The schema's links, followed: no 5xx and every answer as documented along the way;
    the whole sequence (register, log in, rate, recommendations) made by the links at least
    once, and a queued list's task polled by its link."""
    song = SongFactory()
    SongFactory.create_batch(2)
    scenarios: list[list[Step]] = []
    workflow = _workflow(song.pk, scenarios)

    workflow.run(
        settings=settings(
            workflow.TestCase.settings, max_examples=SCENARIOS, stateful_step_count=STEPS, derandomize=True
        )
    )

    followed = Counter(
        (step.link, step.status) for steps in scenarios for step in steps if step.applied and step.link
    )
    sequences = [sequence for steps in scenarios for sequence in _sequences(steps)]
    polled = [sequence for sequence in sequences if len(sequence) == 5]
    # Shown with `pytest -rP`, and with a failure.
    print(f"links followed with their values, (link, status): count: {dict(sorted(followed.items()))}")
    print(f"{len(sequences)} sequences in {len(scenarios)} scenarios, the first: {_describe(sequences[:1])}")
    print(f"{len(polled)} of them polled their task, the first: {_describe(polled[:1])}")
    assert sequences, followed
    if lists_answer == "queued":
        # A queued list's task, polled by its link (after any list, or after the sequence's).
        assert followed[("TaskStatus", 200)], followed


def _describe(sequences: list[list[Step]]) -> str:
    return " ".join(
        " -> ".join(f"{step.link or step.operation} {step.status}" for step in s) for s in sequences
    )
