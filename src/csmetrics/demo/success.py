"""What the CS team does and what it earns: onboardings, success plans, CSM activities
and customer advocacy. Skilled CSMs onboard faster, meet more and book the next
meeting more often; healthy accounts achieve their goals and speak up for the vendor."""

from __future__ import annotations

import numpy as np

from csmetrics.demo.book import NEW, REACTIVATION
from csmetrics.demo.company import CORP, LOW_TOUCH, STRATEGIC
from csmetrics.demo.contracts import contract_ids
from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA, US_PER_DAY, sigmoid, working_time
from csmetrics.demo.vocab import SUCCESS_GOALS
from csmetrics.schema.tables import ACTIVITY_TYPES, ADVOCACY_TYPES

# ebr, qbr, meeting, training, documentation, call: expected per month by tier
_ACTIVITY_RATES = np.array(
    [
        [1 / 6, 0.3, 1.5, 0.2, 0.08, 1.0],
        [1 / 12, 0.25, 0.5, 0.1, 0.04, 0.6],
        [0.0, 1 / 24, 0.08, 0.03, 0.01, 0.25],
    ]
)
_TRAINING = ACTIVITY_TYPES.index("training")
_DOCUMENTATION = ACTIVITY_TYPES.index("documentation")
_NEXT_MEETING_DAYS = np.array([(60, 120), (60, 100), (7, 35), (7, 60), (0, 0), (7, 45)])
_ADVOCACY_RATE = np.array([0.05, 0.02, 0.006])
_ADVOCACY_MIX = np.array([0.35, 0.08, 0.22, 0.15, 0.12, 0.08])
_STORY_TYPES = (ADVOCACY_TYPES.index("case_study"), ADVOCACY_TYPES.index("success_story"))
_GOALS_PER_PLAN = {STRATEGIC: 3, CORP: 2, LOW_TOUCH: 1}


