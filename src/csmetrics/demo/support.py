"""Support tickets and surveys (NPS, relationship CSAT, CES after a resolved ticket).

Ticket counts and NPS answers were drawn by the simulation (they feed renewals); here
they get their details: priority, response and resolution times, CSAT, escalation,
recipients, timestamps and comments.
"""

from __future__ import annotations

import numpy as np

from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA, US_PER_DAY, US_PER_HOUR, sigmoid, working_time
from csmetrics.demo.users import Users, pick_users
from csmetrics.demo.vocab import NPS_COMMENTS, SUPPORT_COMMENTS
from csmetrics.schema.tables import TICKET_PRIORITIES

# low, normal, high, urgent
_PRIORITY_BASE = np.array([0.30, 0.45, 0.18, 0.07])
_PRIORITY_PAIN = np.array([-0.3, 0.0, 0.3, 0.5])  # unhealthy accounts file more urgent ones
_FIRST_RESPONSE_H = np.array([14.0, 6.0, 2.0, 0.6])
_RESOLUTION_H = np.array([120.0, 48.0, 18.0, 6.0])
_ESCALATION = np.array([0.0, 0.3, 1.2, 2.0])
_PREFER_CONTACTS = np.array([0.7, 0.4, 0.2, 0.0])  # champion, admin, executive, user


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i + 1:07d}" for i in range(n)], dtype=object)


