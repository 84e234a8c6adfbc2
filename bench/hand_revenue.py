"""The revenue KPIs written by hand: the ARR bridge and retention, in SQL, polars and pandas.

What an analyst would write without csmetrics, to the definitions of docs/kpis.md
(churn recognised at the end of term, the reporting currency USD):

* a contract is active on day d when start_date <= d < end_date (an empty end is
  open; a contract whose end is not after its start never counts);
* ARR on a day is arr x the rate in force that day (the latest fx_rates row on or
  before it, the first row for a day before every row, 1 for USD);
* the bridge, per month [s, e) and account: S = ARR on s, E' = ARR on e at s's rates,
  E = ARR on e; new (S = 0, E' > 0, first paid start on or after s), reactivation
  (the same, paid before), expansion, contraction, churn (E' = 0), fx = E - E';
* retention over [a, b): the accounts with ARR on a; logos kept, ARR kept
  (min(end, start), GRR) and end ARR (NRR), both days at a's rates.

Each function returns the answer in the benchmark's comparable form (counts, money
rounded to cents, ratios), so every way can be checked against csmetrics.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

REPORTING = "USD"
FAR_PAST = date(1, 1, 1)
FAR_FUTURE = date(9999, 12, 31)
LINES = ("start", "new", "expansion", "contraction", "churn", "reactivation", "fx", "end")
BUSINESS = {"new": 1, "expansion": 1, "contraction": -1, "churn": -1, "reactivation": 1}


def bridge_answer(periods: list[str], rows: list[list[float]]) -> dict[str, Any]:
    """Lines rounded to cents, fx balancing the rounded lines (as csmetrics prints them)."""
    money = []
    for row in rows:
        line = dict(zip(LINES, (round(float(v or 0.0), 2) for v in row), strict=True))
        business = sum(sign * line[k] for k, sign in BUSINESS.items())
        line["fx"] = round(line["end"] - line["start"] - business, 2)
        money.append([line[k] for k in LINES])
    return {"text": periods, "money": money}


def retention_answer(periods: list[str], rows: list[list[float]]) -> dict[str, Any]:
    """rows: logos_start, logos_retained, start_arr, kept_arr, end_arr per period."""
    counts, money, ratios = [], [], []
    for n, kept_n, start, kept, end in rows:
        counts.append([int(n or 0), int(kept_n or 0)])
        money.append([round(float(start or 0.0), 2), round(float(kept or 0.0), 2)])
        money[-1].append(round(float(end or 0.0), 2))
        share = kept_n / n if n else None
        ratios.append([share, kept / start if start else None, end / start if start else None])
    return {"text": periods, "count": counts, "money": money, "ratio": ratios}


# -- DuckDB SQL -----------------------------------------------------------------------

_SQL_COMMON = """
c AS (
  SELECT account_id, upper(currency) AS cur, arr::DOUBLE AS arr, start_date,
         coalesce(end_date, DATE '9999-12-31') AS stop
  FROM contracts WHERE end_date IS NULL OR end_date > start_date),
fx AS (
  SELECT upper(currency) AS cur,
         CASE WHEN rate_date = min(rate_date) OVER (PARTITION BY currency)
              THEN DATE '0001-01-01' ELSE rate_date END AS valid_from,
         coalesce(lead(rate_date) OVER (PARTITION BY currency ORDER BY rate_date),
                  DATE '9999-12-31') AS valid_to,
         rate::DOUBLE AS rate
  FROM fx_rates),
rates AS (
  SELECT i, l.cur, l.rate AS r_lo, h.rate AS r_hi
  FROM spans
  JOIN fx l ON l.valid_from <= spans.lo AND l.valid_to > spans.lo
  JOIN fx h ON h.cur = l.cur AND h.valid_from <= spans.hi AND h.valid_to > spans.hi),
