"""`csmetrics ctas` and `csmetrics health risks` end to end, on a small workspace.

A1 (Ana, C1, 120,000) and A2 (Ben, C2, 30,000) each opened 3 tickets in June 2026:
too_many_tickets fires for both on 2026-06-30, the latest day of the data.
"""

from __future__ import annotations

import json

import pytest
import typer
from risk_data import account, contract, ticket
from typer.testing import CliRunner

from csmetrics.cli.app import app
from csmetrics.cli.common import console, err_console
from csmetrics.cli.risk_cmds import add_health_commands
from csmetrics.errors import RiskError


def run(*args: str, on=app):
    # Rich fixes a console's width when it is created if COLUMNS is set then (as it may
    # be in a test worker), so the environment alone cannot widen it: set it directly.
    saved = console._width, err_console._width
    console.width = err_console.width = 200
    try:
        result = CliRunner().invoke(on, list(args), env={"COLUMNS": "200"})
    finally:
        console._width, err_console._width = saved
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def root(make_ws):
    ws = make_ws(
        accounts=[account("A1", "C1", "strategic"), account("A2", "C2")],
        contracts=[contract("K1", "A1", arr=120000.0), contract("K2", "A2", arr=30000.0)],
        tickets=[
            ticket(f"{a}-{d}", a, f"2026-06-{d} 10:00") for a in ("A1", "A2") for d in (10, 20, 30)
        ],
    )
    ws.close()  # the commands open the workspace themselves
    return str(ws.root)


def test_ctas_lists_a_csms_open_ctas_refreshing_first(root):
    result = run("ctas", "--csm", "C1", "-w", root)
    assert result.exit_code == 0, result.output
    assert "refreshed calls to action as of 2026-06-30: 2 opened" in result.stderr
    assert "Open calls to action for C1" in result.stdout
    assert "CTA-000001" in result.stdout and "high" in result.stdout  # 1 + 2 (ARR), no renewal
    assert "1. Review the open tickets with the support lead" in result.stdout
    assert "CTA-000002" not in result.stdout  # Ben's
    # the data has not moved since: no second refresh
    again = run("ctas", "--csm", "C2", "-w", root, "--format", "json")
    assert "refreshed" not in again.stderr
    (row,) = json.loads(again.stdout)
    assert (row["cta_id"], row["account_id"], row["priority"]) == ("CTA-000002", "A2", "medium")
    assert row["due_date"] == "2026-07-07"
    assert row["playbook"][0] == "Review the open tickets with the support lead"


def test_ctas_close_records_the_outcome(root):
    run("ctas", "-w", root)
    # the group's --workspace serves the subcommand too
    closed = run(
        "ctas", "-w", root, "close", "CTA-000001", "--outcome", "Fix shipped", "--on", "2026-07-01"
    )
    assert "closed CTA-000001" in closed.stdout
    listed = run("ctas", "--status", "closed", "-w", root, "--format", "csv")
    assert "CTA-000001,closed" in listed.stdout
    assert "Fix shipped" in listed.stdout
    assert "Review the open tickets with the support lead | Call the customer" in listed.stdout
    with pytest.raises(RiskError, match="already closed"):
        run("ctas", "close", "CTA-000001", "--outcome", "again", "-w", root)


def test_ctas_refresh_reports_each_rule(root):
    result = run("ctas", "refresh", "--as-of", "2026-06-30", "-w", root)
    assert "2 opened, 0 still open, 0 closed" in result.stdout
    assert "too_many_tickets: fired for 2 account(s)" in result.stdout
    assert "usage_drop: not available: needs table events" in result.stdout
    assert "no open calls to action for C9" in run("ctas", "--csm", "C9", "-w", root).stdout


def test_health_risks_lists_reasons_and_rolls_up_at_risk_arr(root):
    health = typer.Typer()

    @health.callback()
    def _group() -> None:
        """A command group, as the health commands are."""

    add_health_commands(health)
    listed = run("risks", "-w", root, on=health)
    assert "At-risk accounts on 2026-06-30: 2 accounts, 150,000.00 USD ARR" in listed.stdout
    assert "3 tickets opened in the last 30 days" in listed.stdout
    assert "not judged: usage_drop: not available: needs table events" in listed.stderr

    by_tier = run("risks", "--by", "tier", "-w", root, "--format", "json", on=health)
    rows = {r["tier"]: r for r in json.loads(by_tier.stdout)}
    assert rows["strategic"]["at_risk_arr"] == 120000.0
    assert rows["corp"]["at_risk_share"] == 1.0
    assert rows["corp"]["as_of"] == "2026-06-30"

    company = run("risks", "--by", "company", "--period", "2026-05", "-w", root, on=health)
    assert "At-risk ARR (USD) by company on 2026-05-31" in company.stdout
    assert "0.0%" in company.stdout  # no tickets yet on May 31
