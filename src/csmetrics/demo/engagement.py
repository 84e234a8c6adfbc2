"""Marketing and community engagement: newsletter opens and clicks, bounces from people
who left the customer, unsubscribes, community posts and webinar attendance."""

from __future__ import annotations

import numpy as np

from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA, US_PER_DAY, sigmoid, stream, working_time
from csmetrics.demo.users import Users

_CAMPAIGN_REACH = 0.12  # share of the mailing list in each monthly campaign
_LIST_MEMORY_DAYS = 120  # people who left stay on the list this long (their mail bounces)

CHANNEL_ACTIONS = (
    ("email", "open"),
    ("email", "click"),
    ("email", "bounce"),
    ("email", "unsubscribe"),
    ("community", "post"),
    ("webinar", "attend"),
)


def engagements(hist: History, users: Users, seed: int) -> dict[str, np.ndarray]:
    tl, p = hist.tl, hist.panels
    end_us = tl.end_day * US_PER_DAY
    deact = np.where(users.deactivated == NA, np.iinfo(np.int64).max, users.deactivated)
    parts_user, parts_kind, parts_time = [], [], []
    for month in range(tl.months):
        rng = stream(seed, f"engagements/{month}")
        m0 = int(tl.month_start(month)) * US_PER_DAY
        m1 = int(tl.month_start(month + 1)) * US_PER_DAY
        acc = users.acc
        customer = p.hi[acc, month] > p.lo[acc, month]
        alive = customer & (users.created < m0) & (deact > m1)  # on the list all month
        gone = (deact <= m0) & (deact > m0 - _LIST_MEMORY_DAYS * US_PER_DAY)
        h = np.nan_to_num(p.h[acc, month])
        reached = rng.random(users.n) < _CAMPAIGN_REACH
        draws = rng.random((5, users.n))
        unsub = alive & reached & (draws[0] < 0.012 * np.exp(-0.6 * h))
        opened = (
            alive & reached & ~unsub & (draws[1] < sigmoid(-0.7 + 0.5 * h + 0.3 * users.propensity))
        )
        clicked = opened & (draws[2] < 0.3)
        bounced = gone & reached
        posted = alive & (draws[3] < 0.004 * np.exp(0.6 * h + 0.3 * users.propensity))
        attended = alive & (draws[4] < 0.006 * np.exp(0.4 * h))
        send = m0 + rng.integers(1, 20, users.n) * US_PER_DAY + 9 * 3_600_000_000
        read = send + (rng.exponential(0.8, users.n) * US_PER_DAY).astype(np.int64) + 60_000_000
        times = (
            read,
            read + rng.integers(10, 1800, users.n) * 1_000_000,
            send + 30_000_000,
            read + 120_000_000,
            working_time(rng, np.full(users.n, m0), np.full(users.n, m1)),
            working_time(rng, np.full(users.n, m0), np.full(users.n, m1)),
        )
        limit = min(m1 + 7 * US_PER_DAY, end_us)
        for code, mask in enumerate((opened, clicked, bounced, unsub, posted, attended)):
            who = np.flatnonzero(mask & (times[code] < limit))
            parts_user.append(who)
            parts_kind.append(np.full(len(who), code))
            parts_time.append(times[code][who])
    who = np.concatenate(parts_user)
    kind = np.concatenate(parts_kind)
    at = np.concatenate(parts_time)
    order = np.lexsort((kind, who, at))
    who, kind, at = who[order], kind[order], at[order]
    channel = np.array([c for c, _ in CHANNEL_ACTIONS], dtype=object)
    action = np.array([a for _, a in CHANNEL_ACTIONS], dtype=object)
    return {
        "account_id": np.array(hist.accts.ids, dtype=object)[users.acc[who]],
        "user_id": np.array(users.ids, dtype=object)[who],
        "channel": channel[kind],
        "action": action[kind],
        "occurred_at": at,
    }