per_account AS (
  SELECT i, account_id,
    sum(CASE WHEN start_date <= lo AND stop > lo THEN arr * r_lo ELSE 0 END) AS s,
    sum(CASE WHEN start_date <= hi AND stop > hi THEN arr * r_lo ELSE 0 END) AS e_const,
    sum(CASE WHEN start_date <= hi AND stop > hi THEN arr * r_hi ELSE 0 END) AS e
  FROM (
    SELECT spans.i, spans.lo, spans.hi, c.account_id, c.arr, c.start_date, c.stop,
           CASE WHEN c.cur = '{reporting}' THEN 1.0 ELSE rates.r_lo END AS r_lo,
           CASE WHEN c.cur = '{reporting}' THEN 1.0 ELSE rates.r_hi END AS r_hi
    FROM spans JOIN c ON c.start_date <= spans.hi AND c.stop > spans.lo
    LEFT JOIN rates ON rates.i = spans.i AND rates.cur = c.cur)
  GROUP BY ALL)"""


def _spans_sql(spans: list[tuple[date, date]]) -> str:
    values = ", ".join(f"({i}, DATE '{lo}', DATE '{hi}')" for i, (lo, hi) in enumerate(spans))
    return f"spans(i, lo, hi) AS (VALUES {values})"


def bridge_sql(spans: list[tuple[date, date]]) -> str:
    """One query: the bridge of each monthly span [lo, hi)."""
    return f"""
WITH {_spans_sql(spans)}, {_SQL_COMMON.format(reporting=REPORTING)},
first_paid AS (SELECT account_id, min(start_date) AS first_paid FROM c WHERE arr > 0 GROUP BY ALL),
moves AS (
  SELECT p.i, s, e, e_const,
    CASE WHEN s <= 0 AND e_const > 0 AND (first_paid IS NULL OR first_paid >= lo)
         THEN e_const ELSE 0 END AS new,
    CASE WHEN s > 0 AND e_const > s THEN e_const - s ELSE 0 END AS expansion,
    CASE WHEN s > 0 AND e_const > 0 AND e_const < s THEN s - e_const ELSE 0 END AS contraction,
    CASE WHEN s > 0 AND e_const <= 0 THEN s ELSE 0 END AS churn,
    CASE WHEN s <= 0 AND e_const > 0 AND first_paid < lo THEN e_const ELSE 0 END AS reactivation
  FROM per_account p JOIN spans USING (i) LEFT JOIN first_paid USING (account_id))
SELECT spans.i, sum(s), sum(new), sum(expansion), sum(contraction), sum(churn),
       sum(reactivation), sum(e - e_const), sum(e)
FROM spans LEFT JOIN moves USING (i)
GROUP BY spans.i ORDER BY spans.i"""


def retention_sql(spans: list[tuple[date, date]]) -> str:
    """One query: start cohort, logos kept, start, kept and end ARR per span [a, b)."""
    return f"""
WITH {_spans_sql(spans)}, {_SQL_COMMON.format(reporting=REPORTING)}
SELECT spans.i, count(*) FILTER (WHERE s > 0), count(*) FILTER (WHERE s > 0 AND e_const > 0),
       sum(s) FILTER (WHERE s > 0), sum(least(e_const, s)) FILTER (WHERE s > 0),
       sum(e_const) FILTER (WHERE s > 0)
