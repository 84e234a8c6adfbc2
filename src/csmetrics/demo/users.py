"""Users at customer accounts: seats filled as licenses grow, people who leave and are
replaced, and the champion whose departure the simulation decided."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csmetrics.demo.company import LOW_TOUCH
from csmetrics.demo.history import History
from csmetrics.demo.timeline import NA, US_PER_DAY, uniform_int
from csmetrics.demo.vocab import CUSTOMER_TEAMS, USER_ROLES

CHAMPION, ADMIN, EXECUTIVE, USER = range(4)
_MEAN_TENURE_DAYS = 1200.0
_ROLE_ACTIVITY = np.array([1.2, 0.5, -0.8, 0.0])  # champions use the product most


@dataclass(frozen=True, eq=False)
class Users:
    """All users, sorted by account then creation time (row i is user ``ids[i]``)."""

    acc: np.ndarray
    team: np.ndarray  # code into CUSTOMER_TEAMS
    role: np.ndarray  # code into USER_ROLES
    created: np.ndarray  # epoch microseconds
    deactivated: np.ndarray  # epoch microseconds, NA while active
    propensity: np.ndarray  # hidden: how much this person uses the product

    @property
    def n(self) -> int:
        return len(self.acc)

    @property
    def ids(self) -> list[str]:
        return [f"U{i + 1:07d}" for i in range(self.n)]

    def columns(self, account_ids: np.ndarray) -> dict[str, object]:
        return {
            "user_id": np.array(self.ids, dtype=object),
            "account_id": account_ids[self.acc],
            "customer_team": np.array(CUSTOMER_TEAMS, dtype=object)[self.team],
            "role": np.array(USER_ROLES, dtype=object)[self.role],
            "created_at": self.created,
            "deactivated_at": self.deactivated,
        }


def _episode_ends(hist: History) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Episodes (continuous customer periods) and the day each ended (NA if still on)."""
    eps = hist.books.episodes.columns()
    churns = hist.books.churns.columns()
    order = np.lexsort((eps["start"], eps["acc"]))
    eps = {k: v[order] for k, v in eps.items()}
    end = np.full(len(order), NA)
    corder = np.lexsort((churns["day"], churns["acc"]))
    c_acc, c_day = churns["acc"][corder], churns["day"][corder]
    # the k-th churn of an account closes its k-th episode
    ep_rank = np.arange(len(order)) - np.searchsorted(eps["acc"], eps["acc"])
    c_rank = np.arange(len(c_acc)) - np.searchsorted(c_acc, c_acc)
    lookup = {(int(a), int(r)): int(d) for a, r, d in zip(c_acc, c_rank, c_day, strict=True)}
    for i, (a, r) in enumerate(zip(eps["acc"].tolist(), ep_rank.tolist(), strict=True)):
        end[i] = lookup.get((a, r), NA)
    return eps, end


def build_users(hist: History, rng: np.random.Generator) -> Users:
    tl, p, accts = hist.tl, hist.panels, hist.accts
    eps, ep_end = _episode_ends(hist)
    horizon = tl.end_day
    acc_l, team_l, role_l, day_l, end_l = [], [], [], [], []
    for e in range(len(ep_end)):
        a, start = int(eps["acc"][e]), int(eps["start"][e])
        stop = int(ep_end[e]) if ep_end[e] != NA else horizon
        m0 = max(0, int(tl.month_of(start)))
        m1 = min(tl.months - 1, int(tl.month_of(max(stop - 1, start))))
        for code, seats in ((accts.team[a], p.seats_a), (None, p.seats_b)):
            need = np.maximum.accumulate(seats[a, m0 : m1 + 1]) if m1 >= m0 else np.zeros(0)
            if len(need) == 0 or need[-1] == 0:
                continue
            slots = np.arange(int(need[-1]))
            month = m0 + np.searchsorted(need, slots, side="right")
            # seats bought with the first term are filled within weeks of its start
            first = (month == m0) & (code is not None)
            lo = np.minimum(np.where(first, start, tl.month_start(month)), stop - 1)
            hi = np.where(
                first, np.minimum(start + 45, stop), np.minimum(tl.month_start(month + 1), stop)
            )
            hi = np.maximum(hi, lo + 1)
            day = uniform_int(rng, lo, hi)
            team = int(code) if code is not None else int(hist.team_b[a])
            role = np.full(len(slots), USER)
            if code is not None:
                role[0] = CHAMPION
                role[1:2] = ADMIN
                if accts.tier[a] != LOW_TOUCH:
                    role[2:3] = EXECUTIVE
            else:
                role[0] = ADMIN
            acc_l.append(np.full(len(slots), a))
            team_l.append(np.full(len(slots), team))
            role_l.append(role)
            day_l.append(day)
            end_l.append(np.full(len(slots), stop if ep_end[e] != NA else NA))
    seats = {
        "acc": np.concatenate(acc_l),
        "team": np.concatenate(team_l),
        "role": np.concatenate(role_l),
        "created": np.concatenate(day_l),
        "stop": np.concatenate(end_l),
    }
    users = _champions(hist, _turnover(seats, horizon, rng), horizon, rng)
    created = _clock(users["created"], rng)
    deact = users["deact"]
    deact = np.where(
        deact == NA,
        NA,
        np.maximum(_clock(np.where(deact == NA, 0, deact), rng), created + 3_600_000_000),
    )
    order = np.lexsort((created, users["acc"]))
    propensity = rng.normal(0, 1, len(created)) + _ROLE_ACTIVITY[users["role"]]
    return Users(
        acc=users["acc"][order],
        team=users["team"][order],
        role=users["role"][order],
        created=created[order],
        deactivated=deact[order],
        propensity=propensity[order],
    )


