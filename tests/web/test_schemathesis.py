"""Property-based tests of the whole API from its OpenAPI schema, as an admin.

schemathesis generates requests for every operation (valid and invalid
ones) and checks each response: no 5xx, the status code, content type and
body are those the schema documents.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from mediashelf.auth import apikeys, users
from mediashelf.auth.sessions import digest
from mediashelf.db.models import ApiKey, User
from mediashelf.web.app import create_app
from tests.web.conftest import prepared_library

EXAMPLES = 25  # per operation and mode (valid, invalid data)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Keyring:
    """The admin's API key; made again if a generated request revoked it."""

    app: FastAPI
    secret: str = ""

    def current(self) -> str:
        with self.app.state.sessions() as db:
            admin = db.scalar(select(User).where(User.username == "admin"))
            assert admin is not None
            live = db.scalar(
                select(ApiKey).where(ApiKey.user_id == admin.id, ApiKey.revoked_at.is_(None))
            )
            if live is None or live.key_hash != digest(self.secret):
                _key, self.secret = apikeys.create(db, admin, "schemathesis", "admin")
        return self.secret


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyring]:
    app = create_app(prepared_library(tmp_path_factory.mktemp("schemathesis")))
    with app.state.sessions() as db:
        users.create(db, "admin", None, "admin")  # the only admin: it cannot be disabled
    yield Keyring(app)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def api(keyring: Keyring) -> Any:
    headers = {"authorization": f"Bearer {keyring.current()}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", keyring.app, headers=headers)
    # An endless stream (text/event-stream): the ASGI test transport would wait for its
    # end forever. tests/web/test_events.py covers it over real HTTP.
    return schema.exclude(path="/api/v1/events")


def test_the_api_keeps_its_schema(api: Any, keyring: Keyring) -> None:
    """Each operation in turn (schemathesis's lazy pytest loader does not run under this
    pytest); every failure is collected, then reported together."""
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 40  # the whole API, not an empty schema

    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"authorization": f"Bearer {keyring.current()}"}, checks=CHECKS
            )

        try:
            run()
        except Unsatisfiable:  # no invalid request exists (no parameters, or free text)
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # one failure must not hide others
            failures.append(f"{operation.label} ({mode.value} data): {exc}")
    assert not failures, "\n\n".join(failures)