FROM spans LEFT JOIN per_account USING (i)
GROUP BY spans.i ORDER BY spans.i"""


def run_sql(con: Any, sql: str) -> list[list[float]]:
    return [list(row[1:]) for row in con.execute(sql).fetchall()]


# -- polars ---------------------------------------------------------------------------


def _polars_per_account(contracts: Path, fx_rates: Path, spans: list[tuple[date, date]]) -> Any:
    import polars as pl

    c = (
        pl.scan_parquet(contracts)
        .filter(pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("start_date")))
        .select(
            "account_id",
            "start_date",
            cur=pl.col("currency").str.to_uppercase(),
            arr=pl.col("arr").cast(pl.Float64),
            stop=pl.col("end_date").fill_null(FAR_FUTURE),
        )
    )
    fx = (
        pl.scan_parquet(fx_rates)
        .sort("currency", "rate_date")
        .select(
            cur=pl.col("currency").str.to_uppercase(),
            valid_from=pl.when(pl.col("rate_date") == pl.col("rate_date").min().over("currency"))
            .then(pl.lit(FAR_PAST))
            .otherwise(pl.col("rate_date")),
            valid_to=pl.col("rate_date").shift(-1).over("currency").fill_null(FAR_FUTURE),
            rate=pl.col("rate").cast(pl.Float64),
        )
    )
    s = pl.LazyFrame(
        {"i": list(range(len(spans))), "lo": [a for a, _ in spans], "hi": [b for _, b in spans]}
    )

    def rate_on(day: str, name: str) -> pl.LazyFrame:
        return s.join_where(
            fx, pl.col("valid_from") <= pl.col(day), pl.col("valid_to") > pl.col(day)
        ).select("i", "cur", pl.col("rate").alias(name))

    rates = rate_on("lo", "r_lo").join(rate_on("hi", "r_hi"), on=["i", "cur"])
    local = pl.col("cur") == REPORTING
    on_lo = (pl.col("start_date") <= pl.col("lo")) & (pl.col("stop") > pl.col("lo"))
    on_hi = (pl.col("start_date") <= pl.col("hi")) & (pl.col("stop") > pl.col("hi"))
    joined = (
        s.join_where(c, pl.col("start_date") <= pl.col("hi"), pl.col("stop") > pl.col("lo"))
        .join(rates, on=["i", "cur"], how="left")
        .with_columns(
            r_lo=pl.when(local).then(1.0).otherwise(pl.col("r_lo")),
            r_hi=pl.when(local).then(1.0).otherwise(pl.col("r_hi")),
        )
    )
    per_account = joined.group_by("i", "lo", "account_id").agg(
        s=pl.when(on_lo).then(pl.col("arr") * pl.col("r_lo")).otherwise(0.0).sum(),
        e_const=pl.when(on_hi).then(pl.col("arr") * pl.col("r_lo")).otherwise(0.0).sum(),
        e=pl.when(on_hi).then(pl.col("arr") * pl.col("r_hi")).otherwise(0.0).sum(),
    )
    return s, c, per_account


def bridge_polars(contracts: Path, fx_rates: Path, spans: list[tuple[date, date]]) -> list:
    import polars as pl

    s, c, per = _polars_per_account(contracts, fx_rates, spans)
    first = c.filter(pl.col("arr") > 0).group_by("account_id").agg(first_paid=pl.min("start_date"))
    per = per.join(first, on="account_id", how="left")
    was, now = pl.col("s") > 0, pl.col("e_const") > 0
    fresh = pl.col("first_paid").is_null() | (pl.col("first_paid") >= pl.col("lo"))
    change = pl.col("e_const") - pl.col("s")
    moves = per.select(
        "i",
        "s",
        "e",
        new=pl.when(~was & now & fresh).then(pl.col("e_const")).otherwise(0.0),
        expansion=pl.when(was & now & (change > 0)).then(change).otherwise(0.0),
        contraction=pl.when(was & now & (change < 0)).then(-change).otherwise(0.0),
        churn=pl.when(was & ~now).then(pl.col("s")).otherwise(0.0),
        reactivation=pl.when(~was & now & ~fresh).then(pl.col("e_const")).otherwise(0.0),
        fx=pl.col("e") - pl.col("e_const"),
    )
    out = (
        s.select("i")
        .join(moves, on="i", how="left")
        .group_by("i")
        .agg(pl.sum(name) for name in ("s", *LINES[1:-1], "e"))
        .sort("i")
        .collect()
    )
    return [list(row[1:]) for row in out.iter_rows()]


def retention_polars(contracts: Path, fx_rates: Path, spans: list[tuple[date, date]]) -> list:
    import polars as pl

    s, _, per = _polars_per_account(contracts, fx_rates, spans)
    cohort = per.filter(pl.col("s") > 0)
    out = (
        s.select("i")
        .join(cohort, on="i", how="left")
        .group_by("i")
        .agg(
            n=pl.col("s").count(),
            kept_n=(pl.col("e_const") > 0).sum(),
            start=pl.col("s").sum(),
            kept=pl.min_horizontal("e_const", "s").sum(),
            end=pl.col("e_const").sum(),
        )
        .sort("i")
        .collect()
    )
    return [list(row[1:]) for row in out.iter_rows()]


# -- pandas ---------------------------------------------------------------------------


def _pandas_inputs(contracts: Path, fx_rates: Path) -> tuple[Any, Any]:
    import pandas as pd

    columns = ["account_id", "start_date", "end_date", "arr", "currency"]
    c = pd.read_parquet(contracts, columns=columns)
    c = c[c["end_date"].isna() | (c["end_date"] > c["start_date"])].copy()
    c["start_date"] = pd.to_datetime(c["start_date"])
    c["stop"] = pd.to_datetime(c["end_date"]).fillna(pd.Timestamp("2262-01-01"))
    c["cur"] = c["currency"].str.upper()
    fx = pd.read_parquet(fx_rates).sort_values(["currency", "rate_date"])
    fx["rate_date"] = pd.to_datetime(fx["rate_date"])
    fx["cur"] = fx["currency"].str.upper()
    return c, fx


def _rates_on(fx: Any, day: Any) -> Any:
    """cur -> rate in force on ``day`` (the first rate for a day before all of them)."""
    known = fx[fx["rate_date"] <= day].groupby("cur")["rate"].last()
    first = fx.groupby("cur")["rate"].first()
    rates = first.copy()
    rates.loc[known.index] = known
    rates.loc[REPORTING] = 1.0
    return rates.astype("float64")


def _pandas_per_account(c: Any, fx: Any, lo: date, hi: date) -> Any:
    import pandas as pd

    lo_t, hi_t = pd.Timestamp(lo), pd.Timestamp(hi)
    r_lo, r_hi = _rates_on(fx, lo_t), _rates_on(fx, hi_t)
    on_lo = (c["start_date"] <= lo_t) & (c["stop"] > lo_t)
    on_hi = (c["start_date"] <= hi_t) & (c["stop"] > hi_t)
    live = c[on_lo | on_hi]
    lo_arr = live["arr"] * live["cur"].map(r_lo)
    frame = pd.DataFrame(
        {
            "account_id": live["account_id"],
            "s": lo_arr.where(on_lo[live.index], 0.0),
            "e_const": lo_arr.where(on_hi[live.index], 0.0),
            "e": (live["arr"] * live["cur"].map(r_hi)).where(on_hi[live.index], 0.0),
        }
    )
    return frame.groupby("account_id").sum()


def bridge_pandas(contracts: Path, fx_rates: Path, spans: list[tuple[date, date]]) -> list:
    import pandas as pd

    c, fx = _pandas_inputs(contracts, fx_rates)
    first_paid = c[c["arr"] > 0].groupby("account_id")["start_date"].min()
    out = []
    for lo, hi in spans:
        t = _pandas_per_account(c, fx, lo, hi)
        fp = first_paid.reindex(t.index)
        was, now = t["s"] > 0, t["e_const"] > 0
        fresh = fp.isna() | (fp >= pd.Timestamp(lo))
        change = t["e_const"] - t["s"]
        out.append(
            [
                t["s"].sum(),
                t["e_const"].where(~was & now & fresh, 0.0).sum(),
                change.where(was & now & (change > 0), 0.0).sum(),
                (-change).where(was & now & (change < 0), 0.0).sum(),
                t["s"].where(was & ~now, 0.0).sum(),
                t["e_const"].where(~was & now & ~fresh, 0.0).sum(),
                (t["e"] - t["e_const"]).sum(),
                t["e"].sum(),
            ]
        )
    return out


def retention_pandas(contracts: Path, fx_rates: Path, spans: list[tuple[date, date]]) -> list:
    c, fx = _pandas_inputs(contracts, fx_rates)
    out = []
    for lo, hi in spans:
        t = _pandas_per_account(c, fx, lo, hi)
        t = t[t["s"] > 0]
        out.append(
            [
                len(t),
                int((t["e_const"] > 0).sum()),
                t["s"].sum(),
                t[["e_const", "s"]].min(axis=1).sum(),
                t["e_const"].sum(),
            ]
        )
    return out
