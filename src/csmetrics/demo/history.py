"""What the simulation hands to the table builders: ledgers of what happened and
per account-month panels of the latent and observed state."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from csmetrics.demo.ledger import Ledger

if TYPE_CHECKING:
    from csmetrics.demo.company import Accounts, Staff
    from csmetrics.demo.fx import FxRates
    from csmetrics.demo.timeline import Timeline

i8, f8, b1 = np.int64, np.float64, np.bool_


def new_ledgers() -> SimpleNamespace:
    """One ledger per kind of fact; account and staff references are array indices."""
    return SimpleNamespace(
        contracts=Ledger(
            acc=i8, product=i8, team=i8, start=i8, end=i8, lic=i8, arr=f8, term=i8, kind=i8
        ),
        invoices=Ledger(acc=i8, issued=i8, due=i8, paid=i8, amount=f8),
        onboardings=Ledger(acc=i8, contract=i8, closed_deal=i8, days=f8, kind=i8, stalled=b1),
        renewals=Ledger(
            acc=i8,
            month=i8,
            day=i8,
            term=i8,
            z=f8,
            p_contract=f8,
            churned=b1,
            contracted=b1,
            expanded=b1,
            arr_before_usd=f8,
            arr_after_usd=f8,
            owner=i8,
        ),
        expansions=Ledger(acc=i8, day=i8, kind=i8, arr_usd=f8, owner=i8),
        assignments=Ledger(acc=i8, csm=i8, day=i8),
        champions=Ledger(acc=i8, day=i8, joined=b1),
        nps_sends=Ledger(acc=i8, month=i8, invites=i8),
        nps_answers=Ledger(acc=i8, month=i8, score=i8),
        episodes=Ledger(acc=i8, start=i8, kind=i8),
        churns=Ledger(acc=i8, day=i8),
        cancellations=Ledger(acc=i8, end=i8, day=i8),
    )


@dataclass(eq=False)
class Panels:
    """``[account, month]`` arrays. ``lo``/``hi`` bound the days the account was a customer
    in the month (empty when lo >= hi)."""

    h: np.ndarray
    usage: np.ndarray
    key: np.ndarray
    licenses: np.ndarray
    tickets: np.ndarray
    seats_a: np.ndarray
    seats_b: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    owner: np.ndarray
    champion: np.ndarray

    @classmethod
    def empty(cls, n: int, months: int) -> Panels:
        def nan() -> np.ndarray:
            return np.full((n, months), np.nan)

        def zero() -> np.ndarray:
            return np.zeros((n, months), np.int64)

        return cls(
            h=nan(),
            usage=nan(),
            key=nan(),
            licenses=zero(),
            tickets=zero(),
            seats_a=zero(),
            seats_b=zero(),
            lo=zero(),
            hi=zero(),
            owner=np.full((n, months), -1),
            champion=np.zeros((n, months), bool),
        )

    @property
    def active(self) -> np.ndarray:
        return self.hi > self.lo


@dataclass(eq=False)
class History:
    tl: Timeline
    staff: Staff
    accts: Accounts
    fx: FxRates
    books: SimpleNamespace
    panels: Panels
    created: np.ndarray  # epoch day each account was created
    owner: np.ndarray  # current owner (staff index)
    status: np.ndarray
    team_b: np.ndarray  # the customer team a whitespace expansion opens
    upcoming: dict[str, np.ndarray] = field(default_factory=dict)  # renewals not yet due
