"""The commercial record around the book: CRM opportunities, CSMs' renewal forecasts,
CS costs and acquisition cost, and targets."""

from __future__ import annotations

import numpy as np

from csmetrics.demo.book import CROSS_SELL
from csmetrics.demo.company import MONTHLY
from csmetrics.demo.history import History
from csmetrics.demo.output import money
from csmetrics.demo.timeline import NA, US_PER_DAY, from_epoch_day, sigmoid, working_time
from csmetrics.demo.vocab import CS_TEAMS

_OPTIMISM = 0.4  # CSMs under-call churn a little
_MONTHLY_COST = np.array([11_000.0, 15_000.0, 22_000.0])  # csm, manager, leader (loaded)
_CAC = np.array([60_000.0, 18_000.0, 3_000.0])  # per new logo, by tier
_EXPECTED_CHURN = np.array([0.07, 0.10, 0.15])  # per annual renewal, by tier


def _quarter_start(day: np.ndarray) -> np.ndarray:
    """Epoch day of the first day of the calendar quarter holding ``day``."""
    out = []
    for d in np.asarray(day).tolist():
        x = from_epoch_day(d)
        out.append((x.replace(month=(x.month - 1) // 3 * 3 + 1, day=1) - from_epoch_day(0)).days)
    return np.asarray(out, dtype=np.int64)


def _quarter_labels(hist: History, day: np.ndarray) -> np.ndarray:
    cache: dict[int, str] = {}
    out = np.empty(len(day), dtype=object)
    for i, d in enumerate(np.asarray(day).tolist()):
        if d not in cache:
            cache[d] = hist.tl.quarter_label(d)
        out[i] = cache[d]
    return out


def opportunities(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Renewals (won = renewed), expansions won, expansion attempts lost, and the open
    pipeline. Amounts are ARR at stake in the reporting currency (USD)."""
    tl, p, end = hist.tl, hist.panels, hist.tl.end_day
    r = hist.books.renewals.columns()
    term_based = r["term"] != MONTHLY
    grew = term_based & r["expanded"]
    ex = hist.books.expansions.columns()
    up = hist.upcoming
    # lost attempts: now and then on an active account, more often on unhealthy ones
    acc_l, month_l = np.nonzero(
        p.active & (rng.random(p.active.shape) < 0.004 * np.exp(-0.3 * np.nan_to_num(p.h)))
    )
    arr_l = p.licenses[acc_l, month_l] * 900.0 * rng.uniform(0.1, 0.3, len(acc_l))
    lost_day = p.lo[acc_l, month_l] + (
        rng.random(len(acc_l)) * (p.hi[acc_l, month_l] - p.lo[acc_l, month_l])
    ).astype(np.int64)
    # open pipeline: healthy accounts at the end
    last = tl.months - 1
    acc_o = np.flatnonzero(
        p.active[:, last] & (rng.random(hist.accts.n) < 0.1 * sigmoid(np.nan_to_num(p.h[:, last])))
    )
    arr_o = p.licenses[acc_o, last] * 900.0 * rng.uniform(0.1, 0.3, len(acc_o))

    acc = np.concatenate([r["acc"][term_based], r["acc"][grew], ex["acc"], acc_l, up["acc"], acc_o])
    kind = np.concatenate(
        [
            np.full(int(term_based.sum()), "renewal", dtype=object),
            np.full(int(grew.sum()), "upsell", dtype=object),
            np.where(ex["kind"] == CROSS_SELL, "cross_sell", "upsell").astype(object),
            np.where(rng.random(len(acc_l)) < 0.35, "cross_sell", "upsell").astype(object),
            np.full(len(up["acc"]), "renewal", dtype=object),
            np.where(rng.random(len(acc_o)) < 0.3, "cross_sell", "upsell").astype(object),
        ]
    )
    amount = np.concatenate(
        [
            r["arr_before_usd"][term_based],
            (r["arr_after_usd"] - r["arr_before_usd"])[grew],
            ex["arr_usd"],
            arr_l,
            up["arr_usd"],
            arr_o,
        ]
    )
    close = np.concatenate(
        [
            r["day"][term_based],
            r["day"][grew],
            ex["day"],
            lost_day,
            up["day"],
            end + rng.integers(15, 120, len(acc_o)),
        ]
    )
    won = np.concatenate(
        [
            (~r["churned"][term_based]).astype(np.int64),
            np.ones(int(grew.sum()), np.int64),
            np.ones(len(ex["acc"]), np.int64),
            np.zeros(len(acc_l), np.int64),
            np.full(len(up["acc"]) + len(acc_o), NA),
        ]
    )
    keep = amount > 0.5
    order = np.lexsort((acc[keep], close[keep]))
    n = len(order)
    return {
        "opportunity_id": np.array([f"OP{i + 1:06d}" for i in range(n)], dtype=object),
        "account_id": np.array(hist.accts.ids, dtype=object)[acc[keep][order]],
        "type": kind[keep][order],
        "amount": money(amount[keep][order]),
        "close_date": close[keep][order],
        "won": won[keep][order],
    }


def renewal_forecasts(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each CSM forecasts the term renewals of the quarter just before it starts (some
    update mid-quarter). They see the true churn odds through noise whose size falls
    with skill, so skilled CSMs forecast better."""
    r = hist.books.renewals.columns()
    up = hist.upcoming
    sel = r["term"] != MONTHLY
    acc = np.concatenate([r["acc"][sel], up["acc"]])
    day = np.concatenate([r["day"][sel], up["day"]])
    z = np.concatenate([r["z"][sel], up["z"]])
    p_contract = np.concatenate([r["p_contract"][sel], up["p_contract"]])
    owner = np.concatenate([r["owner"][sel], up["owner"]])
    end_us = hist.tl.end_day * US_PER_DAY
    q0 = _quarter_start(day)
    first = working_time(rng, (q0 - 10) * US_PER_DAY, (q0 - 1) * US_PER_DAY)
    second = working_time(rng, (q0 + 30) * US_PER_DAY, (q0 + 60) * US_PER_DAY)
    submitted_yet = first < end_us  # next quarter's forecasts are not in yet
    again = (rng.random(len(acc)) < 0.4) & (second < end_us)
    rows = np.concatenate([np.flatnonzero(submitted_yet), np.flatnonzero(again)])
    submitted = np.concatenate([first[submitted_yet], second[again]])
    precision = np.concatenate([np.ones(int(submitted_yet.sum())), np.full(int(again.sum()), 0.6)])
    noise = hist.staff.forecast_noise[owner[rows]] * precision
    seen = z[rows] - _OPTIMISM + noise * rng.normal(size=len(rows))
    p_churn = sigmoid(seen)
    p_down = np.clip(p_contract[rows] * np.exp(0.5 * noise * rng.normal(size=len(rows))), 0, 1)
    outcome = np.where(p_churn > 0.5, "churn", np.where(p_down > 0.45, "downsell", "renew"))
    prob = np.where(
        outcome == "churn", p_churn, np.where(outcome == "downsell", p_down, 1 - p_churn)
    )
    return {
        "account_id": np.array(hist.accts.ids, dtype=object)[acc[rows]],
        "csm_id": np.array(hist.staff.ids, dtype=object)[owner[rows]],
        "quarter": _quarter_labels(hist, day[rows]),
        "outcome": outcome.astype(object),
        "probability": np.round(np.clip(prob, 0.05, 0.99), 2),
        "submitted_at": submitted,
    }


def costs(hist: History, rng: np.random.Generator) -> dict[str, np.ndarray]:
    tl, staff = hist.tl, hist.staff
    months = np.arange(tl.months)
    day = tl.month_start(months)
    employed = (staff.start_day[None, :] <= day[:, None]) & (
        (staff.end_day[None, :] == NA) | (staff.end_day[None, :] > day[:, None])
    )
    people = (employed * _MONTHLY_COST[staff.role][None, :]).sum(axis=1)
    total = people * (1.08 + 0.002 * months) * np.exp(rng.normal(0, 0.02, tl.months))
    retention = total * 0.65
    expansion = total - retention
    first = hist.books.episodes.columns()
    new = first["kind"] == 0
    new_month = tl.month_of(first["start"][new])
    inside = new_month >= 0
    cac = np.bincount(
        new_month[inside],
        weights=_CAC[hist.accts.tier[first["acc"][new][inside]]],
        minlength=tl.months,
    )[: tl.months]
    acquisition = cac * np.exp(rng.normal(0, 0.2, tl.months)) + 20_000.0
    categories = ("cs_retention", "cs_expansion", "cs_total", "acquisition")
    return {
        "month": np.tile(day, len(categories)),
        "category": np.repeat(np.array(categories, dtype=object), tl.months),
        "amount": money(np.concatenate([retention, expansion, retention + expansion, acquisition])),
    }


def targets(hist: History) -> dict[str, np.ndarray]:
    """Quarterly MAU expected outcome and logo retention target per CSM (and per team /
    company), set from each book at the start of the quarter."""
    tl, p, staff = hist.tl, hist.panels, hist.staff
    kpi_l, grain_l, id_l, period_l, value_l = [], [], [], [], []
    r = hist.books.renewals.columns()
    for m in range(tl.months):
        day = int(tl.month_start(m))
        if from_epoch_day(day).month % 3 != 1:
            continue
        label = tl.quarter_label(day)
        live = p.active[:, m]
        owner = p.owner[:, m]
        previous = max(m - 1, 0)
        mau = np.nan_to_num(p.usage[:, previous]) * p.licenses[:, previous]
        in_q = (r["month"] >= m) & (r["month"] < m + 3)
        churn_w = np.where(
            r["term"][in_q] == MONTHLY, 0.025, _EXPECTED_CHURN[hist.accts.tier[r["acc"][in_q]]]
        )
        expected = np.bincount(owner[r["acc"][in_q]].clip(0), weights=churn_w, minlength=staff.n)
        books = np.bincount(owner[live].clip(0), minlength=staff.n)
        mau_by = np.bincount(owner[live].clip(0), weights=mau[live], minlength=staff.n)
        team_mau: dict[str, float] = {}
        for s in np.flatnonzero((staff.role == 0) & (books > 0)).tolist():
            goal = float(np.round(mau_by[s] * 1.05))
            team = CS_TEAMS[staff.team[s]]
            team_mau[team] = team_mau.get(team, 0.0) + goal
            kpi_l += ["mau", "logo_retention"]
            grain_l += ["csm", "csm"]
            id_l += [staff.ids[s]] * 2
            period_l += [label] * 2
            value_l += [goal, round(1 - 0.8 * expected[s] / books[s], 3)]
        for team, goal in team_mau.items():
            kpi_l.append("mau")
            grain_l.append("team")
            id_l.append(team)
            period_l.append(label)
            value_l.append(goal)
        kpi_l.append("logo_retention")
        grain_l.append("company")
        id_l.append("all")
        period_l.append(label)
        value_l.append(round(1 - 0.8 * expected.sum() / max(books.sum(), 1), 3))
    years = sorted({from_epoch_day(int(tl.month_start(m))).year for m in range(tl.months)})
    for y in years:
        kpi_l.append("nrr")
        grain_l.append("company")
        id_l.append("all")
        period_l.append(str(y))
        value_l.append(1.05)
    return {
        "kpi": np.array(kpi_l, dtype=object),
        "grain": np.array(grain_l, dtype=object),
        "grain_id": np.array(id_l, dtype=object),
        "period": np.array(period_l, dtype=object),
        "target": np.array(value_l, dtype=np.float64),
    }
