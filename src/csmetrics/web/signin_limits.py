"""Limits on password guessing: failed sign-ins per login and per client address.

``web.login_max_failures`` failures for one login within ``web.login_window_minutes``
lock that login for ``web.lockout_minutes``; ``web.address_max_failures`` from one
client address refuse every sign-in from it for as long. A login that does not exist
is counted and locked exactly like one that does, so the answer never tells whether a
login exists. Failures and lockouts live in the state store (not in memory), so they
hold across a restart and across worker processes. Each lockout and each unlock goes
to the audit log; the sign-ins refused while a lockout holds are counted on its row
instead, so a flood of guesses cannot flood the log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from csmetrics.config.web import WebConfig
from csmetrics.web.state.models import Lockout, LoginFailure
from csmetrics.web.state.users import UserError, audit

LOGIN = "login"
ADDRESS = "address"


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused now and for how many more seconds (``Retry-After``)."""

    kind: str
    retry_after: int
    message: str


@dataclass(frozen=True)
class LockoutInfo:
    """A lockout as the admin page shows it."""

    id: int
    kind: str
    key: str
    started_at: datetime
    until: datetime
    failures: int
    refused: int


class SigninLimits:
    """The failure counts and lockouts of one state store (module doc)."""

    def __init__(self, config: WebConfig) -> None:
        self.max_login = config.login_max_failures
        self.max_address = config.address_max_failures
        self.window = timedelta(minutes=config.login_window_minutes)
        self.lockout = timedelta(minutes=config.lockout_minutes)

    def refusal(self, db: Session, login: str, address: str, now: datetime) -> Refusal | None:
        """The lockout that refuses this sign-in before its password is even checked."""
        locks = db.scalars(
            select(Lockout)
            .where(
                Lockout.cleared_at.is_(None),
                Lockout.until > now,
                or_(
                    and_(Lockout.kind == LOGIN, Lockout.key == login),
                    and_(Lockout.kind == ADDRESS, Lockout.key == address),
                ),
            )
            .order_by(Lockout.kind, Lockout.until.desc())
        ).all()
        if not locks:
            return None
        for lock in locks:
            lock.refused += 1
        return self._refusal(locks[0].kind, locks[0].until, now)

    def failed(self, db: Session, login: str, address: str, now: datetime) -> Refusal | None:
        """Count a failed sign-in; the refusal when it starts a lockout."""
        db.execute(delete(LoginFailure).where(LoginFailure.at < now - self.window))
        db.add(LoginFailure(at=now, login=login, address=address))
        db.flush()
        refusal = None
        for kind, key, limit in (
            (ADDRESS, address, self.max_address),
            (LOGIN, login, self.max_login),
        ):
            count = self._failures(db, kind, key, now)
            if count >= limit:
                until = now + self.lockout
                db.add(Lockout(kind=kind, key=key, started_at=now, until=until, failures=count))
                audit(
                    db,
                    login,
                    "login.lockout",
                    f"{kind}:{key}",
                    f"{count} failed sign-ins within {_minutes(self.window)}; "
                    f"refused until {until:%Y-%m-%d %H:%M:%S} UTC",
                    address=address,
                )
                refusal = refusal or self._refusal(kind, until, now)
        return refusal

    def succeeded(self, db: Session, login: str) -> None:
        """A good password: the login's count starts again (the address's does not, so
        one valid login cannot reset a guessing address)."""
        db.execute(delete(LoginFailure).where(LoginFailure.login == login))

    def active(self, db: Session, now: datetime) -> list[LockoutInfo]:
        rows = db.scalars(
            select(Lockout)
            .where(Lockout.cleared_at.is_(None), Lockout.until > now)
            .order_by(Lockout.until.desc())
        ).all()
        return [
            LockoutInfo(r.id, r.kind, r.key, r.started_at, r.until, r.failures, r.refused)
            for r in rows
        ]

    def clear(
        self,
        db: Session,
        now: datetime,
        by: str,
        *,
        lockout_id: int | None = None,
        login: str | None = None,
        address: str = "",
    ) -> int:
        """Lift a lockout by id, or every lockout of a login; the number lifted."""
        query = select(Lockout).where(Lockout.cleared_at.is_(None), Lockout.until > now)
        if lockout_id is not None:
            query = query.where(Lockout.id == lockout_id)
        elif login is not None:
            query = query.where(Lockout.kind == LOGIN, Lockout.key == login)
        else:
            raise UserError("say which lockout to lift")
        locks = db.scalars(query).all()
        for lock in locks:
            lock.cleared_at, lock.cleared_by = now, by
            audit(
                db,
                by,
                "lockout.clear",
                f"{lock.kind}:{lock.key}",
                f"locked since {lock.started_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"{lock.refused} sign-in(s) refused meanwhile",
                address=address,
            )
        return len(locks)

    def _failures(self, db: Session, kind: str, key: str, now: datetime) -> int:
        """Failures within the window since the key's last lockout began (none are
        recorded while it holds, so a lifted or lapsed lockout starts a fresh count)."""
        column = LoginFailure.login if kind == LOGIN else LoginFailure.address
        last = db.scalar(
            select(func.max(Lockout.started_at)).where(Lockout.kind == kind, Lockout.key == key)
        )
        query = (
            select(func.count())
            .select_from(LoginFailure)
            .where(column == key, LoginFailure.at >= now - self.window)
        )
        if last is not None:
            query = query.where(LoginFailure.at > last)
        return int(db.scalar(query) or 0)

    def _refusal(self, kind: str, until: datetime, now: datetime) -> Refusal:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        wait = _minutes(timedelta(seconds=seconds))
        if kind == ADDRESS:
            message = (
                "Too many failed sign-ins from your network address: signing in from it is "
                f"paused. Try again in {wait}."
            )
        else:
            message = (
                "Too many failed sign-ins for this login: it is locked. Try again in "
                f"{wait}, or ask an administrator to unlock it."
            )
        return Refusal(kind, seconds, message)


def _minutes(span: timedelta) -> str:
    minutes = max(1, math.ceil(span.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
