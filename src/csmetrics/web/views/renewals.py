"""Renewals of a quarter with the forecast form: CSMs call renew, churn or downsell."""

from __future__ import annotations

import pandas as pd

from csmetrics.periods import Period, parse_period
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import Column, Number, Table, View, page

OUTCOMES = ("renew", "downsell", "churn")


def chosen_quarter(d: ScopedData, params: dict[str, str]) -> Period:
    """``quarter`` from the query, else the period filter if a quarter, else the next one."""
    offered = d.forecast_quarters()
    wanted = params.get("quarter") or d.filters.period
    if wanted:
        try:
            period = parse_period(wanted, d.fiscal)
        except Exception:
            period = offered[-1]
        if period.kind == "quarter":
            return period
    return offered[-1]


@page(
    "renewals",
    "/renewals",
    "Renewals",
    EVERYONE,
    template="renewals.html.j2",
    params=("quarter",),
    periodic=False,
)
def renewals(d: ScopedData, params: dict[str, str]) -> View:
    """Each renewal of a quarter: the CSM's forecast, the model's chance and the outcome."""
    quarter = chosen_quarter(d, params)
    view = View("renewals", f"Renewals {quarter.label}", d.as_of, quarter)
    over = quarter.end <= d.as_of
    found = d.renewals(quarter)
    if found is None:
        frame = d.upcoming(quarter)[
            [
                "account_id",
                "account_name",
                "csm_id",
                "csm_name",
                "team",
                "tier",
                "renewal_date",
                "arr",
            ]
        ]
        frame = frame.rename(columns={"arr": "start_arr"})
        for column in (
            "forecast_outcome",
            "forecast_probability",
            "forecast_keep",
            "submitted_at",
            "forecast_by",
            "model_keep",
            "actual",
            "kept",
        ):
            frame[column] = None
        view.notes.append(
            "no forecasts submitted yet: the renewals listed are the next renewals of today's paying accounts"
        )
    else:
        frame = found.renewals.copy()
        names = d.accounts()[["account_id", "account_name"]]
        frame = frame.merge(names, on="account_id", how="left")
        view.notes += list(found.notes)
    if not over:
        frame["actual"] = None
    frame["account_id"] = frame["account_id"].astype("string")
    frame = frame.merge(d.latest_forecasts(quarter), on="account_id", how="left")
    counted = pd.to_datetime(frame["submitted_at"])
    frame["latest_counted"] = counted.notna() & (counted == pd.to_datetime(frame["latest_at"]))
    frame = frame.sort_values(["renewal_date", "account_name"], na_position="last").reset_index(
        drop=True
    )
    kept_forecast = pd.to_numeric(frame["forecast_keep"], errors="coerce")
    view.numbers = [
        Number("renewals", "Renewals", len(frame), "count", d.as_of, quarter.label),
        Number(
            "arr",
            "ARR up for renewal",
            float(pd.to_numeric(frame["start_arr"]).sum()),
            "money",
            d.as_of,
            quarter.label,
        ),
        Number(
            "forecast",
            "Forecast",
            int(kept_forecast.notna().sum()),
            "count",
            d.as_of,
            quarter.label,
            note=f"of {len(frame)} renewals have a forecast",
        ),
        Number(
            "forecast_keep",
            "Expected renewals (forecast)",
            float(kept_forecast.sum()) if kept_forecast.notna().any() else None,
            "score",
            d.as_of,
            quarter.label,
            note="sum of the chance each customer stays",
        ),
        Number(
            "model_keep",
            "Expected renewals (model)",
            float(pd.to_numeric(frame["model_keep"], errors="coerce").sum())
            if pd.to_numeric(frame["model_keep"], errors="coerce").notna().any()
            else None,
            "score",
            d.as_of,
            quarter.label,
        ),
    ]
    if over:
        view.numbers.append(
            Number(
                "kept",
                "Renewed (actual)",
                int(pd.to_numeric(frame["kept"], errors="coerce").sum()),
                "count",
                d.as_of,
                quarter.label,
            )
        )
    view.tables.append(
        Table(
            "renewals",
            f"Renewals due in {quarter.label}",
            frame,
            [
                Column("account_name", "Account", link="/accounts/{account_id}"),
                Column("account_id", "account_id"),
                Column("csm_name", "CSM"),
                Column("renewal_date", "Renewal", "date"),
                Column("start_arr", "ARR", "money"),
                Column("forecast_outcome", "Forecast"),
                Column("forecast_probability", "Probability", "ratio"),
                Column("submitted_at", "Submitted", "date"),
                Column("latest_outcome", "Latest submission"),
                Column("latest_probability", "Latest probability", "ratio"),
                Column("latest_at", "Latest submitted", "date"),
                Column("model_keep", "Model: chance to renew", "ratio"),
                Column("actual", "Actual"),
            ],
            d.as_of,
        )
    )
    if found is not None and over and len(found.renewals):
        accuracy = d.forecast_accuracy(found)
        view.tables.append(
            Table(
                "accuracy",
                "Forecast accuracy by CSM",
                accuracy,
                [Column(c, c.replace("_", " "), _unit(c)) for c in accuracy.columns],
                d.as_of,
            )
        )
    view.extra.update(
        quarter=quarter,
        quarters=d.forecast_quarters(),
        can_forecast=not over and d.viewer.login.csm_id is not None,
        outcomes=OUTCOMES,
        rows=frame.to_dict("records"),
        cutoff=d.cutoff,
    )
    return view


def _unit(column: str) -> str:
    if column in ("csm_id", "csm_name", "team"):
        return "text"
    if column in ("renewals", "forecasts", "kept"):
        return "count"
    return "score"
