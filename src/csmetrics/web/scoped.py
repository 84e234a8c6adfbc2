"""What a page may read: the web data seen through the viewer's access filter.

Views get a ``ScopedData`` and nothing else, so no page can reach a row the access
rule (``web.access``) does not admit: every accessor here filters by the viewer's
scope and the page's filters before it returns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import pandas as pd

from csmetrics import risk
from csmetrics.kpis import get as get_kpi
from csmetrics.periods import Period, following, period_containing
from csmetrics.web import snapshots
from csmetrics.web.access import AccountFilter, NotVisible, Viewer, account_filter
from csmetrics.web.filters import Filters

if TYPE_CHECKING:
    from csmetrics.compensation import Statement
    from csmetrics.forecasting import QuarterRenewals
    from csmetrics.scorecards import Scorecard
    from csmetrics.web.data import WebData


class ScopedData:
    """The viewer's slice of the workspace (module doc)."""

    def __init__(self, data: WebData, viewer: Viewer, filters: Filters) -> None:
        self._data = data
        self.viewer = viewer
        self.filters = filters
        self.filter: AccountFilter = account_filter(viewer.scope, filters, data.csms())
        self._evaluation: risk.Evaluation | None = None
        self._book: pd.DataFrame | None = None

    # -- context -----------------------------------------------------------------------

    @property
    def as_of(self) -> date:
        return self._data.as_of()

    @property
    def currency(self) -> str:
        return str(self._data.config.company.reporting_currency)

    @property
    def company(self) -> str:
        return str(self._data.config.company.name)

    @property
    def fiscal(self) -> int:
        return int(self._data.config.company.fiscal_year_start_month)

    @property
    def cutoff(self) -> str:
        """Which forecast counts (forecasts.cutoff): quarter_start or renewal."""
        return str(self._data.config.forecasts.cutoff)

    def period(self) -> Period:
        return self._data.period_snapshot(self.filters.period)[1]

    def periods(self, kind: str | None = None) -> list[Period]:
        found = list(self._data.snapshot().periods)
        return [p for p in found if kind is None or p.kind == kind]

    # -- KPIs --------------------------------------------------------------------------

    def kpi_rows(self, name: str, period: Period | None = None) -> pd.DataFrame | None:
        """The visible account rows of a KPI for one period (None: not available)."""
        snap, chosen = self._data.period_snapshot(period.label if period else self.filters.period)
        if not snap.has(name):
            return None
        rows = snap.facts[name]
        return self.filter.apply(rows[rows["period"] == chosen.label])

    def kpi(self, name: str, period: Period | None = None) -> snapshots.Aggregate | None:
        rows = self.kpi_rows(name, period)
        return None if rows is None else snapshots.aggregate(rows, name)

    def missing(self, name: str) -> str | None:
        """Why a KPI is not available (its tables are empty), else None."""
        return self._data.snapshot().missing.get(name)

    def kpi_series(self, name: str, kind: str = "quarter") -> pd.DataFrame | None:
        """period, value (numerator, denominator) for each snapshot period of ``kind``."""
        snap = self._data.snapshot()
        if not snap.has(name):
            return None
        labels = [p.label for p in snap.periods if p.kind == kind]
        rows = snap.facts[name]
        rows = self.filter.apply(rows[rows["period"].isin(labels)])
        grouped = snapshots.by_group(rows, name, ["period"])
        grouped["period"] = grouped["period"].astype(str)
        out = pd.DataFrame({"period": labels}).merge(grouped, on="period", how="left")
        if not get_kpi(name).is_ratio:
            out["value"] = out["value"].fillna(0.0)
        return out

    def kpi_by(self, name: str, key: str, period: Period | None = None) -> pd.DataFrame | None:
        rows = self.kpi_rows(name, period)
        if rows is None:
            return None
        return snapshots.by_group(rows, name, [key])

    def attainment(self, name: str, period: Period | None = None) -> snapshots.Aggregate | None:
        """A group KPI (MAU vs target) when the selection is exactly one group: the
        company, a team or a CSM; None otherwise (no target for a tier, a mix...)."""
        snap, chosen = self._data.period_snapshot(period.label if period else self.filters.period)
        frame = snap.groups.get(name)
        group = self.selection_group()
        if frame is None or group is None:
            return None
        grain, key = group
        rows = frame[(frame["period"] == chosen.label) & (frame["grain"] == grain)]
        rows = rows[rows["group"] == key]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return snapshots.Aggregate(
            _num(row["value"]), _num(row["numerator"]), _num(row["denominator"])
        )

    def selection_group(self) -> tuple[str, str] | None:
        """('company', 'all'), ('team', name) or ('csm', id) when the selection is one."""
        f, scope = self.filters, self.viewer.scope
        if f.tier or f.segment:
            return None
        if f.csm:
            return ("csm", f.csm) if self.filter.sees_csm(f.csm) else None
        if scope.role == "csm":
            return ("csm", scope.csm_id) if scope.csm_id else None
        if f.team:
            if scope.role == "manager" and f.team != scope.team:
                return None
            return ("team", f.team)
        if scope.role == "manager":
            return ("team", scope.team) if scope.team else None
        return ("company", "all")

    # -- accounts ----------------------------------------------------------------------

    def accounts(self, paying: bool | None = None) -> pd.DataFrame:
        """The visible current book (owner on the as-of day)."""
        frame = self.filter.apply(self._data.accounts())
        if paying is not None:
            frame = frame[frame["paying"] == paying].reset_index(drop=True)
        return frame

    def account(self, account_id: str) -> pd.Series:
        """One visible account; NotVisible (404) when it is not in the viewer's book."""
        if self._book is None:
            scope_only = replace(self.filter, team=None, tier=None, segment=None, csm=None)
            self._book = scope_only.apply(self._data.accounts()).set_index("account_id", drop=False)
        if account_id not in self._book.index:
            raise NotVisible(f"account {account_id}")
        return self._book.loc[account_id]

    def account_history(
        self, account_id: str, name: str, kind: str = "month"
    ) -> pd.DataFrame | None:
        """One visible account's KPI per snapshot period (whoever owned it then)."""
        self.account(account_id)
        snap = self._data.snapshot()
        if not snap.has(name):
            return None
        labels = [p.label for p in snap.periods if p.kind == kind]
        rows = snap.facts[name]
        rows = rows[(rows["account_id"] == account_id) & rows["period"].isin(labels)]
        out = pd.DataFrame({"period": labels})
        return out.merge(rows.drop(columns=["account_id"]), on="period", how="left")

    def account_rows(self, account_id: str, table: str, order: str | None = None) -> pd.DataFrame:
        """Rows of a canonical table for one account the viewer may see."""
        self.account(account_id)
        data = self._data
        with data.lock:
            expr = data.ws.table(table)
            expr = expr.filter(expr.account_id == account_id)
            if order:
                expr = expr.order_by(expr[order].desc())
            return data.ws.engine.execute(expr)

    def survey_comments(self, account_id: str) -> pd.DataFrame:
        self.account(account_id)
        with self._data.lock:
            return self._data.ws.survey_comments(account_id)

    def recent(self, table: str, column: str, period: Period) -> pd.DataFrame:
        """Rows of ``table`` whose ``column`` falls in ``period``, for visible accounts,
        with the account's name, owner and team."""
        data = self._data

        def load() -> pd.DataFrame:
            expr = data.ws.table(table)
            start = datetime.combine(period.start, time.min)
            end = datetime.combine(period.end, time.min)
            expr = expr.filter((expr[column] >= start) & (expr[column] < end))
            frame = data.ws.engine.execute(expr)
            frame["account_id"] = frame["account_id"].astype("string")
            return frame

        frame = data.cached(("recent", table, column, period.label), load)
        visible = self.accounts()[["account_id", "account_name", "csm_name", "team"]]
        return frame.merge(visible, on="account_id", how="inner")

    def open_onboardings(self) -> pd.DataFrame | None:
        """Onboardings of visible accounts not closed by the as-of day, oldest first."""
        data = self._data

        def load() -> pd.DataFrame:
            table = data.ws.table("onboardings")
            return data.ws.engine.execute(table.filter(table.closed_at.isnull()))

        with data.lock:  # a row count may query the store: one query at a time
            present = data.ws.engine.has_rows("onboardings")
        if not present:
            return None
        frame = data.cached("open_onboardings", load)
        frame = frame.assign(account_id=frame["account_id"].astype("string"))
        visible = self.accounts()[["account_id", "account_name", "csm_name", "tier"]]
        frame = frame.merge(visible, on="account_id", how="inner")
        closed = pd.to_datetime(frame["deal_closed_at"])
        frame["age_days"] = (pd.Timestamp(self.as_of) - closed).dt.days
        config = data.config.onboarding
        frame["sla_days"] = [
            config.sla_days_by_tier.get(str(t), config.sla_days) for t in frame["tier"]
        ]
        flags = ["understands_purchase", "setup_assisted", "tested", "team_trained"]
        frame["checklist"] = frame[flags].fillna(False).astype(bool).mean(axis=1)
        return frame.sort_values("age_days", ascending=False).reset_index(drop=True)

    # -- health ------------------------------------------------------------------------

    def health_scores(self) -> pd.DataFrame | str:
        """Today's scores of the visible accounts (with owner and team), or why none."""
        found = self._data.health_scores()
        if isinstance(found, str):
            return found
        owners = self.accounts()[["account_id", "csm_id", "csm_name", "team", "segment"]]
        return found.merge(owners, on="account_id", how="inner")

    def health_history(self, account_id: str) -> pd.DataFrame | str:
        """One visible account's scores over time (as_of, score, band), or why none."""
        self.account(account_id)
        found = self._data.health_history()
        if isinstance(found, str):
            return found
        rows = found[found["account_id"] == account_id]
        return rows.sort_values("as_of").reset_index(drop=True)

    def health_explanation(self, account_id: str) -> object:
        self.account(account_id)
        return self._data.health_explanation(account_id)

    def health_backtest(self) -> object:
        if self.filter.scoped:
            raise NotVisible("the health back-test")
        return self._data.health_backtest()

    # -- risk --------------------------------------------------------------------------

    def evaluation(self, day: date | None = None) -> risk.Evaluation:
        """The risk evaluation of the visible accounts (owner on each judged day): every
        judged day, or one."""
        if self._evaluation is None:
            full = self._data.evaluation()
            self._evaluation = replace(
                full, book=self.filter.apply(full.book), signals=self.filter.apply(full.signals)
            )
        scoped = self._evaluation
        if day is None:
            return scoped
        if day not in scoped.days:
            other = self._data.evaluation_on(day)
            return replace(
                other, book=self.filter.apply(other.book), signals=self.filter.apply(other.signals)
            )
        return replace(
            scoped,
            days=(day,),
            book=scoped.book[scoped.book["as_of"] == day].reset_index(drop=True),
            signals=scoped.signals[scoped.signals["as_of"] == day].reset_index(drop=True),
        )

    def at_risk(self, days: list[date] | None = None) -> pd.DataFrame:
        """At-risk accounts and ARR of the visible accounts, per judged day (or ``days``)."""
        evaluation = self.evaluation()
        if days is not None:
            keep = set(days) & set(evaluation.days)
            evaluation = replace(
                evaluation,
                days=tuple(sorted(keep)),
                book=evaluation.book[evaluation.book["as_of"].isin(keep)],
                signals=evaluation.signals[evaluation.signals["as_of"].isin(keep)],
            )
        return risk.at_risk(evaluation, "company")

    def risk_signals(self) -> pd.DataFrame:
        return self.evaluation(self.as_of).signals

    # -- calls to action ---------------------------------------------------------------

    def ctas(self, status: str = "open") -> pd.DataFrame:
        data = self._data
        with data.lock:
            frame = data.ws.ctas(status=status)
        attrs = data.accounts()[["account_id", "tier", "segment"]]
        frame["account_id"] = frame["account_id"].astype("string")
        frame = frame.merge(attrs, on="account_id", how="left")
        return self.filter.apply(frame)

    def cta(self, cta_id: str) -> pd.Series:
        frame = self.ctas("all")
        match = frame[frame["cta_id"] == cta_id]
        if match.empty:
            raise NotVisible(f"call to action {cta_id}")
        return match.iloc[0]

    # -- renewals ----------------------------------------------------------------------

    def forecast_quarters(self) -> list[Period]:
        """Quarters the renewals page offers: the last four complete, the current, the next."""
        current = period_containing(self.as_of, "quarter", self.fiscal)
        done = [p for p in self.periods("quarter")][-4:]
        return [*done, current, following(current, self.fiscal)]

    def renewals(self, quarter: Period) -> QuarterRenewals | None:
        """The quarter's renewals with forecast, model and actual (None: no forecasts yet)."""
        from csmetrics.errors import NotAvailable

        data = self._data
        try:
            found = data.cached(
                ("renewals", quarter.label),
                lambda: data.ws.renewal_forecasts(quarter),
                forecasts=True,
            )
        except NotAvailable:
            return None
        frame = snapshots_attrs(found.renewals, data.accounts())
        book = snapshots_attrs(found.book, data.accounts())
        return replace(found, renewals=self.filter.apply(frame), book=self.filter.apply(book))

    def latest_forecasts(self, quarter: Period) -> pd.DataFrame:
        """account_id, latest_outcome, latest_probability, latest_at, latest_by: the newest
        submission per account for the quarter, counted or not (callers merge it onto
        renewals they may see)."""
        data = self._data

        def load() -> pd.DataFrame:
            table = data.ws.table("renewal_forecasts")
            frame = data.ws.engine.execute(table.filter(table.quarter == quarter.label))
            frame = frame.sort_values("submitted_at").drop_duplicates("account_id", keep="last")
            frame = frame.rename(
                columns={
                    "outcome": "latest_outcome",
                    "probability": "latest_probability",
                    "submitted_at": "latest_at",
                    "csm_id": "latest_by",
                }
            )
            frame["account_id"] = frame["account_id"].astype("string")
            return frame[
                ["account_id", "latest_outcome", "latest_probability", "latest_at", "latest_by"]
            ]

        return data.cached(("latest_forecasts", quarter.label), load, forecasts=True)

    def upcoming(self, quarter: Period) -> pd.DataFrame:
        """Paying accounts whose next renewal falls in ``quarter`` (as of today's data)."""
        frame = self.accounts(paying=True)
        due = pd.to_datetime(frame["renewal_date"])
        keep = (due >= pd.Timestamp(quarter.start)) & (due < pd.Timestamp(quarter.end))
        return frame[keep].reset_index(drop=True)

    def forecast_accuracy(self, renewals: QuarterRenewals) -> pd.DataFrame:
        data = self._data
        with data.lock:
            return data.ws.forecast_accuracy(renewals=renewals)

    # -- people ------------------------------------------------------------------------

    def csms(self) -> pd.DataFrame:
        """The CSMs the viewer may see (and pick in the filters)."""
        frame = self._data.csms()
        ids = self.filter.csm_ids
        if ids is not None:
            frame = frame[frame["csm_id"].isin(ids)]
        return frame.reset_index(drop=True)

    def teams(self) -> list[str]:
        return sorted({str(t) for t in self.csms()["team"].dropna()})

    def tiers(self) -> list[str]:
        return sorted({str(t) for t in self._data.accounts()["tier"].dropna()})

    def segments(self) -> list[str]:
        return sorted({str(t) for t in self._data.accounts()["segment"].dropna()})

    def scorecard(self, grain: str, subject: str | None, period: Period) -> Scorecard:
        if grain == "csm" and not self.filter.sees_csm(subject):
            raise NotVisible(f"CSM {subject}")
        scope = self.viewer.scope
        if (
            grain == "team"
            and not scope.everything
            and (scope.role != "manager" or subject != scope.team)
        ):
            raise NotVisible(f"team {subject}")
        if grain == "company" and self.filter.scoped:
            raise NotVisible("the company scorecard")
        data = self._data

        def build() -> Scorecard:
            if grain == "csm":
                return data.ws.scorecard(csm=subject, period=period)
            if grain == "team":
                return data.ws.scorecard(team=subject, period=period)
            return data.ws.scorecard(company=True, period=period)

        return data.cached(("scorecard", grain, subject, period.label), build)

    def statements(self, period: Period) -> list[Statement]:
        """Payout statements of the period for the CSMs the viewer may see."""
        data = self._data
        found = data.cached(("statements", period.label), lambda: data.ws.comp_statements(period))
        return [s for s in found if self.filter.sees_csm(s.csm_id)]


def snapshots_attrs(frame: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Add the account's tier/segment (for filters) where a frame lacks them."""
    need = [c for c in ("tier", "segment") if c not in frame.columns]
    if not need:
        return frame
    frame = frame.copy()
    frame["account_id"] = frame["account_id"].astype("string")
    return frame.merge(accounts[["account_id", *need]], on="account_id", how="left")


def _num(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]
