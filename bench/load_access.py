"""What each login may see, worked out from the store itself (not from the app), and the
checks the load script runs on every response against it.

The rule is the web app's (``csmetrics.web.access``): an admin or leader sees every
account; a manager the accounts owned by the CSMs of their team (``csms.team``); a CSM
their own book. The owner of an account on a day is the assignment valid that day
(the latest ``valid_from`` when several are), else ``accounts.csm_id``. Here that rule
is recomputed in pandas from the raw ``accounts``, ``assignments`` and ``csms`` tables,
so a fault in the app's filtering cannot hide itself by also being in the oracle.

Two sets per login:

* ``book``: the accounts owned by the login's CSMs on the as-of day. The unfiltered
  account list must be exactly this set, and only these accounts' 360 pages open.
* ``reach``: the accounts owned by the login's CSMs on any day since the first period
  the pages offer. Period pages attribute a row to the owner on the period's first
  day, so an account a CSM handed over last quarter may still appear in last
  quarter's numbers; any account outside ``reach`` in a response is a violation.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

EVERYTHING = ("admin", "leader")
ACCOUNT_LINK = re.compile(r'href="/(?:api/|export/)?accounts/([^"/?#]+)')
OPTION_VALUE = re.compile(r'<option value="([^"]+)"')


@dataclass(frozen=True)
class Sight:
    """What one login may see; ``None`` means everything."""

    login: str
    role: str
    csm_ids: frozenset[str] | None
    teams: frozenset[str] | None
    book: frozenset[str] | None
    reach: frozenset[str] | None

    @property
    def scoped(self) -> bool:
        return self.csm_ids is not None


@dataclass(frozen=True)
class Ownership:
    """The raw tables the access rule reads, loaded once before the server starts (the
    server then holds the store's lock)."""

    accounts: pd.DataFrame  # account_id, name, csm_id, tier, segment
    assignments: pd.DataFrame  # account_id, csm_id, valid_from, valid_to
    csms: pd.DataFrame  # csm_id, name, team, role

    @classmethod
    def read(cls, store: Path) -> Ownership:
        con = duckdb.connect(str(store), read_only=True)
        try:
            accounts = con.execute(
                "SELECT account_id, name, csm_id, tier, segment FROM accounts"
            ).df()
            assignments = con.execute(
                "SELECT account_id, csm_id, valid_from, valid_to FROM assignments"
            ).df()
            csms = con.execute("SELECT csm_id, name, team, role FROM csms").df()
        finally:
            con.close()
        return cls(accounts, assignments, csms)

    # -- the rule -----------------------------------------------------------------------

    def owners_on(self, day: date) -> pd.Series:
        """account_id -> csm_id on ``day``."""
        a = self.assignments
        start = pd.to_datetime(a["valid_from"])
        end = pd.to_datetime(a["valid_to"])
        stamp = pd.Timestamp(day)
        valid = a[(start <= stamp) & (end.isna() | (end > stamp))]
        latest = valid.sort_values("valid_from").drop_duplicates("account_id", keep="last")
        owner = self.accounts.set_index("account_id")["csm_id"].copy()
        owner.update(latest.set_index("account_id")["csm_id"])
        return owner.astype(str)

    def owned_since(self, first: date, last: date) -> pd.DataFrame:
        """account_id, csm_id pairs of every owner of an account on some day in
        [first, last] (a superset when assignments overlap: the check stays strict
        about accounts a login never owned)."""
        a = self.assignments
        start = pd.to_datetime(a["valid_from"])
        end = pd.to_datetime(a["valid_to"])
        overlapping = a[(start <= pd.Timestamp(last)) & (end.isna() | (end > pd.Timestamp(first)))]
        pairs = pd.concat(
            [
                overlapping[["account_id", "csm_id"]],
                self.accounts[["account_id", "csm_id"]],
                self.owners_on(last).rename("csm_id").reset_index(),
            ],
            ignore_index=True,
        )
        return pairs.astype(str).drop_duplicates()

    def scope_csms(self, role: str, csm_id: str | None, team: str | None) -> frozenset[str] | None:
        if role in EVERYTHING:
            return None
        if role == "manager":
            return frozenset(self.csms.loc[self.csms["team"] == team, "csm_id"].astype(str))
        return frozenset([csm_id]) if csm_id else frozenset()

    def sight(
        self,
        login: str,
        role: str,
        csm_id: str | None,
        team: str | None,
        as_of: date,
        first_day: date,
    ) -> Sight:
        csm_ids = self.scope_csms(role, csm_id, team)
        if csm_ids is None:
            return Sight(login, role, None, None, None, None)
        owners = self.owners_on(as_of)
        book = frozenset(owners[owners.isin(csm_ids)].index.astype(str))
        pairs = self.owned_since(first_day, as_of)
        reach = frozenset(pairs.loc[pairs["csm_id"].isin(csm_ids), "account_id"]) | book
        teams = frozenset(
            self.csms.loc[self.csms["csm_id"].isin(csm_ids), "team"].dropna().astype(str)
        )
        return Sight(login, role, csm_ids, teams, book, reach)

    # -- lookups ------------------------------------------------------------------------

    @property
    def account_ids(self) -> frozenset[str]:
        return frozenset(self.accounts["account_id"].astype(str))

    @property
    def account_by_name(self) -> dict[str, str]:
        return dict(
            zip(
                self.accounts["name"].astype(str),
                self.accounts["account_id"].astype(str),
                strict=True,
            )
        )

    @property
    def csm_by_name(self) -> dict[str, str]:
        return dict(
            zip(self.csms["name"].astype(str), self.csms["csm_id"].astype(str), strict=True)
        )


class Checker:
    """Finds what a response shows that its login may not see (one message per problem)."""

    def __init__(self, ownership: Ownership) -> None:
        self.all_accounts = ownership.account_ids
        self.account_by_name = ownership.account_by_name
        self.csm_by_name = ownership.csm_by_name
        self.all_csms = frozenset(self.csm_by_name.values())

    def rows(
        self, sight: Sight, rows: Iterable[dict[str, Any]], where: str, *, people: bool = True
    ) -> list[str]:
        """Rows of a table: accounts by id or name must be in reach; with ``people``,
        CSMs by id or name and teams must be the login's (an account's 360 lists the
        activities of whoever held the account, so it passes ``people=False``)."""
        if not sight.scoped:
            return []
        found: list[str] = []
        for row in rows:
            account = row.get("account_id") or self.account_by_name.get(
                str(row.get("account_name"))
            )
            if (
                account is not None
                and str(account) in self.all_accounts
                and str(account) not in sight.reach
            ):  # type: ignore[operator]
                found.append(f"{where}: account {account} outside {sight.login}'s reach")
            if not people:
                continue
            csm = row.get("csm_id") or self.csm_by_name.get(str(row.get("csm_name")))
            if csm is not None and str(csm) in self.all_csms and str(csm) not in sight.csm_ids:  # type: ignore[operator]
                found.append(f"{where}: CSM {csm} outside {sight.login}'s scope")
            team = row.get("team")
            if team and sight.teams is not None and str(team) not in sight.teams:
                found.append(f"{where}: team {team} outside {sight.login}'s scope")
        return found

    def view(
        self, sight: Sight, payload: dict[str, Any], where: str, *, people: bool = True
    ) -> list[str]:
        """A page's JSON (``numbers``, ``charts``, ``tables``): every table row, and the
        members of a scorecard."""
        found: list[str] = []
        for table in payload.get("tables", []):
            rows = table.get("rows", [])
            found += self.rows(sight, rows, f"{where} [{table.get('name')}]", people=people)
            if table.get("name") == "members" and sight.scoped:
                for row in rows:
                    member = str(row.get("id"))
                    if member in self.all_csms and member not in sight.csm_ids:  # type: ignore[operator]
                        found.append(
                            f"{where} [members]: CSM {member} outside {sight.login}'s scope"
                        )
        return found

    def book(self, sight: Sight, payload: dict[str, Any], where: str) -> list[str]:
        """The unfiltered account list must be exactly the login's book (everyone's
        accounts for admin and leader): nothing extra, nothing missing."""
        tables = [t for t in payload.get("tables", []) if t.get("name") == "accounts"]
        if not tables:
            return [f"{where}: no accounts table"]
        shown = {str(r["account_id"]) for r in tables[0]["rows"]}
        wanted = sight.book if sight.book is not None else self.all_accounts
        extra, missing = shown - wanted, wanted - shown
        if not extra and not missing:
            return []
        return [
            f"{where}: {sight.login}'s book differs from the store: {len(extra)} extra, {len(missing)} missing (e.g. {sorted(extra or missing)[:3]})"
        ]

    def csv(self, sight: Sight, text: str, where: str, *, people: bool = True) -> list[str]:
        return self.rows(sight, csv.DictReader(io.StringIO(text)), where, people=people)

    def html(self, sight: Sight, text: str, where: str) -> list[str]:
        """Links to account pages, and the CSMs the filter bar offers."""
        if not sight.scoped:
            return []
        found = [
            f"{where}: link to account {a} outside {sight.login}'s reach"
            for a in set(ACCOUNT_LINK.findall(text))
            if a in self.all_accounts and a not in sight.reach  # type: ignore[operator]
        ]
        found += [
            f"{where}: filter offers CSM {c} outside {sight.login}'s scope"
            for c in set(OPTION_VALUE.findall(text))
            if c in self.all_csms and c not in sight.csm_ids  # type: ignore[operator]
        ]
        return found