def onboardings(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Deal close to onboarding close; the clock starts at close, the case closes when
    the checklist is done. Open when still running on the last day (or stalled)."""
    ob = hist.books.onboardings.columns()
    n, end = len(ob["acc"]), hist.tl.end_day
    close = ob["closed_deal"]
    days = np.maximum(ob["days"], 3).astype(np.int64)
    kickoff = close + np.minimum(rng.integers(1, 9, n), days - 1)
    go_live = close + np.maximum(np.round(0.8 * days).astype(np.int64), kickoff - close)
    done = close + days
    closed = np.where(ob["stalled"] | (done >= end), NA, done)
    go_live = np.where(ob["stalled"] | (go_live >= end), NA, go_live)
    kickoff = np.where(kickoff >= end, NA, kickoff)
    progress = np.clip((end - close) / days, 0, None)
    finished = closed != NA
    skipped = finished & (rng.random(n) < 0.05)  # closed without training everyone

    def step(threshold: float) -> np.ndarray:
        return (finished | ((progress > threshold) & ~ob["stalled"])).astype(np.int64)

    return {
        "onboarding_id": np.array([f"OB{i + 1:06d}" for i in range(n)], dtype=object),
        "account_id": np.array(hist.accts.ids, dtype=object)[ob["acc"]],
        "contract_id": contract_ids(hist.books.contracts.count)[ob["contract"]],
        "deal_closed_at": close,
        "kickoff_at": kickoff,
        "go_live_at": go_live,
        "closed_at": closed,
        "understands_purchase": (kickoff != NA).astype(np.int64),
        "setup_assisted": step(0.35),
        "tested": step(0.65),
        "team_trained": np.where(skipped, 0, step(0.9)),
        "_acc": ob["acc"],
        "_kind": ob["kind"],
        "_kickoff": np.where(kickoff == NA, close + 3, kickoff),
    }


def success_plans(
    hist: History, onboarding_rows: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Goals agreed at the kickoff of each new customer period, judged at their target
    date by the account's health then (churned before the date: missed)."""
    tl, p, end = hist.tl, hist.panels, hist.tl.end_day
    kinds = onboarding_rows["_kind"]
    held = onboarding_rows["kickoff_at"] != NA  # goals are agreed at the kickoff meeting
    which = np.flatnonzero(((kinds == NEW) | (kinds == REACTIVATION)) & held)
    used: dict[int, set[int]] = {}
    acc_l, goal_l, defined_l = [], [], []
    for i in which.tolist():
        a = int(onboarding_rows["_acc"][i])
        tier = int(hist.accts.tier[a])
        count = _GOALS_PER_PLAN[tier] if tier != LOW_TOUCH or rng.random() < 0.5 else 0
        taken = used.setdefault(a, set())
        free = [g for g in rng.permutation(len(SUCCESS_GOALS)).tolist() if g not in taken]
        for g in free[:count]:
            taken.add(g)
            acc_l.append(a)
            goal_l.append(g)
            defined_l.append(int(onboarding_rows["_kickoff"][i]))
    acc = np.asarray(acc_l, dtype=np.int64)
    defined = np.asarray(defined_l, dtype=np.int64)
    n = len(acc)
    target = defined + rng.integers(90, 271, n)
    due_month = np.clip(tl.month_of(np.minimum(target, end - 1)), 0, tl.months - 1)
    h_then = p.h[acc, due_month]
    h_now = p.h[acc, tl.months - 1]
    past = target < end
    achieved = (
        past & ~np.isnan(h_then) & (rng.random(n) < sigmoid(0.2 + 1.3 * np.nan_to_num(h_then)))
    )
    early = ~past & ~np.isnan(h_now) & (rng.random(n) < 0.25 * sigmoid(np.nan_to_num(h_now)))
    status = np.where(
        past,
        np.where(achieved, "achieved", "missed"),
        np.where(
            early, "achieved", np.where(np.nan_to_num(h_now, nan=-9) > -0.3, "on_track", "at_risk")
        ),
    ).astype(object)
    win = achieved | early
    lo = defined + 14
    hi = np.maximum(np.minimum(target + 30, end), lo + 1)
    achieved_at = np.where(win, lo + (rng.random(n) * (hi - lo)).astype(np.int64), NA)
    achieved_at = np.where((achieved_at != NA) & (achieved_at >= end), end - 1, achieved_at)
    return {
        "account_id": np.array(hist.accts.ids, dtype=object)[acc],
        "goal": np.array(SUCCESS_GOALS, dtype=object)[np.asarray(goal_l, dtype=np.int64)],
        "defined_at": defined,
        "target_date": target,
        "status": status,
        "achieved_at": achieved_at,
        "confirmed_by_customer": np.where(win, (rng.random(n) < 0.75).astype(np.int64), NA),
    }


def activities(
    hist: History, onboarding_rows: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    p, staff = hist.panels, hist.staff
    owner = np.maximum(p.owner, 0)
    skill = staff.skill[owner]
    onboarding = np.zeros_like(p.active)
    starts = hist.tl.month_of(onboarding_rows["deal_closed_at"])
    for lag in range(3):
        m = starts + lag
        ok = (m >= 0) & (m < hist.tl.months)
        onboarding[onboarding_rows["_acc"][ok], m[ok]] = True
    rate = (
        _ACTIVITY_RATES[hist.accts.tier][:, None, :]
        * np.exp(0.3 * skill)[:, :, None]
        * (1 + 0.6 * onboarding)[:, :, None]
        * p.active[:, :, None]
    )
    counts = rng.poisson(rate)
    acc, month, kind = np.nonzero(counts)
    reps = counts[acc, month, kind]
    acc, month, kind = np.repeat(acc, reps), np.repeat(month, reps), np.repeat(kind, reps)
    # plus a training in the first weeks of most onboardings (more often with skilled CSMs)
    ob_acc = onboarding_rows["_acc"]
    ob_month = np.clip(hist.tl.month_of(onboarding_rows["_kickoff"] + 20), 0, hist.tl.months - 1)
    trained = p.active[ob_acc, ob_month] & (
        rng.random(len(ob_acc)) < sigmoid(0.6 + 0.8 * skill[ob_acc, ob_month])
    )
    acc = np.concatenate([acc, ob_acc[trained]])
    month = np.concatenate([month, ob_month[trained]])
    kind = np.concatenate([kind, np.full(int(trained.sum()), _TRAINING)])
    n = len(acc)
    h = p.h[acc, month]
    sk = skill[acc, month]
    at = working_time(rng, p.lo[acc, month] * US_PER_DAY, p.hi[acc, month] * US_PER_DAY)
    order = np.argsort(at, kind="stable")
    acc, month, kind, h, sk, at = (
        acc[order],
        month[order],
        kind[order],
        h[order],
        sk[order],
        at[order],
    )
    booked = (kind != _DOCUMENTATION) & (rng.random(n) < sigmoid(0.2 + 0.8 * sk + 0.3 * h))
    lo, hi = _NEXT_MEETING_DAYS[kind, 0], _NEXT_MEETING_DAYS[kind, 1]
    next_at = at + (lo + rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64) * US_PER_DAY
    scored = ((kind == _TRAINING) & (rng.random(n) < 0.8)) | (
        (kind != _DOCUMENTATION) & (rng.random(n) < 0.1)
    )
    feedback = np.clip(np.round(3.9 + 0.45 * sk + 0.3 * h + rng.normal(0, 0.7, n)), 1, 5)
    return {
        "activity_id": np.array([f"ACT{i + 1:07d}" for i in range(n)], dtype=object),
        "account_id": np.array(hist.accts.ids, dtype=object)[acc],
        "csm_id": np.array(staff.ids, dtype=object)[p.owner[acc, month]],
        "type": np.array(ACTIVITY_TYPES, dtype=object)[kind],
        "occurred_at": at,
        "next_meeting_at": np.where(booked, next_at, NA),
        "feedback_score": np.where(scored, feedback, NA),
    }


def advocacy(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    p = hist.panels
    rate = (
        _ADVOCACY_RATE[hist.accts.tier][:, None]
        * np.exp(1.0 * np.nan_to_num(p.h))
        * (1 + 0.5 * p.champion)
        * p.active
    )
    counts = rng.poisson(rate)
    acc, month = np.nonzero(counts)
    reps = counts[acc, month]
    acc, month = np.repeat(acc, reps), np.repeat(month, reps)
    n = len(acc)
    h = p.h[acc, month]
    kind = np.searchsorted(np.cumsum(_ADVOCACY_MIX), rng.random(n) * _ADVOCACY_MIX.sum())
    day = p.lo[acc, month] + (rng.random(n) * (p.hi[acc, month] - p.lo[acc, month])).astype(
        np.int64
    )
    positive = np.where(kind == 0, rng.random(n) < sigmoid(0.8 + 1.5 * h), True)
    story = np.isin(kind, _STORY_TYPES)
    confirmed = np.where(
        story, (rng.random(n) < np.where(p.champion[acc, month], 0.8, 0.1)).astype(np.int64), NA
    )
    return {
        "account_id": np.array(hist.accts.ids, dtype=object)[acc],
        "type": np.array(ADVOCACY_TYPES, dtype=object)[kind],
        "occurred_at": day,
        "confirmed_by_champion": confirmed,
        "positive": positive.astype(np.int64),
    }