def _clock(day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A working-hours time of day on ``day`` (epoch microseconds)."""
    seconds = np.clip(rng.normal(13 * 3600, 2.5 * 3600, len(day)), 6 * 3600, 22 * 3600)
    return np.asarray(day, dtype=np.int64) * US_PER_DAY + (seconds * 1_000_000).astype(np.int64)


def _leave_day(stop: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
    """Users of a churned customer are removed within a month; NA if not yet."""
    day = np.where(stop == NA, NA, stop + rng.integers(0, 31, len(stop)))
    return np.where((day != NA) & (day >= horizon), NA, day)


def _turnover(
    seats: dict[str, np.ndarray], horizon: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """People leave after an exponential tenure and a replacement takes the seat a few
    weeks later; champions leave only when the simulation said so (see _champions)."""
    out: list[dict[str, np.ndarray]] = []
    cur = seats
    while len(cur["acc"]):
        n = len(cur["acc"])
        life = rng.exponential(_MEAN_TENURE_DAYS, n).astype(np.int64) + 30
        leave = np.where(cur["role"] == CHAMPION, 10**7, cur["created"] + life)
        limit = np.where(cur["stop"] == NA, horizon, cur["stop"])
        early = leave < limit
        out.append({**cur, "deact": np.where(early, leave, _leave_day(cur["stop"], horizon, rng))})
        nxt = early & (leave + 30 < limit)
        cur = {k: v[nxt] for k, v in cur.items()}
        cur["created"] = leave[nxt] + rng.integers(1, 31, int(nxt.sum()))
    return {k: np.concatenate([o[k] for o in out]) for k in out[0]}


def _champions(
    hist: History, users: dict[str, np.ndarray], horizon: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The first champion leaves on the simulation's day; each new champion is a new user
    who stays until the next departure or the end of the customer period."""
    ch = hist.books.champions.columns()
    order = np.lexsort((ch["day"], ch["acc"]))
    ch_acc, ch_day, ch_join = ch["acc"][order], ch["day"][order], ch["joined"][order]
    seat = np.flatnonzero(users["role"] == CHAMPION)
    extra: list[dict[str, int]] = []
    for a in np.unique(ch_acc).tolist():
        lo, hi = np.searchsorted(ch_acc, [a, a + 1])
        holders = seat[users["acc"][seat] == a]
        for h in holders.tolist():
            start, stop = int(users["created"][h]), int(users["stop"][h])
            end = horizon if stop == NA else stop
            holder: int | None = h  # a user index, or -(1 + i) for extra[i]; None if vacant
            for day, joined in zip(ch_day[lo:hi].tolist(), ch_join[lo:hi].tolist(), strict=True):
                if not start <= day < end:
                    continue
                if not joined and holder is not None:
                    if holder >= 0:
                        users["deact"][holder] = day
                    else:
                        extra[-1 - holder]["deact"] = day
                    holder = None
                elif joined and holder is None:
                    extra.append(
                        {
                            "acc": a,
                            "team": int(users["team"][h]),
                            "role": CHAMPION,
                            "created": day,
                            "stop": stop,
                            "deact": int(_leave_day(np.array([stop]), horizon, rng)[0]),
                        }
                    )
                    holder = -len(extra)
    if extra:
        users = {
            k: np.concatenate([v, np.array([e[k] for e in extra], dtype=v.dtype)])
            for k, v in users.items()
        }
    return users


def pick_users(
    users: Users,
    acc: np.ndarray,
    at: np.ndarray,
    k: np.ndarray,
    rng: np.random.Generator,
    prefer: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each request i, up to ``k[i]`` distinct users of account ``acc[i]`` who were
    provisioned and not yet removed at ``at[i]`` (epoch us). ``prefer`` (by role code)
    raises a role's chance of being picked. Returns (request index, user index) pairs."""
    top = max(int(acc.max(initial=0)), int(users.acc.max(initial=0))) + 2
    first = np.searchsorted(users.acc, np.arange(top))
    start, count = first[acc], first[acc + 1] - first[acc]
    req = np.repeat(np.arange(len(acc)), count)
    offset = np.arange(len(req)) - np.repeat(np.cumsum(count) - count, count)
    cand = np.repeat(start, count) + offset
    when = at[req]
    deact = users.deactivated[cand]
    alive = (users.created[cand] <= when) & ((deact == NA) | (deact > when))
    req, cand = req[alive], cand[alive]
    score = rng.random(len(cand))
    if prefer is not None:
        score = score - prefer[users.role[cand]]
    order = np.lexsort((score, req))
    req, cand = req[order], cand[order]
    rank = np.arange(len(req)) - np.searchsorted(req, req)
    keep = rank < k[req]
    return req[keep], cand[keep]
