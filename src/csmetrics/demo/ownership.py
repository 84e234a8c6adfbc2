"""Accounts, the CS organisation and who owned which account when."""

from __future__ import annotations

import numpy as np

from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA
from csmetrics.demo.vocab import CS_TEAMS, INDUSTRIES, REGIONS, SEGMENTS, TIERS
from csmetrics.schema.tables import CSM_ROLES

_ROLE_CODES = ("csm", "manager", "leader")


def _pick(words: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.array(words, dtype=object)[codes]


def accounts_columns(hist: History) -> dict[str, object]:
    a = hist.accts
    staff_ids = np.array(hist.staff.ids, dtype=object)
    return {
        "account_id": np.array(a.ids, dtype=object),
        "name": np.array(a.names, dtype=object),
        "tier": _pick(TIERS, a.tier),
        "segment": _pick(SEGMENTS, a.segment),
        "industry": _pick(INDUSTRIES, a.industry),
        "region": _pick(REGIONS, a.region),
        "csm_id": staff_ids[hist.owner],
        "created_at": hist.created,
    }


def csms_columns(hist: History) -> dict[str, object]:
    s = hist.staff
    assert set(_ROLE_CODES) == set(CSM_ROLES)
    ids = np.array(s.ids, dtype=object)
    return {
        "csm_id": ids,
        "name": np.array(s.names, dtype=object),
        "email": np.array(s.emails(), dtype=object),
        "team": np.where(s.role == 2, "Leadership", _pick(CS_TEAMS, s.team)).astype(object),
        "manager_id": np.where(s.manager >= 0, ids[np.maximum(s.manager, 0)], None),
        "role": _pick(_ROLE_CODES, s.role),
        "start_date": s.start_day,
        "end_date": s.end_day,
    }


def assignments_columns(hist: History) -> dict[str, object]:
    """Ownership intervals; the open interval of each account is its current owner."""
    book = hist.books.assignments.columns()
    order = np.lexsort((np.arange(len(book["acc"])), book["day"], book["acc"]))
    acc, csm, day = book["acc"][order], book["csm"][order], book["day"][order]
    # several changes on one day: the last one holds
    last_of_day = np.ones(len(acc), bool)
    last_of_day[:-1] = (acc[1:] != acc[:-1]) | (day[1:] != day[:-1])
    acc, csm, day = acc[last_of_day], csm[last_of_day], day[last_of_day]
    # a change to the same owner is no change
    change = np.ones(len(acc), bool)
    change[1:] = (acc[1:] != acc[:-1]) | (csm[1:] != csm[:-1])
    acc, csm, day = acc[change], csm[change], day[change]
    valid_to = np.full(len(acc), NA)
    same_next = np.zeros(len(acc), bool)
    same_next[:-1] = acc[1:] == acc[:-1]
    valid_to[:-1] = np.where(same_next[:-1], day[1:], NA)
    last = ~same_next
    if not np.array_equal(csm[last], hist.owner[acc[last]]):
        raise AssertionError("assignment history disagrees with the current owner")
    return {
        "account_id": np.array(hist.accts.ids, dtype=object)[acc],
        "csm_id": np.array(hist.staff.ids, dtype=object)[csm],
        "valid_from": day,
        "valid_to": valid_to,
    }
