"""schemathesis against the app's OpenAPI description, signed in as each role.

schemathesis generates requests for every operation of ``/openapi.json`` (values that fit
the declared schema and values that do not; for an account's operations also real
accounts of several CSMs), each sent with the role's session cookie. No answer may be a server error (schemathesis's ``not_a_server_error``
check), and no answer may hold a row another role should not see: a CSM's answers hold
only accounts and CSM ids of their own book, a manager's those of their team
(``test_security_injection.check``).

``make test`` runs a few examples per operation and role; ``-m soak`` runs many.
"""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from .test_security_injection import ROLES, check, scopes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

QUICK_EXAMPLES = 6
SOAK_EXAMPLES = 200


@pytest.fixture(scope="module")
def api_schema(web_app):  # type: ignore[no-untyped-def]
    """The description the app serves at /openapi.json. Loaded as a document, not with
    ``from_asgi``: that runs the app's lifespan, whose end closes the shared app's store."""
    served = TestClient(web_app).get("/openapi.json")
    assert served.status_code == 200
    return schemathesis.openapi.from_dict(served.json())


def fuzz(
    api_schema: Any, client: TestClient, role: str, sc: Any, examples: int, accounts: list[str]
) -> Counter[str]:
    """Every operation, ``examples`` generated cases each, sent as ``role``; the number
    of cases per operation (problems fail the test at once)."""
    sent: Counter[str] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        run_one(operation, client, role, sc, examples, sent, accounts)
    return sent


@pytest.fixture(scope="module")
def accounts(web_app, people) -> list[str]:  # type: ignore[no-untyped-def]
    """Two accounts of each of a few CSMs: the CSM's, a teammate's, an outsider's."""
    book = web_app.state.web.data.accounts()
    out = []
    for csm in (people.csm, people.teammate, people.outsider):
        out += list(book.loc[book["csm_id"] == csm, "account_id"].astype(str).head(2))
    return out


def cases(operation: Any, accounts: list[str]) -> st.SearchStrategy[Any]:
    """Cases that fit the description, cases that do not, and, for an operation about one
    account, real accounts of every CSM (the viewer's own and others')."""
    choices = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{account_id}" in operation.path:
        choices.append(
            st.sampled_from(accounts).flatmap(
                lambda account: operation.as_strategy(path_parameters={"account_id": account})
            )
        )
    return st.one_of(choices)


def run_one(
    operation: Any,
    client: TestClient,
    role: str,
    sc: Any,
    examples: int,
    sent: Counter[str],
    accounts: list[str],
) -> None:
    label = operation.label

    @settings(
        max_examples=examples,
        deadline=timedelta(seconds=20),  # generous: the machine may be busy; catches a hang
        database=None,
        derandomize=True,  # the same cases each run: a failure can be replayed
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, accounts))
    def one(case: Any) -> None:
        kwargs = case.as_transport_kwargs()
        response = client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers={k: v for k, v in kwargs.get("headers", {}).items() if k != "Cookie"},
            follow_redirects=False,
        )
        case.validate_response(response, checks=[not_a_server_error])
        sent_values = [str(v) for v in (case.query or {}).values()]
        sent_values += [str(v) for v in (case.path_parameters or {}).values()]
        problems = check(response, role, sc, f"{role} {label} {case.query}", sent_values)
        assert not problems, problems
        sent[label] += 1

    one()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_the_api_holds_for_each_role(api_schema, web_app, clients, people, accounts, role):
    sc = scopes(web_app, people)
    sent = fuzz(api_schema, clients[role], role, sc, QUICK_EXAMPLES, accounts)
    assert sum(sent.values()) >= len(sent) * 2, sent
    print(f"schemathesis {role}: {sum(sent.values())} cases over {len(sent)} operations")


@pytest.mark.soak
@pytest.mark.parametrize("role", ROLES)
def test_the_api_holds_for_each_role_long(api_schema, web_app, clients, people, accounts, role):
    sc = scopes(web_app, people)
    sent = fuzz(api_schema, clients[role], role, sc, SOAK_EXAMPLES, accounts)
    print(f"schemathesis soak {role}: {sum(sent.values())} cases over {len(sent)} operations")


def test_the_description_lists_every_page_parameter(api_schema):
    """What schemathesis can send: the filters and each page's own parameters."""
    raw = api_schema.raw_schema["paths"]
    names = {p["name"] for p in raw["/api/accounts"]["get"]["parameters"]}
    assert {"period", "team", "tier", "segment", "csm", "q"} <= names
    assert "sort" in {p["name"] for p in raw["/api/risks"]["get"]["parameters"]}
    assert "quarter" in {p["name"] for p in raw["/api/renewals"]["get"]["parameters"]}