def _month_cells(hist: History, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    acc, month = np.nonzero(counts)
    reps = counts[acc, month]
    return np.repeat(acc, reps), np.repeat(month, reps)


def tickets(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Ticket rows plus internals (account index, health) used for CES surveys."""
    p, end_us = hist.panels, hist.tl.end_day * US_PER_DAY
    acc, month = _month_cells(hist, np.where(p.active, p.tickets, 0))
    n = len(acc)
    h = p.h[acc, month]
    opened = working_time(rng, p.lo[acc, month] * US_PER_DAY, p.hi[acc, month] * US_PER_DAY)
    order = np.argsort(opened, kind="stable")
    acc, month, h, opened = acc[order], month[order], h[order], opened[order]

    weights = _PRIORITY_BASE * np.exp(-np.outer(h, _PRIORITY_PAIN))
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    priority = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 3)
    answered = rng.random(n) > 0.03
    first = opened + (
        _FIRST_RESPONSE_H[priority] * np.exp(rng.normal(0, 0.8, n)) * US_PER_HOUR
    ).astype(np.int64)
    slowness = np.exp(rng.normal(0, 0.9, n) - 0.15 * h)
    resolved = first + (_RESOLUTION_H[priority] * slowness * US_PER_HOUR).astype(np.int64)
    first = np.where(answered & (first < end_us), first, NA)
    resolved = np.where((first != NA) & (resolved < end_us), resolved, NA)
    rated = (resolved != NA) & (rng.random(n) < 0.35)
    csat = np.clip(np.round(4.1 + 0.5 * h - 0.3 * np.log(slowness) + rng.normal(0, 0.8, n)), 1, 5)
    escalated = rng.random(n) < sigmoid(-3.6 - 0.7 * h + _ESCALATION[priority])
    return {
        "ticket_id": _ids("T", n),
        "account_id": np.array(hist.accts.ids, dtype=object)[acc],
        "priority": np.array(TICKET_PRIORITIES, dtype=object)[priority],
        "opened_at": opened,
        "first_response_at": first,
        "resolved_at": resolved,
        "csat": np.where(rated, csat, NA),
        "escalated": escalated.astype(np.int64),
        "_acc": acc,
        "_h": h,
        "_slowness": slowness,
    }


# (top band from, middle band from, share of answers with a comment, phrases)
_COMMENTING = {
    "nps": (9, 7, 0.55, NPS_COMMENTS),
    "csat": (5, 4, 0.3, NPS_COMMENTS),
    "ces": (6, 4, 0.2, SUPPORT_COMMENTS),
}


def _comments(kind: str, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    top, middle, share, phrases = _COMMENTING[kind]
    band = np.where(score >= top, 0, np.where(score >= middle, 1, 2))
    out = np.full(len(score), None, dtype=object)
    has = rng.random(len(score)) < share
    for code, name in enumerate(("promoter", "passive", "detractor")):
        sel = np.flatnonzero(has & (band == code))
        words = np.array(phrases[name], dtype=object)
        out[sel] = words[rng.integers(0, len(words), len(sel))]
    return out


def surveys(
    hist: History, users: Users, ticket_rows: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(survey_sends, survey_responses) for NPS, CSAT and CES."""
    tl, p = hist.tl, hist.panels
    end_us = tl.end_day * US_PER_DAY
    parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    # NPS: twice a year; how many answered and their scores came from the simulation
    sends = hist.books.nps_sends.columns()
    answers = hist.books.nps_answers.columns()
    m0 = tl.month_start(sends["month"])
    sent = working_time(rng, m0 * US_PER_DAY, (m0 + 10) * US_PER_DAY)
    req, who = pick_users(users, sends["acc"], sent, sends["invites"], rng, _PREFER_CONTACTS)
    # the answers of survey i, in order, go to its first recipients
    a_order = np.lexsort((answers["month"], answers["acc"]))
    key_sends = sends["acc"] * 10_000 + sends["month"]
    key_ans = (answers["acc"] * 10_000 + answers["month"])[a_order]
    rank = np.arange(len(req)) - np.searchsorted(req, req)
    start = np.searchsorted(key_ans, key_sends[req])
    count = np.searchsorted(key_ans, key_sends[req], side="right") - start
    responds = rank < count
    score = np.full(len(req), NA)
    score[responds] = answers["score"][a_order][start[responds] + rank[responds]]
    parts.append(("nps", req, who, sent[req], responds, score))

    # relationship CSAT: quarterly to the main contacts
    acc, month = np.nonzero(p.active & ((np.arange(tl.months) % 3 == 1)[None, :]))
    h = p.h[acc, month]
    sent = working_time(rng, p.lo[acc, month] * US_PER_DAY, p.hi[acc, month] * US_PER_DAY)
    req, who = pick_users(users, acc, sent, np.full(len(acc), 3), rng, 2 * _PREFER_CONTACTS)
    responds = rng.random(len(req)) < sigmoid(-0.6 + 0.3 * h[req])
    score = np.clip(np.round(3.9 + 0.8 * h[req] + rng.normal(0, 0.8, len(req))), 1, 5)
    parts.append(("csat", req, who, sent[req], responds, score.astype(np.int64)))

    # CES: after four in ten resolved tickets, to someone at the account
    t = ticket_rows
    done = np.flatnonzero((t["resolved_at"] != NA) & (rng.random(len(t["_acc"])) < 0.4))
    sent = t["resolved_at"][done] + US_PER_HOUR
    req, who = pick_users(users, t["_acc"][done], sent, np.ones(len(done), np.int64), rng)
    h, slow = t["_h"][done][req], t["_slowness"][done][req]
    responds = rng.random(len(req)) < 0.25
    score = np.clip(
        np.round(5.0 + 0.8 * h - 0.4 * np.log(slow) + rng.normal(0, 1.0, len(req))), 1, 7
    )
    parts.append(("ces", req, who, sent[req], responds, score.astype(np.int64)))

    kinds, users_, sent_, responded_, score_, comment_ = [], [], [], [], [], []
    for kind, _req, who_, at, responds, sc in parts:
        back = at + (rng.exponential(2.0, len(at)) * US_PER_DAY).astype(np.int64) + 60_000_000
        ok = responds & (back < end_us)
        kinds.append(np.full(len(at), kind, dtype=object))
        users_.append(who_)
        sent_.append(at)
        responded_.append(np.where(ok, back, NA))
        score_.append(sc)
        comment_.append(_comments(kind, sc, rng))
    survey = np.concatenate(kinds)
    who = np.concatenate(users_)
    sent = np.concatenate(sent_)
    responded = np.concatenate(responded_)
    score = np.concatenate(score_)
    comment = np.concatenate(comment_)
    account = np.array(hist.accts.ids, dtype=object)[users.acc[who]]
    user_ids = np.array(users.ids, dtype=object)
    got = responded != NA
    send_rows = {"survey": survey, "account_id": account, "user_id": user_ids[who], "sent_at": sent}
    response_rows = {
        "survey": survey[got],
        "account_id": account[got],
        "user_id": user_ids[who][got],
        "responded_at": responded[got],
        "score": score[got],
        "comment": comment[got],
    }
    return send_rows, response_rows
