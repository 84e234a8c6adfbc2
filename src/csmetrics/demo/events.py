"""Product usage events, generated one month at a time so memory stays bounded.

Each month every provisioned user of a customer is active with a probability that makes
the account's expected MAU / licenses equal the simulated usage ratio (power users more
often than occasional ones). An active user has one significant action (sign-in, meeting
booked or a settings change), uses a key feature with the account's key-feature share,
and adds ``events_scale``-proportional extra events, page views included; some inactive
users only view pages (which must not count as MAU). So MAU and key-feature adoption do
not depend on the events scale; only the volume does (linearly once ``events_scale`` is
above about 0.3, where the one significant action per active user stops being a floor).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from csmetrics import schema
from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA, US_PER_DAY, stream, working_time
from csmetrics.demo.users import Users
from csmetrics.demo.vocab import EVENT_TYPES

EVENTS_PER_ACTIVE_USER = 3.5  # mean events per active user-month at events_scale 1.0
LURKING = 0.15  # chance an inactive provisioned user still views a page in a month
PAGE_VIEW = EVENT_TYPES.index("page_view")
_FIRST = np.array([0.6, 0.3, 0.1])  # sign_in, meeting_booked, settings_changed
_KEY = np.array([0.3, 0.2, 0.5])  # routing_rule_created, calendar_connected, report_viewed
# extra events: sign_in, meeting_booked, settings_changed, key features (3), page_view
_EXTRA = np.array([0.34, 0.26, 0.06, 0.03, 0.02, 0.05, 0.24])
_US_PER_MS = 1000


def _types(rng: np.random.Generator, probs: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    return offset + np.searchsorted(np.cumsum(probs), rng.random(n) * probs.sum()).astype(np.int64)


def _times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Millisecond timestamps in [lo, hi), mostly in working hours."""
    return working_time(rng, lo, hi) // _US_PER_MS * _US_PER_MS


def month_events(
    hist: History, users: Users, month: int, scale: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Events of one month as arrays: user index, time (epoch us), type code."""
    tl, p = hist.tl, hist.panels
    m0, m1 = int(tl.month_start(month)) * US_PER_DAY, int(tl.month_start(month + 1)) * US_PER_DAY
    acc = users.acc
    deact = np.where(users.deactivated == NA, np.iinfo(np.int64).max, users.deactivated)
    lo = np.maximum(np.maximum(p.lo[acc, month] * US_PER_DAY, m0), users.created)
    hi = np.minimum(np.minimum(p.hi[acc, month] * US_PER_DAY, m1), deact)
    alive = np.flatnonzero(hi - lo > 60_000_000)
    a = acc[alive]
    count = np.bincount(a, minlength=hist.accts.n)
    target = np.nan_to_num(p.usage[a, month]) * p.licenses[a, month] / np.maximum(count[a], 1)
    base = np.clip(target, 0.0, 0.999)
    chance = np.power(base, np.exp(-0.6 * users.propensity[alive]))
    active = rng.random(len(alive)) < chance
    act = alive[active]
    # people who only look around: page views without a significant action (not MAU)
    lurk = alive[~active & (rng.random(len(alive)) < LURKING)]

    n_extra = rng.poisson(
        max(EVENTS_PER_ACTIVE_USER * scale - 1.0, 0.0) * np.exp(0.4 * users.propensity[act] - 0.08)
    )
    uses_key = rng.random(len(act)) < np.nan_to_num(p.key[acc[act], month])
    who = np.concatenate([act, act[uses_key], np.repeat(act, n_extra), lurk])
    kind = np.concatenate(
        [
            _types(rng, _FIRST, len(act)),
            _types(rng, _KEY, int(uses_key.sum()), offset=3),
            _types(rng, _EXTRA, int(n_extra.sum())),
            np.full(len(lurk), PAGE_VIEW),
        ]
    )
    t = _times(rng, lo[who], hi[who])
    # one event per (user, millisecond, type): sort by time and drop exact repeats
    key = ((t - m0) // _US_PER_MS << 28) | (who << 4) | kind
    order = np.argsort(key, kind="stable")
    key = key[order]
    keep = np.ones(len(key), bool)
    keep[1:] = key[1:] != key[:-1]
    order = order[keep]
    return {"user": who[order], "time": t[order], "type": kind[order]}


def event_batches(
    hist: History, users: Users, scale: float, seed: int
) -> Iterator[tuple[int, pa.Table]]:
    """Yield (month, canonical events table) for every month of history."""
    if users.n >= 1 << 24:
        raise ValueError("too many users for the event key encoding")
    account_ids = pa.array(hist.accts.ids, type=pa.string())
    user_ids = pa.array(users.ids, type=pa.string())
    type_names = pa.array(EVENT_TYPES, type=pa.string())
    user_acc = pa.array(users.acc)
    target = schema.table("events").arrow_schema()
    for month in range(hist.tl.months):
        ev = month_events(hist, users, month, scale, stream(seed, f"events/{month}"))
        users_idx = pa.array(ev["user"])
        table = pa.table(
            {
                "account_id": account_ids.take(user_acc.take(users_idx)),
                "user_id": user_ids.take(users_idx),
                "event_time": pa.array(ev["time"], type=pa.timestamp("us")),
                "event_type": type_names.take(pa.array(ev["type"])),
            }
        )
        yield month, table.cast(target)
